import { describe, expect, it } from 'vitest';
import type { SparkConnectClient } from '../../../../lib/spark-connect/client';
import type { Command, ExecutePlanResponse } from '../../../../lib/spark-connect/proto';
import { kafkaStreamRelation } from '../../../../lib/spark-connect/relations';
import { kafkaOffsets, StreamingQueries } from '../../../../lib/spark-connect/streaming';

/** A client whose `command` records what it is sent and answers with `answer(command)`. */
function fakeClient(answer: (command: Command) => Partial<ExecutePlanResponse>) {
  const sent: Command[] = [];
  const client = {
    async command(command: Command) {
      sent.push(command);
      return [{ response_id: '1' }, answer(command), { result_complete: {} }] as ExecutePlanResponse[];
    },
  } as unknown as SparkConnectClient;
  return { client, sent };
}

const query = { id: 'q1', runId: 'r1' };

describe('StreamingQueries', () => {
  it('starts a query with its sink, options, checkpoint, trigger, output mode and name, and returns its ids', async () => {
    const { client, sent } = fakeClient(() => ({
      write_stream_operation_start_result: { query_id: { id: 'q1', run_id: 'r1' }, name: 'n' },
    }));
    const input = kafkaStreamRelation({ bootstrapServers: 'k:9092', topic: 't', startingOffsets: 'earliest' });
    const started = await new StreamingQueries(client).start({
      input,
      format: 'kafka',
      options: { topic: 'out' },
      checkpointLocation: '/cp',
      trigger: { processingTime: '1 second' },
      outputMode: 'update',
      queryName: 'n',
    });
    expect(started).toEqual({ id: 'q1', runId: 'r1', name: 'n' });
    expect(sent[0]).toEqual({
      write_stream_operation_start: {
        input,
        format: 'kafka',
        options: [
          { key: 'topic', value: 'out' },
          { key: 'checkpointLocation', value: '/cp' },
        ],
        processing_time_interval: '1 second',
        output_mode: 'update',
        query_name: 'n',
      },
    });
  });

  it('lists active queries and finds one by name', async () => {
    const { client, sent } = fakeClient(() => ({
      streaming_query_manager_command_result: {
        active: { active_queries: [{ id: { id: 'q1', run_id: 'r1' }, name: 'a' }, { id: { id: 'q2', run_id: 'r2' } }] },
      },
    }));
    const queries = new StreamingQueries(client);
    expect(await queries.active()).toEqual([
      { id: 'q1', runId: 'r1', name: 'a' },
      { id: 'q2', runId: 'r2' },
    ]);
    expect(await queries.findActive('a')).toEqual({ id: 'q1', runId: 'r1', name: 'a' });
    expect(await queries.findActive('b')).toBeUndefined();
    expect(sent[0]).toEqual({ streaming_query_manager_command: { active: true } });
  });

  it('addresses a query by id and run id, and parses its progress reports', async () => {
    const progress = { batchId: 7, numInputRows: 10, sources: [] };
    const { client, sent } = fakeClient((command) => {
      const c = 'streaming_query_command' in command ? command.streaming_query_command : undefined;
      if (c?.status) return { streaming_query_command_result: { status: { status_message: 'Waiting for data', is_active: true } } };
      if (c?.exception) return { streaming_query_command_result: { exception: { exception_message: 'boom', error_class: 'X' } } };
      return { streaming_query_command_result: { recent_progress: { recent_progress_json: [JSON.stringify(progress)] } } };
    });
    const queries = new StreamingQueries(client);
    expect(await queries.status(query)).toEqual({
      message: 'Waiting for data',
      isActive: true,
      isDataAvailable: false,
      isTriggerActive: false,
    });
    expect(await queries.lastProgress(query)).toEqual(progress);
    expect(await queries.exception(query)).toEqual({ message: 'boom', errorClass: 'X' });
    await queries.stop(query);
    expect(sent.map((c) => 'streaming_query_command' in c && c.streaming_query_command)).toEqual([
      { query_id: { id: 'q1', run_id: 'r1' }, status: true },
      { query_id: { id: 'q1', run_id: 'r1' }, last_progress: true },
      { query_id: { id: 'q1', run_id: 'r1' }, exception: true },
      { query_id: { id: 'q1', run_id: 'r1' }, stop: true },
    ]);
  });

  it('says so when the server answers without the result it was asked for', async () => {
    const { client } = fakeClient(() => ({}));
    await expect(new StreamingQueries(client).active()).rejects.toThrow(/without a streaming_query_manager_command_result/);
  });
});

describe('kafkaOffsets', () => {
  it('reads a Kafka source’s offsets for one topic, as an object or as its JSON text', () => {
    expect(kafkaOffsets({ t: { '0': 5, '1': 7 } }, 't')).toEqual(
      new Map([
        [0, 5],
        [1, 7],
      ]),
    );
    expect(kafkaOffsets('{"t":{"0":5}}', 't')).toEqual(new Map([[0, 5]]));
    expect(kafkaOffsets(null, 't')).toEqual(new Map());
  });
});
