/** Loads the CRD manifests shipped in deploy/crds. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
// The typed CRD model maps JSON keys like x-kubernetes-int-or-string to camelCase fields; without this
// conversion (ObjectSerializer) the client would drop them when serialising.
import { ObjectSerializer, type V1CustomResourceDefinition } from '../kube/client-node.js';
import { REPO_ROOT } from './bins.js';

export const CRD_DIR = join(REPO_ROOT, 'deploy', 'crds');

export function loadCrds(dir = CRD_DIR): V1CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ObjectSerializer.deserialize(parse(readFileSync(join(dir, f), 'utf8')), 'V1CustomResourceDefinition', '') as V1CustomResourceDefinition);
}
