import { describe, expect, it } from 'vitest';
import type { StreamPlan } from '../../../../contracts/definitions';
import { parseStreamInput, type StreamSpec } from '../../../../contracts/streams';
import { aggregateSql, RECORDS_METRIC, streamingJob } from '../../../../spark/jobs/streaming';

/** A plan written out here: two fields, one section. */
const plan: StreamPlan = {
  definition: 'emp',
  version: 'abc',
  job: 'live',
  fields: [
    ['gender', { type: 'string', required: true, nullable: false, values: ['F', 'M'] }],
    ['salary', { type: 'double', required: false, nullable: true, min: 0 }],
    ['hired', { type: 'date', required: false, nullable: false }],
  ],
  sections: [
    [
      'by_gender',
      {
        groupBy: [['gender', 'gender']],
        measures: [
          ['n', { fn: 'count', expression: '*' }],
          ['mean', { fn: 'avg', expression: 'salary' }],
        ],
      },
    ],
  ],
};
const spec: StreamSpec = {
  ...parseStreamInput({ name: 'emp', windowSeconds: 15, watermarkSeconds: 45, triggerMs: 2000, maxRecordsPerBatch: 1000 }),
  plan,
};
const job = streamingJob(spec, { bootstrapServers: 'kafka:9092', checkpointLocation: '/state/checkpoints/emp', resultsVersion: 'v9' });

/** The relation's layers, outermost first, as [kind, node]. */
function layers(relation: any): [string, any][] {
  const out: [string, any][] = [];
  for (let r = relation; r;) {
    const kind = Object.keys(r).find((k) => k !== 'common')!;
    out.push([kind, r[kind]]);
    r = kind === 'with_relations' ? r[kind].references[0].subquery_alias.input : r[kind].input;
  }
  return out;
}

describe('the streaming job', () => {
  it('reads the stream’s topic as a stream, watermarks it by event time, drops duplicate message keys within the watermark, then splits and counts records', () => {
    const [aggregate, counted, split, dedup, watermark, keyed, source] = layers(job.input);
    expect(aggregate![0]).toBe('with_relations');
    expect(aggregate![1].references[0].subquery_alias.alias).toBe('records_streamforge_stream_emp');
    expect(counted).toEqual([
      'collect_metrics',
      expect.objectContaining({ name: RECORDS_METRIC, metrics: [{ expression_string: { expression: 'count(1) AS records' } }] }),
    ]);
    expect(split![1].references[0].subquery_alias.alias).toBe('messages_streamforge_stream_emp');
    expect(split![1].root.sql.query).toContain(
      "explode(CASE WHEN startswith(json, '[') THEN coalesce(from_json(json, 'ARRAY<STRING>'), array(json))",
    );
    expect(dedup).toEqual(['deduplicate', expect.objectContaining({ column_names: ['record_key'], within_watermark: true })]);
    expect(watermark).toEqual(['with_watermark', expect.objectContaining({ event_time: 'event_time', delay_threshold: '45 seconds' })]);
    expect(keyed![1].references[0].subquery_alias.alias).toBe('source_streamforge_stream_emp');
    expect(source![0]).toBe('read');
    expect(source![1].is_streaming).toBe(true);
    expect(source![1].data_source.options).toEqual(
      expect.arrayContaining([
        { key: 'subscribe', value: 'streamforge.stream.emp' },
        { key: 'startingOffsets', value: 'earliest' },
        { key: 'maxOffsetsPerTrigger', value: '1000' },
        { key: 'kafka.bootstrap.servers', value: 'kafka:9092' },
      ]),
    );
  });

  it('gives each level of nested SQL its own plan ids', () => {
    const [aggregate, , split, , , keyed] = layers(job.input);
    const ids = [aggregate, split, keyed].map((layer) => layer![1].references[0].common.plan_id);
    expect(new Set(ids).size).toBe(3);
  });

  it('writes keyed aggregates to the results topic in update mode, from its checkpoint, on its trigger', () => {
    expect(job).toMatchObject({
      format: 'kafka',
      options: { 'kafka.bootstrap.servers': 'kafka:9092', topic: 'streamforge.stream.emp.results' },
      checkpointLocation: '/state/checkpoints/emp',
      trigger: { processingTime: '2000 milliseconds' },
      outputMode: 'update',
      queryName: 'streamforge_stream_emp',
    });
  });

  it('aggregates per section, group and event-time window of the configured size, keyed under the results version', () => {
    const sql = aggregateSql(plan, 15, 'v9');
    expect(sql).toContain("GROUP BY _t.section, _t._g0_0, window(_event_time, '15 seconds')");
    expect(sql).toContain("concat_ws('|', 'v9', section, CAST(unix_millis(_w.start) AS STRING)");
    // the measures' partials: avg as count and sum
    expect(sql).toContain('count(_m0_1) AS _p0_1_count');
    expect(sql).toContain('sum(CAST(_m0_1 AS DOUBLE)) AS _p0_1_sum');
  });

  it('validates each record against the declared fields: only they, required, nullable, constraints', () => {
    const sql = aggregateSql(plan, 15, 'v9');
    expect(sql).toContain("forall(_keys, k -> k IN ('gender', 'salary', 'hired'))");
    expect(sql).toContain('`gender` IS NOT NULL');
    expect(sql).toContain("`gender` IN ('F', 'M')");
    expect(sql).toContain('(`salary` IS NULL OR (`salary` BETWEEN');
    expect(sql).toContain('`salary` >= 0');
    // optional, not nullable: absent, or present with a value
    expect(sql).toContain("(`hired` IS NOT NULL OR NOT array_contains(_keys, 'hired'))");
    // a date's text that is not a date
    expect(sql).toContain('(_r.`hired` IS NULL OR `hired` IS NOT NULL)');
  });
});
