import { describe, expect, it } from 'vitest';
import { sparkOperationId, uuidV5 } from '../../../lib/idempotency';

describe('idempotency keys', () => {
  it('computes RFC 9562 version-5 UUIDs (published test vector)', () => {
    // RFC 9562 appendix A.4: name "www.example.com" in the DNS namespace.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('derives the same Spark operation id for the same run and job, and different ids otherwise', () => {
    const id = sparkOperationId('pipeline-1', 'count_gender');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sparkOperationId('pipeline-1', 'count_gender')).toBe(id);
    expect(sparkOperationId('pipeline-1', 'count_month')).not.toBe(id);
    expect(sparkOperationId('pipeline-2', 'count_gender')).not.toBe(id);
  });
});
