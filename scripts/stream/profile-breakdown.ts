// `npm run stream:profile -- <recording.jfr>`: where the Spark Connect JVM's CPU went while a stream ran, from a
// JDK Flight Recorder recording (docs/streaming-profile.md says how to take one): the share of execution samples
// whose stack holds each part of a record's path, and the hottest methods by self time.
import { execFileSync } from 'node:child_process';

/** A part of a record's path, and the frames (substrings of `class.method`) that say a sample is in it. */
export const PARTS: readonly { part: string; frames: readonly string[] }[] = [
  // The split is the one Generate outside generated code (the sections' explode runs inside it).
  { part: 'a message split into its records (its JSON array read, each element written back as text)', frames: ['GenerateExec'] },
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

/**
 * The same samples counted once each, for a budget that adds up to 100 %: a sample goes to the first of these parts
 * (in this order) that one of its frames names, else to `OTHER`. The order puts a sample in the expression it runs
 * for: a configuration read inside from_json is from_json's, a parse inside the split is the split's.
 */
export const BUDGET_PARTS: readonly { part: string; frames: readonly string[] }[] = [
  { part: 'the split: a message read as a JSON array, each record written back as text', frames: ['GenerateExec', 'JsonGenerator'] },
  { part: 'the unknown-field check: a record parsed for its keys', frames: ['jsonObjectKeys'] },
  { part: 'a record parsed into its fields (from_json)', frames: ['JsonToStructs', 'JacksonParser', 'com/fasterxml/jackson'] },
  { part: 'state stores: de-duplication and the aggregation, their commits', frames: ['StateStore'] },
  { part: 'Kafka: source read, sink write', frames: ['org/apache/kafka', 'KafkaDataConsumer', 'KafkaWriteTask'] },
  {
    part: 'validation: the fields checked (IN, forall, patterns, casts)',
    frames: ['expressions/In.', 'Collation', 'PhysicalStringType', 'HigherOrderFunction', 'RLike', 'TimestampFormatter', 'Cast'],
  },
  { part: 'the aggregation by (section, group, window) (generated hash aggregate)', frames: ['hashAgg', 'HashAggregate'] },
  { part: 'shuffles: rows written and read between stages', frames: ['shuffle/', 'Shuffle', 'RowBasedChecksum', 'XXH64'] },
  { part: 'configuration read per row (SQLConf, ConfigReader)', frames: ['SQLConf', 'ConfigReader', 'ConfigEntry'] },
];
export const OTHER = 'other: rows projected and copied, tasks and batches run, what the sampled stack (64 frames) cut off';

/** Each sample in one part of BUDGET_PARTS (or OTHER): shares that add up to 1. */
export function budget(samples: readonly Sample[]): { part: string; share: number }[] {
  const counts = new Map<string, number>();
  for (const sample of samples) {
    const names = frameNames(sample);
    const part = BUDGET_PARTS.find(({ frames }) => names.some((name) => frames.some((f) => name.includes(f))))?.part ?? OTHER;
    counts.set(part, (counts.get(part) ?? 0) + 1);
  }
  return [...BUDGET_PARTS.map(({ part }) => part), OTHER].map((part) => ({
    part,
    share: samples.length ? (counts.get(part) ?? 0) / samples.length : 0,
  }));
}

/** A sample's frames as `class.method`, innermost first. */
function frameNames(sample: Sample): string[] {
  return (sample.values.stackTrace?.frames ?? []).map((f) => `${f.method.type.name}.${f.method.name}`);
}

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
    const names = frameNames(sample);
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
  const events = (JSON.parse(json) as { recording: { events: Sample[] } }).recording.events;
  const result = breakdown(events);
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(`${result.samples} execution samples\n\nshare of samples in each part of a record's path:\n`);
  for (const { part, share } of result.parts) process.stdout.write(`${pct(share)}  ${part}\n`);
  process.stdout.write('\neach sample counted once (the first part its stack names, in this order):\n');
  for (const { part, share } of budget(events)) process.stdout.write(`${pct(share)}  ${part}\n`);
  process.stdout.write('\nhottest methods (self):\n');
  for (const { method, share } of result.selfTop) process.stdout.write(`${pct(share)}  ${method}\n`);
}
