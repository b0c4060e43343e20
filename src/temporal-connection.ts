/**
 * Connections to Temporal from a TemporalTarget (address, namespace, TLS files), shared by the operator and the
 * CLI commands that talk to Temporal (explain), so every command honours the same TLS flags. PEM files are read
 * here; an unreadable one is an error naming its flag, never its content.
 */
import { readFileSync } from 'node:fs';
import { Connection, type TLSConfig } from '@temporalio/client';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Paths of PEM files for TLS / mTLS (read here, never logged). */
  tls?: { caPath?: string; certPath?: string; keyPath?: string; serverName?: string };
}

function readPem(flag: string, path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${flag} ${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The SDK's TLS options for a target; undefined for plaintext. */
export function temporalTlsOptions(t: TemporalTarget): TLSConfig | undefined {
  if (!t.tls) return undefined;
  const ca = readPem('--temporal-tls-ca', t.tls.caPath);
  const cert = readPem('--temporal-tls-cert', t.tls.certPath);
  const key = readPem('--temporal-tls-key', t.tls.keyPath);
  return {
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(t.tls.serverName ? { serverNameOverride: t.tls.serverName } : {}),
    ...(cert && key ? { clientCertPair: { crt: cert, key } } : {}),
  };
}

/** A client connection, with an error that names the address instead of the SDK's bare deadline message. */
export async function connectTemporal(t: TemporalTarget): Promise<Connection> {
  const tls = temporalTlsOptions(t);
  return Connection.connect({ address: t.address, ...(tls ? { tls } : {}) }).catch((e) => {
    throw new Error(`Temporal at ${t.address}${tls ? ' (TLS)' : ''}: cannot connect: ${(e as Error).message.split('\n')[0]}`);
  });
}
