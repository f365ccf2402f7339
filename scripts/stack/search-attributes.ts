// Streamforge's custom search attributes on a Temporal server: the dev server's (single topology) and the real
// server's (cluster topology) are registered the same way.
import type { Connection } from '@temporalio/client';
import { INDEXED_VALUE_TYPES, SEARCH_ATTRIBUTE_KEYS } from '../../contracts/search-attributes';

/** Adds those of our search attributes the namespace lacks; true when it added any. */
export async function addMissingSearchAttributes(connection: Connection, namespace: string): Promise<boolean> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => !(k.name in (customAttributes ?? {})));
  if (missing.length === 0) return false;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED_VALUE_TYPES[k.type]])),
  });
  return true;
}
