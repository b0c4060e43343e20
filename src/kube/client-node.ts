/**
 * The parts of @kubernetes/client-node this project uses, imported from this one module only.
 *
 * Why: client-node's package entry loads all of it — every generated API class of every group in three layers
 * (ObservableAPI.js alone is 6 MB of source) and ~700 models. V8 keeps the source text of every module it loaded,
 * and more: loading the package costs ~27 MiB of live heap and ~70 MiB of RSS, more than a quarter of the
 * controller's memory at W1 (README, Performance -> v0.19.0). The build (`npm run build`,
 * scripts/bundle-client-node.ts) replaces this module's compiled output with an esbuild bundle of just these
 * exports and what they reach, tree-shaken and minified: ~8 MiB of heap and ~16 MiB of RSS. Without that step
 * (a bare `tsc`) this file is a plain re-export and everything still works, only heavier.
 *
 * Add a name here when you need more of client-node; importing the package anywhere else loads all of it again
 * (and a second copy of its classes, which `instanceof` does not mix).
 */
export {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  ListWatch,
  PatchStrategy,
  RbacAuthorizationV1Api,
  ServerConfiguration,
  V1MicroTime,
  Watch,
  createConfiguration,
  setHeaderOptions,
} from '@kubernetes/client-node';
// The generated models' serializer (the package entry does not export it): turns a CRD manifest's JSON keys into
// the typed model's fields for the embedded control plane. The bundle reaches it anyway, through the APIs.
export { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
export type {
  Configuration,
  Informer,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
  RequestContext,
  SecurityAuthentication,
  V1CustomResourceDefinition,
  V1Node,
} from '@kubernetes/client-node';
