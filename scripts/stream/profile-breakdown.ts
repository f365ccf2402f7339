// `npm run stream:profile -- <recording.jfr>`: where the Spark Connect JVM's CPU went while a stream ran, from a
// JDK Flight Recorder recording (docs/streaming-profile.md says how to take one): the share of execution samples
// whose stack holds each part of a record's path, and the hottest methods by self time.
import { execFileSync } from 'node:child_process';

/** A part of a record's path, and the frames (substrings of `class.method`) that say a sample is in it. */
export const PARTS: readonly { part: string; frames: readonly string[] }[] = [
  { part: 'JSON parsed for its keys (json_object_keys: the unknown-field check)', frames: ['JsonExpressionUtils.jsonObjectKeys'] },
  { part: 'the keys compared with the known fields (array_except: hash sets)', frames: ['SQLOpenHashSet'] },
  { part: 'JSON parsed into the record (from_json)', frames: ['JsonToStructs', 'JacksonParser'] },
  { part: "state: each batch copies the previous version's map (HDFS-backed store)", frames: ['getLoadedMapForStore'] },
  { part: 'state: every key visited (watermark eviction)', frames: ['NoPrefixHDFSBackedStateStoreMap.$anonfun$iterator'] },
  { part: 'state: de-duplication look-ups and puts', frames: ['ReadStateStore.keyExists', 'putDupInfoIntoState'] },
  { part: "the batch's aggregation by (kind, group, window) (generated hash aggregate)", frames: ['hashAgg_doAggregate'] },
  {
    part: 'state: delta and snapshot files (commit, maintenance)',
    frames: ['HDFSBackedStateStore.commit', 'doMaintenance', 'writeSnapshotFile'],
  },
  { part: 'Kafka source read', frames: ['KafkaDataConsumer', 'org/apache/kafka/clients/consumer'] },
  { part: 'Kafka sink write', frames: ['KafkaWriteTask', 'org/apache/kafka/clients/producer'] },
  { part: 'SQLConf look-ups', frames: ['SQLConf$.get'] },
];

interface Frame {
  method: { type: { name: string }; name: string };
}
interface Sample {
  values: { stackTrace?: { frames: Frame[] } };
}

export interface Breakdown {
  samples: number;
  parts: { part: string; share: number }[];
  selfTop: { method: string; share: number }[];
}

/** Shares of `samples` (jdk.ExecutionSample events): per part (a sample may be in several) and per hottest method. */
export function breakdown(samples: readonly Sample[], top = 15): Breakdown {
  const inPart = new Map<string, number>();
  const self = new Map<string, number>();
  for (const sample of samples) {
    const names = (sample.values.stackTrace?.frames ?? []).map((f) => `${f.method.type.name}.${f.method.name}`);
    if (names[0] !== undefined) self.set(names[0], (self.get(names[0]) ?? 0) + 1);
    for (const { part, frames } of PARTS) {
      if (names.some((name) => frames.some((f) => name.includes(f)))) inPart.set(part, (inPart.get(part) ?? 0) + 1);
    }
  }
  const share = (n: number) => (samples.length ? n / samples.length : 0);
  return {
    samples: samples.length,
    parts: PARTS.map(({ part }) => ({ part, share: share(inPart.get(part) ?? 0) })),
    selfTop: [...self]
      .sort(([, a], [, b]) => b - a)
      .slice(0, top)
      .map(([method, n]) => ({ method, share: share(n) })),
  };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: npm run stream:profile -- <recording.jfr>   (the JDK's jfr tool must be on PATH)\n");
    process.exit(2);
  }
  const json = execFileSync('jfr', ['print', '--json', '--events', 'jdk.ExecutionSample', file], { maxBuffer: 1 << 30 }).toString();
  const result = breakdown((JSON.parse(json) as { recording: { events: Sample[] } }).recording.events);
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(`${result.samples} execution samples\n\nshare of samples in each part of a record's path:\n`);
  for (const { part, share } of result.parts) process.stdout.write(`${pct(share)}  ${part}\n`);
  process.stdout.write('\nhottest methods (self):\n');
  for (const { method, share } of result.selfTop) process.stdout.write(`${pct(share)}  ${method}\n`);
}
