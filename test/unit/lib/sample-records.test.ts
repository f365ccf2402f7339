// The warm-up's sample records pass the checks of the definition they are made for.
import { describe, expect, it } from 'vitest';
import { recordShape } from '../../../contracts/definitions';
import { parseRecords } from '../../../contracts/records';
import { loadDefinitions } from '../../../lib/definitions';
import { sampleRecords } from '../../../lib/sample-records';
import { DEFINITIONS_DIR } from '../../support/plans';

describe('sampleRecords', () => {
  it.each(['employees', 'orders'])('makes records that %s accepts, each key once', (name) => {
    const definition = loadDefinitions(DEFINITIONS_DIR).definitions.get(name)!;
    const records = sampleRecords(definition, 40);
    expect(parseRecords(records, recordShape(definition))).toHaveLength(40);
  });
});
