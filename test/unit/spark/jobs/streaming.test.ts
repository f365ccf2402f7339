import { describe, expect, it } from 'vitest';
import { parseStreamInput } from '../../../../contracts/streams';
import { aggregateSql, streamingJob } from '../../../../spark/jobs/streaming';

const spec = parseStreamInput({ name: 'emp', windowSeconds: 15, watermarkSeconds: 45, triggerMs: 2000, maxRecordsPerBatch: 1000 });
const job = streamingJob(spec, { bootstrapServers: 'kafka:9092', checkpointLocation: '/state/checkpoints/emp' });

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
  it('reads the stream’s topic as a stream, watermarks it by event time and drops duplicate record keys within the watermark', () => {
    const [aggregate, dedup, watermark, keyed, source] = layers(job.input);
    expect(aggregate![0]).toBe('with_relations');
    expect(aggregate![1].references[0].subquery_alias.alias).toBe('records_streamforge_stream_emp');
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
    const [aggregate, , , keyed] = layers(job.input);
    expect(aggregate![1].references[0].common.plan_id).not.toBe(keyed![1].references[0].common.plan_id);
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

  it('aggregates per event-time window of the configured size, keyed by kind, group and window', () => {
    const sql = aggregateSql(15);
    expect(sql).toContain("GROUP BY kind, grp, window(event_time, '15 seconds')");
    expect(sql).toContain("concat_ws('|', kind, grp, CAST(unix_millis(w.start) AS STRING)) AS key");
    // every field the records contract allows, and nothing else, makes a valid record
    expect(sql).toContain("forall(fields, f -> f IN ('id', 'name', 'gender', 'salary', 'birth_date', 'department'))");
  });
});
