/** Test certificates made by openssl: a CA, a server certificate for the given SAN, and a client certificate. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type TestCerts = Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>;

/** `serverSan`: e.g. `DNS:temporal.test` or `IP:127.0.0.1`. `prefix` names the server's files (a second pair in the same dir). */
export function makeCerts(dir: string, serverSan = 'DNS:temporal.test', prefix = 'server'): TestCerts {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  if (prefix === 'server') ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  for (const [who, ext] of [
    [prefix, `subjectAltName=${serverSan}`],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`));
    writeFileSync(f(`${who}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f(`${who}.ext`), '-out', f(`${who}.pem`));
  }
  return { ca: f('ca.pem'), serverCert: f(`${prefix}.pem`), serverKey: f(`${prefix}.key`), clientCert: f('client.pem'), clientKey: f('client.key') };
}
