// The stack registers our search attributes with Temporal on every `up`, also in a namespace (or a database made by
// an older stack) that lacks them: the dev server's --search-attribute flags only reach a database it creates.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTE_KEYS } from '../../../contracts/search-attributes';
import { loadConfig, type Config } from '../../../lib/config';
import { stackUp } from '../../../scripts/stack/stack';
import { until } from '../../support/until';

const base = loadConfig();
let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: base.temporal.address });
});
afterAll(async () => {
  await connection?.close();
});

describe('stackUp on a running stack', () => {
  it('adds the search attributes a namespace lacks', async () => {
    const namespace = `sa-${Date.now()}`;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const custom = () => connection.operatorService.listSearchAttributes({ namespace }).then((r) => Object.keys(r.customAttributes ?? {}));
    const before = await until(custom, () => true, `namespace ${namespace} to answer`, 30_000);
    expect(before).not.toContain('StreamState'); // the flags registered them in "default" only

    const config: Config = { ...base, temporal: { ...base.temporal, namespace } };
    await stackUp(config);
    expect((await custom()).sort()).toEqual(expect.arrayContaining(SEARCH_ATTRIBUTE_KEYS.map((k) => k.name)));
    await stackUp(config); // idempotent: nothing missing, nothing added twice
    expect((await custom()).filter((name) => SEARCH_ATTRIBUTE_KEYS.some((k) => k.name === name))).toHaveLength(
      SEARCH_ATTRIBUTE_KEYS.length,
    );
  });
});
