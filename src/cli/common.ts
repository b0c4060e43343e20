/** Flags shared by the commands, and turning them into operator options. */
import { loadControllerConfig } from '../config/controller-config.js';
import { DEFAULT_NAMESPACE } from '../api/constants.js';
import type { TemporalTarget } from '../temporal-connection.js';
import { decodeDbInfo, parseGoMysqlDsn, type MysqlTarget } from '../plugins/metasync/dsn.js';

export const commonOptions = {
  config: { type: 'string' },
  namespace: { type: 'string' },
  'temporal-address': { type: 'string' },
  'temporal-namespace': { type: 'string' },
  'temporal-tls-ca': { type: 'string' },
  'temporal-tls-cert': { type: 'string' },
  'temporal-tls-key': { type: 'string' },
  'temporal-tls-server-name': { type: 'string' },
  'task-queue': { type: 'string' },
  kubeconfig: { type: 'string' },
  dbInfo: { type: 'string' },
  obConnInfo: { type: 'string' },
  k8sCluster: { type: 'string' },
} as const;

export const commonUsage = `  --config PATH                  controller config YAML (LiteIO format: scheduler, pluginConfigs); default: embedded default
  --namespace NS                 namespace of StoragePools and AntstorVolumes (default ${DEFAULT_NAMESPACE}, env WATCH_NAMESPACE)
  --kubeconfig PATH              kubeconfig (default: KUBECONFIG, in-cluster, ~/.kube/config)
  --temporal-address HOST:PORT   Temporal frontend (env TEMPORAL_ADDRESS, default 127.0.0.1:7233)
  --temporal-namespace NS        Temporal namespace (env TEMPORAL_NAMESPACE, default "default")
  --temporal-tls-ca / --temporal-tls-cert / --temporal-tls-key / --temporal-tls-server-name
                                 TLS / mTLS to Temporal (PEM files; env TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY)
  --task-queue NAME              Temporal task queue (default disk-controller)
  --dbInfo B64 / --obConnInfo B64  MetaSync: base64 of a Go MySQL DSN (env DB_INFO, better: from a Secret)
  --k8sCluster NAME              MetaSync: the cluster_name column (required with --dbInfo; env K8S_CLUSTER_NAME)`;

type V = Record<string, unknown>;
const str = (v: V, k: string, env?: string): string | undefined => (v[k] as string | undefined) ?? (env ? process.env[env] : undefined);

export function temporalTarget(v: V, address?: string): TemporalTarget {
  const ca = str(v, 'temporal-tls-ca', 'TEMPORAL_TLS_CA');
  const cert = str(v, 'temporal-tls-cert', 'TEMPORAL_TLS_CERT');
  const key = str(v, 'temporal-tls-key', 'TEMPORAL_TLS_KEY');
  const serverName = str(v, 'temporal-tls-server-name', 'TEMPORAL_TLS_SERVER_NAME');
  if ((cert && !key) || (key && !cert)) throw new Error('--temporal-tls-cert and --temporal-tls-key go together');
  return {
    address: address ?? str(v, 'temporal-address', 'TEMPORAL_ADDRESS') ?? '127.0.0.1:7233',
    namespace: str(v, 'temporal-namespace', 'TEMPORAL_NAMESPACE') ?? 'default',
    ...(ca || cert || serverName
      ? { tls: { ...(ca ? { caPath: ca } : {}), ...(cert ? { certPath: cert, keyPath: key! } : {}), ...(serverName ? { serverName } : {}) } }
      : {}),
  };
}

export const watchNamespace = (v: V): string => str(v, 'namespace', 'WATCH_NAMESPACE') ?? DEFAULT_NAMESPACE;
export const controllerConfig = (v: V) => loadControllerConfig(str(v, 'config', 'CONTROLLER_CONFIG'));

/** LiteIO's MetaSync flags. Every error names the flag and never contains the password. */
export function metasyncOption(v: V): { target: MysqlTarget; cluster: string } | undefined {
  const a = v['dbInfo'] as string | undefined;
  const b = v['obConnInfo'] as string | undefined;
  if (a !== undefined && b !== undefined && a !== b)
    throw new Error('--dbInfo and --obConnInfo are one flag under two names (LiteIO docs / LiteIO code): give one');
  const flag = a !== undefined ? '--dbInfo' : b !== undefined ? '--obConnInfo' : 'DB_INFO';
  const raw = a ?? b ?? process.env['DB_INFO'];
  if (raw === undefined || raw === '') return undefined;
  let target: MysqlTarget;
  try {
    target = parseGoMysqlDsn(decodeDbInfo(raw, flag));
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(flag) ? msg : `${flag}: ${msg}`);
  }
  const cluster = (v['k8sCluster'] as string | undefined) ?? process.env['K8S_CLUSTER_NAME'];
  if (!cluster) throw new Error(`--k8sCluster is required with ${flag}: it fills the cluster_name column`);
  return { target, cluster };
}
