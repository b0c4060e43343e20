/**
 * The AntstorVolume admission webhook: LiteIO's defaulting and validation as pure functions, the review decoding,
 * and the HTTPS server (paths, bad bodies, a certificate rotated in place without a restart).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createLogger } from '../../src/logger.js';
import { answerReview, mutateVolume, validateVolume, volumeDefaults, type AdmissionRequest } from '../../src/webhook/volume-admission.js';
import { startWebhookServer, WEBHOOK_PATHS } from '../../src/webhook/server.js';
import { makeCerts } from '../harness/certs.js';

const kind = { group: 'volume.antstor.alipay.com', version: 'v1', kind: 'AntstorVolume' };
const req = (object: unknown, over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({ uid: 'u1', kind, operation: 'CREATE', namespace: 'obnvmf', name: 'v1', object, ...over });
const decodePatch = (p?: string) => (p ? JSON.parse(Buffer.from(p, 'base64').toString('utf8')) : undefined);

describe('webhook: AntstorVolume admission (LiteIO volume_webhook.go)', () => {
  it('defaults the obnvmf/vol-uuid label from spec.uuid', () => {
    assert.deepEqual(volumeDefaults({ metadata: { name: 'v' }, spec: { uuid: 'abc' } }), [{ op: 'add', path: '/metadata/labels', value: { 'obnvmf/vol-uuid': 'abc' } }]);
    // Existing labels are kept; the key is escaped as a JSON pointer.
    assert.deepEqual(volumeDefaults({ metadata: { labels: { a: 'b' } }, spec: { uuid: 'abc' } }), [{ op: 'add', path: '/metadata/labels/obnvmf~1vol-uuid', value: 'abc' }]);
    // A label already set (even to another value) is left alone, as LiteIO does.
    assert.deepEqual(volumeDefaults({ metadata: { labels: { 'obnvmf/vol-uuid': 'other' } }, spec: { uuid: 'abc' } }), []);
    // No uuid: no label to default (validation refuses it).
    assert.deepEqual(volumeDefaults({ spec: {} }), []);
  });

  it('mutates only AntstorVolume CREATEs, answering with a base64 JSON Patch', () => {
    const r = mutateVolume(req({ metadata: { name: 'v1' }, spec: { uuid: 'abc' } }));
    assert.equal(r.allowed, true);
    assert.equal(r.patchType, 'JSONPatch');
    assert.deepEqual(decodePatch(r.patch), [{ op: 'add', path: '/metadata/labels', value: { 'obnvmf/vol-uuid': 'abc' } }]);
    assert.deepEqual(mutateVolume(req({ spec: { uuid: 'abc' } }, { operation: 'UPDATE' })), { uid: 'u1', allowed: true });
    assert.deepEqual(mutateVolume(req({ spec: { uuid: 'abc' } }, { kind: { group: 'volume.antstor.alipay.com', version: 'v1', kind: 'StoragePool' } })), { uid: 'u1', allowed: true });
  });

  it('refuses a CREATE with an empty spec.uuid, naming the object and the field; updates are not validated', () => {
    for (const spec of [{}, { uuid: '' }, { uuid: '  ' }, { uuid: 42 }]) {
      const r = validateVolume(req({ metadata: { name: 'v1' }, spec }));
      assert.equal(r.allowed, false, JSON.stringify(spec));
      assert.equal(r.status?.code, 403);
      assert.equal(r.status?.message, 'AntstorVolume obnvmf/v1: spec.uuid: volume uuid cannot be empty');
    }
    assert.match(validateVolume(req({ metadata: { generateName: 'pvc-' }, spec: {} }, { name: '' })).status!.message, /AntstorVolume obnvmf\/pvc-\*: spec\.uuid/);
    assert.equal(validateVolume(req({ spec: { uuid: 'abc' } })).allowed, true);
    assert.equal(validateVolume(req({ spec: { uuid: '' } }, { operation: 'UPDATE' })).allowed, true);
  });

  it('decodes an AdmissionReview and says what is wrong with one that is not', () => {
    const ok = answerReview(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req({ spec: { uuid: '' } }) }), validateVolume);
    assert.equal(ok.response?.uid, 'u1');
    assert.equal(ok.response?.allowed, false);
    assert.throws(() => answerReview('{', validateVolume), /admission review: the body is not JSON/);
    assert.throws(() => answerReview(JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' }), validateVolume), /expected apiVersion admission\.k8s\.io\/v1, kind AdmissionReview; got admission\.k8s\.io\/v1beta1/);
    assert.throws(() => answerReview(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }), validateVolume), /request\.uid is missing/);
  });
});

describe('webhook: the HTTPS server', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'dct-webhook-'));
  const log = createLogger('silent');

  function post(url: string, ca: string, body: string): Promise<{ status: number; body: string; fingerprint: string }> {
    return new Promise((resolve, reject) => {
      // A fresh connection per request (agent: false), so a rotated certificate is seen on the next one.
      const r = request(url, { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), fingerprint }));
      });
      r.on('error', reject);
      r.end(body);
    });
  }

  it('serves both paths, answers a bad body with 400, and picks up a rotated certificate without a restart', async () => {
    const certs = makeCerts(dir, 'IP:127.0.0.1');
    const tlsDir = join(dir, 'tls');
    mkdirSync(tlsDir);
    copyFileSync(certs.serverCert, join(tlsDir, 'tls.crt'));
    copyFileSync(certs.serverKey, join(tlsDir, 'tls.key'));
    const ca = readFileSync(certs.ca, 'utf8');
    const s = await startWebhookServer({ addr: '127.0.0.1:0', tlsDir, log, reloadEveryMs: 100 });
    try {
      const review = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req({ metadata: { name: 'v1' }, spec: { uuid: '' } }) });
      const [mutPath, valPath] = Object.keys(WEBHOOK_PATHS);
      const v = await post(`${s.url}${valPath}`, ca, review);
      assert.equal(v.status, 200);
      assert.equal(JSON.parse(v.body).response.allowed, false);
      assert.equal(JSON.parse((await post(`${s.url}${mutPath}`, ca, review)).body).response.allowed, true);
      const bad = await post(`${s.url}${valPath}`, ca, 'not json');
      assert.equal(bad.status, 400);
      assert.match(bad.body, /the body is not JSON/);
      assert.equal((await post(`${s.url}/other`, ca, review)).status, 404);

      // Rotation: a new certificate (same CA) written over the files is served within the reload period.
      const next = makeCerts(dir, 'IP:127.0.0.1', 'server2');
      copyFileSync(next.serverCert, join(tlsDir, 'tls.crt'));
      copyFileSync(next.serverKey, join(tlsDir, 'tls.key'));
      const want = new X509Certificate(readFileSync(next.serverCert)).fingerprint256;
      assert.notEqual(v.fingerprint, want);
      const deadline = Date.now() + 10_000;
      let seen = v.fingerprint;
      while (seen !== want && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        seen = (await post(`${s.url}${valPath}`, ca, review)).fingerprint;
      }
      assert.equal(seen, want);
    } finally {
      s.close();
    }
  });

  it('refuses to start without a readable certificate pair, naming --tlsdir', async () => {
    await assert.rejects(startWebhookServer({ addr: '127.0.0.1:0', tlsDir: join(dir, 'nope'), log }), /--tlsdir .*nope: cannot read tls\.crt and tls\.key \(ENOENT\)/);
  });
});
