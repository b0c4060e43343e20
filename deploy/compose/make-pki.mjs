// Writes a dev-only token file, service-account key and kubeconfig for the compose stack into /pki.
// The token is random per volume; nothing here is meant for production.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';

const dir = '/pki';
if (!existsSync(`${dir}/tokens.csv`)) {
  const token = randomBytes(24).toString('hex');
  writeFileSync(`${dir}/tokens.csv`, `${token},compose-admin,compose-admin,"system:masters"\n`, { mode: 0o644 });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(`${dir}/sa.key`, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o644 });
  writeFileSync(
    `${dir}/kubeconfig`,
    `apiVersion: v1
kind: Config
clusters: [{name: compose, cluster: {server: "https://kube-apiserver:6443", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: "${token}"}}]
contexts: [{name: compose, context: {cluster: compose, user: admin}}]
current-context: compose
`,
    { mode: 0o644 },
  );
}
console.log('pki ready');
