import { describe, expect, it } from 'vitest';
import { runStartAttributes } from '../../../contracts/search-attributes';

/** The pairs as `name: value`, as the Web UI shows them. */
const shown = (input: Parameters<typeof runStartAttributes>[0]) =>
  Object.fromEntries(runStartAttributes(input).map(({ key, value }) => [key.name, value]));

describe('runStartAttributes', () => {
  it('gives what the input names: the pipeline (employees when none), the jobs, the inline records or groups counted', () => {
    expect(shown({ records: [{}, {}, {}], jobs: ['count_gender'] })).toEqual({
      StreamforgePipeline: ['employees'],
      PipelineJobs: ['count_gender'],
      RecordCount: 3,
    });
    expect(
      shown({
        pipeline: 'orders',
        groups: [
          { id: 'a', records: [{}] },
          { id: 'b', records: [{}, {}] },
        ],
      }),
    ).toEqual({
      StreamforgePipeline: ['orders'],
      RecordCount: 3,
    });
  });

  it('leaves out what only the run learns: the records of a file, the jobs of a definition', () => {
    expect(shown({ pipeline: 'orders', file: 'orders.jsonl' })).toEqual({ StreamforgePipeline: ['orders'] });
  });
});
