/** Classifying Kubernetes API errors without leaking request details (tokens never appear in them). */

export interface KubeStatusError {
  code: number;
  reason: string;
  message: string;
}

/** Extracts HTTP code, Status reason and message from a client-node ApiException or a network error. */
export function kubeError(e: unknown): KubeStatusError {
  const err = e as { code?: unknown; body?: unknown; message?: string };
  if (typeof err?.code === 'number') {
    let reason = '';
    let message = '';
    if (typeof err.body === 'string') {
      try {
        const b = JSON.parse(err.body) as { reason?: string; message?: string };
        reason = b.reason ?? '';
        message = b.message ?? '';
      } catch {
        message = err.body.slice(0, 300);
      }
    }
    return { code: err.code, reason, message: message || `HTTP ${err.code}` };
  }
  return { code: 0, reason: 'NetworkError', message: (err?.message ?? String(e)).split('\n')[0]! };
}

export const isNotFound = (e: unknown): boolean => kubeError(e).code === 404;
export const isConflict = (e: unknown): boolean => kubeError(e).code === 409;

/** An Error whose text says which object and operation failed, and why. */
export function describeKubeError(op: string, what: string, e: unknown): Error {
  const k = kubeError(e);
  const err = new Error(`${op} ${what}: ${k.code ? `${k.code} ${k.reason}: ` : ''}${k.message}`);
  err.name = k.code === 0 ? 'KubeUnreachable' : 'KubeApiError';
  return err;
}
