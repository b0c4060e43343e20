/**
 * TLS and mTLS to Temporal: the operator and `explain` connect through a TLS front (Node's tls server, requiring a
 * client certificate, relaying to the dev server) with the --temporal-tls-* flags, and refuse to talk without
 * them. Certificates are made for the test by openssl.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { runCli } from '../harness/cli.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';
import { makeCerts, type TestCerts } from '../harness/certs.js';

async function tlsFront(target: string, certs: TestCerts): Promise<{ address: string; server: Server }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const server = createServer(
    {
      key: readFileSync(certs.serverKey),
      cert: readFileSync(certs.serverCert),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (sock) => {
      const up = netConnect(port, host);
      sock.pipe(up).pipe(sock);
      const end = () => (sock.destroy(), up.destroy());
      sock.on('error', end);
      up.on('error', end);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const cli = (args: string[]) => runCli(args);

describe('e2e: TLS and mTLS to Temporal (operator and explain)', function () {
  let env: TestEnv;
  let c: TestCluster;
  let front: { address: string; server: Server };
  let certs: TestCerts;

  before(async function () {
    env = await testEnv();
    certs = makeCerts(mkdtempSync(join(tmpdir(), 'dct-tls-')));
    front = await tlsFront(env.temporal.address, certs);
    c = await newTestCluster(env, 'tls');
  });
  after(async () => {
    await c?.stop();
    front?.server.close();
  });

  const tlsFlags = () => [
    '--temporal-address', front.address,
    '--temporal-tls-ca', certs.ca,
    '--temporal-tls-cert', certs.clientCert,
    '--temporal-tls-key', certs.clientKey,
    '--temporal-tls-server-name', 'temporal.test',
  ];

  it('the operator places a volume over mTLS, and explain reads its record over mTLS with the same flags', async () => {
    await c.startOperator({
      temporal: {
        address: front.address,
        namespace: 'default',
        tls: { caPath: certs.ca, certPath: certs.clientCert, keyPath: certs.clientKey, serverName: 'temporal.test' },
      },
    });
    await c.createPool('node-a', { bytes: 10 * GiB });
    await c.createVolume('v1', { size: GiB, hostNode: 'node-a' });
    await eventually(async () => assert.equal((await c.getVolume('v1')).spec.targetNodeId, 'node-a'), { timeoutMs: 60_000, what: 'v1 bound over TLS' });
    const r = await cli(['explain', `${c.ns}/v1`, '--kubeconfig', env.kube.kubeconfigPath, ...tlsFlags()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`volume ${c.ns}/v1: Bound on pool node-a\\n`));
  });

  it('explain without the client certificate is refused by the server, and says which address failed', async () => {
    const flags = tlsFlags().slice(0, 4).concat(['--temporal-tls-server-name', 'temporal.test']);
    const r = await cli(['explain', `${c.ns}/v1`, '--kubeconfig', env.kube.kubeconfigPath, ...flags]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, new RegExp(`Temporal at ${front.address} \\(TLS\\): cannot connect`));
  });

  it('an unreadable certificate file is an error naming its flag and path (and no PEM content)', async () => {
    const flags = tlsFlags();
    flags[flags.indexOf('--temporal-tls-key') + 1] = '/nonexistent/client.key';
    const r = await cli(['explain', `${c.ns}/v1`, '--kubeconfig', env.kube.kubeconfigPath, ...flags]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--temporal-tls-key \/nonexistent\/client\.key: cannot read: ENOENT/);
    assert.doesNotMatch(r.err, /BEGIN/);
  });
});
