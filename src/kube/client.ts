/** Kubernetes client setup: a kubeconfig file, KUBECONFIG, or the in-cluster service account. */
import { existsSync } from 'node:fs';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from './client-node.js';
import { keepAliveAuth, makeKeepAliveApiClient } from './keep-alive.js';

export interface KubeClients {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

/** Loads a kubeconfig: the given path, else $KUBECONFIG, else in-cluster, else ~/.kube/config. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  const file = path || process.env['KUBECONFIG'];
  if (file) {
    if (!existsSync(file)) throw new Error(`kubeconfig ${file}: file does not exist`);
    kc.loadFromFile(file);
  } else if (process.env['KUBERNETES_SERVICE_HOST']) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) throw new Error('kubeconfig: no current cluster (set --kubeconfig or KUBECONFIG)');
  return kc;
}

export function makeClients(kc: KubeConfig): KubeClients {
  const auth = keepAliveAuth(kc);
  return {
    kc,
    custom: makeKeepAliveApiClient(kc, auth, CustomObjectsApi),
    core: makeKeepAliveApiClient(kc, auth, CoreV1Api),
    coordination: makeKeepAliveApiClient(kc, auth, CoordinationV1Api),
  };
}
