/**
 * LiteIO's AntstorVolume webhook (`volume_webhook.go`) as pure functions over AdmissionReview v1:
 *  - defaulting: the label `obnvmf/vol-uuid` is set from `spec.uuid` when missing. LiteIO's `Default()` also sets
 *    `status.status` to `creating`, which has no effect: the API server drops `status` from a create of a kind
 *    with a status subresource (seen in test/e2e/webhook.test.ts); the controller sets it when it binds;
 *  - validation: a CREATE with an empty `spec.uuid` is refused ("volume uuid cannot be empty", LiteIO's text,
 *    prefixed with the object and the field). Updates and deletes are not validated, as in LiteIO.
 * No I/O here: the HTTPS server (server.ts) decodes and encodes.
 */
import { GROUP, KIND_VOLUME, Labels } from '../api/constants.js';

/** The parts of an admission.k8s.io/v1 AdmissionReview this webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  namespace?: string;
  name?: string;
  object?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  patchType?: 'JSONPatch';
  /** base64 of a JSON Patch (RFC 6902). */
  patch?: string;
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

type JsonPatchOp = { op: 'add' | 'replace'; path: string; value: unknown };

interface VolumeLike {
  metadata?: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { uuid?: unknown };
}

/** JSON Pointer escaping of one path segment (RFC 6901): `obnvmf/vol-uuid` → `obnvmf~1vol-uuid`. */
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function objectName(req: AdmissionRequest, v: VolumeLike): string {
  const ns = req.namespace ?? v.metadata?.namespace ?? '';
  const name = req.name || v.metadata?.name || (v.metadata?.generateName ? `${v.metadata.generateName}*` : '(unnamed)');
  return ns ? `${ns}/${name}` : name;
}

function isVolume(req: AdmissionRequest): boolean {
  return req.kind?.kind === KIND_VOLUME && (req.kind.group ?? GROUP) === GROUP;
}

/** The defaulting patch for a volume (empty when nothing is missing). */
export function volumeDefaults(v: VolumeLike): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const uuid = typeof v.spec?.uuid === 'string' ? v.spec.uuid : '';
  if (uuid && v.metadata?.labels?.[Labels.VolUUID] === undefined) {
    ops.push(
      v.metadata?.labels
        ? { op: 'add', path: `/metadata/labels/${pointer(Labels.VolUUID)}`, value: uuid }
        : { op: 'add', path: '/metadata/labels', value: { [Labels.VolUUID]: uuid } },
    );
  }
  return ops;
}

/** The mutating webhook's answer: allowed, with the defaults as a JSON Patch. Other kinds pass untouched. */
export function mutateVolume(req: AdmissionRequest): AdmissionResponse {
  if (!isVolume(req) || req.operation !== 'CREATE' || typeof req.object !== 'object' || req.object === null) return { uid: req.uid, allowed: true };
  const ops = volumeDefaults(req.object as VolumeLike);
  if (ops.length === 0) return { uid: req.uid, allowed: true };
  return { uid: req.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
}

/** The validating webhook's answer: a CREATE with an empty spec.uuid is refused, naming the object and field. */
export function validateVolume(req: AdmissionRequest): AdmissionResponse {
  if (!isVolume(req) || req.operation !== 'CREATE') return { uid: req.uid, allowed: true };
  const v = (typeof req.object === 'object' && req.object !== null ? req.object : {}) as VolumeLike;
  const uuid = v.spec?.uuid;
  if (typeof uuid !== 'string' || uuid.trim() === '') {
    return {
      uid: req.uid,
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: `AntstorVolume ${objectName(req, v)}: spec.uuid: volume uuid cannot be empty` },
    };
  }
  return { uid: req.uid, allowed: true };
}

/**
 * Decodes an AdmissionReview body and answers it with `decide`; a body that is not one is an error naming what
 * is wrong (the server answers it with 400; the API server then applies the webhook's failurePolicy).
 */
export function answerReview(body: string, decide: (req: AdmissionRequest) => AdmissionResponse): AdmissionReview {
  let review: AdmissionReview;
  try {
    review = JSON.parse(body) as AdmissionReview;
  } catch (e) {
    throw new Error(`admission review: the body is not JSON (${(e as Error).message})`);
  }
  if (review?.kind !== 'AdmissionReview' || review.apiVersion !== 'admission.k8s.io/v1')
    throw new Error(`admission review: expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got ${String(review?.apiVersion)} ${String(review?.kind)}`);
  const req = review.request;
  if (!req || typeof req.uid !== 'string' || !req.uid) throw new Error('admission review: request.uid is missing');
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: decide(req) };
}
