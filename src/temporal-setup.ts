/**
 * Makes sure the custom search attributes exist in the Temporal namespace. Self-hosted clusters accept the
 * operator call; where it is refused (Temporal Cloud, missing permission) the operator runs without them and
 * says which command registers them.
 */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from './logger.js';
import { SEARCH_ATTRIBUTES } from './workflows/messages.js';

const Indexed = proto.temporal.api.enums.v1.IndexedValueType;

export async function ensureSearchAttributes(connection: Connection, namespace: string, log: Logger): Promise<boolean> {
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    const have = new Set([...Object.keys(res.customAttributes ?? {}), ...Object.keys(res.systemAttributes ?? {})]);
    const missing = SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name));
    if (missing.length === 0) return true;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, Indexed.INDEXED_VALUE_TYPE_KEYWORD])),
    });
    log.info('registered search attributes', { names: missing.map((k) => k.name) });
    return true;
  } catch (e) {
    log.warn(
      'custom search attributes are not registered and cannot be registered from here; running without them. ' +
        `Register with: ${SEARCH_ATTRIBUTES.map((k) => `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type Keyword`).join(' && ')}`,
      { error: (e as Error).message.split('\n')[0] },
    );
    return false;
  }
}
