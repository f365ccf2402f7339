// A named stream: its input (one zod schema: validation and type), the names derived from its name (workflow id,
// topics), the status its workflow reports, and the shape of its results with the fold that turns the results
// topic into aggregates. Pure: the workflow, the activities, the REST trigger and the stream CLI share it.
import { z } from 'zod';
import { DEFINITION_NAME, NAME, type Measure, type StreamPlan } from './definitions';
import { DEFAULT_PIPELINE } from './pipeline-input';
import { STREAM_NAME_PATTERN, streamQueryName, streamResultsTopic, streamTopic, streamWorkflowId } from './stream-names';

export { STREAM_NAME_PATTERN };

export const StreamInputSchema = z.strictObject({
  name: z.string().regex(STREAM_NAME_PATTERN, 'expected 1-63 lower-case letters, digits and dashes, starting with a letter or digit'),
  /** The pipeline definition whose records the stream reads and whose stream job it computes. */
  pipeline: z
    .string()
    .regex(DEFINITION_NAME, 'expected a pipeline definition name (GET /definitions lists them)')
    .default(DEFAULT_PIPELINE),
  /** The definition's stream job; default its first. */
  job: z.string().regex(NAME, 'expected a stream job name of the definition').optional(),
  /** The topic of JSON records to read; default: the stream's own topic (`streamforge.stream.<name>`). */
  topic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name')
    .optional(),
  /** Partitions of the stream's own topic when the stream creates it. */
  partitions: z.int().min(1).max(64).default(2),
  /** Size of the event-time tumbling windows (event time: the record's Kafka timestamp). */
  windowSeconds: z.int().min(1).max(86_400).default(10),
  /**
   * How late (in event time) a record may arrive and still count, and how long a record key is remembered for
   * de-duplication; bounds Spark's state.
   */
  watermarkSeconds: z.int().min(1).max(86_400).default(30),
  /** One micro-batch per this many milliseconds. */
  triggerMs: z.int().min(100).max(3_600_000).default(1000),
  /** Where a stream without a checkpoint starts reading its topic; after that, the checkpoint decides. */
  startingOffsets: z.enum(['earliest', 'latest']).default('earliest'),
  /** Records per micro-batch at most (a backlog is worked off in steps). */
  maxRecordsPerBatch: z.int().min(1).default(500_000),
  /** How often the workflow asks Spark for the query's progress. */
  pollSeconds: z.int().min(1).max(3600).default(5),
  /** Polls per workflow run: then it continues as new, so its history stays bounded however long the stream runs. */
  pollsPerRun: z.int().min(1).max(2000).default(500),
});
export type StreamInput = z.input<typeof StreamInputSchema>;
/** A stream's input as given, with its defaults and its topics. */
export type StreamInputSpec = z.output<typeof StreamInputSchema> & { topic: string; resultsTopic: string };
/** A stream as it runs: its input and the stream job it computes (resolved once, when the stream started). */
export type StreamSpec = StreamInputSpec & { plan: StreamPlan };

export class StreamInputError extends Error {
  override readonly name = 'StreamInputError';
}

/** Validates a stream input and fills in its defaults and derived topics; throws StreamInputError naming the field. */
export function parseStreamInput(input: unknown): StreamInputSpec {
  const parsed = StreamInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`);
    throw new StreamInputError(`invalid stream input: ${problems.slice(0, 5).join('; ')}`);
  }
  const spec = parsed.data;
  return { ...spec, topic: spec.topic ?? streamTopic(spec.name), resultsTopic: streamResultsTopic(spec.name) };
}

export { streamQueryName, streamResultsTopic, streamTopic, streamWorkflowId };

export const STREAM_STATUS_QUERY = 'streamStatus';
export const STREAM_STOP_SIGNAL = 'stop';

/** One run of the Spark query (`id` survives restarts from the checkpoint, `runId` is per start). */
export interface StreamQueryHandle {
  id: string;
  runId: string;
}

/** What the latest micro-batch says, plus how far the query is behind its topic. */
export interface StreamProgress {
  batchId: number;
  /** When Spark started the batch (ISO). */
  timestamp: string;
  /** Kafka messages the batch read, and Spark's rates of them (a message is one record or an array of them). */
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  /** Records in the batch's messages (counted by the query); null when Spark did not report them. */
  records: number | null;
  /** Spark's rates in records: its message rates times the batch's records per message. */
  inputRecordsPerSecond: number;
  processedRecordsPerSecond: number;
  batchDurationMs: number;
  /** Offsets (messages) in the topic beyond what the query has processed, summed over partitions; null if unknown. */
  lag: number | null;
  /** The offsets the query has processed up to, by partition. */
  endOffsets: Record<string, number>;
  /** Event-time watermark (ISO), once there is one. */
  watermark: string | null;
  /** Rows in Spark's state (open windows' aggregates, record keys kept for de-duplication). */
  stateRows: number;
  /** Records dropped as later than the watermark, in this batch: they are not counted. */
  droppedLate: number;
  /** Where the batch's time went, as Spark reports it (`addBatch`, `queryPlanning`, `walCommit`, …), in ms. */
  durationsMs?: Record<string, number>;
  /** Each stateful operator's time in this batch: writing its updates, removing expired rows, committing; in ms. */
  stateOperators?: { operator: string; rows: number; updatesMs: number; removalsMs: number; commitMs: number }[];
}

/** What the activity that looks at the query finds. */
export type StreamObservation =
  | { state: 'active'; query: StreamQueryHandle; progress: StreamProgress | null }
  /** The query ended: stopped, failed (with Spark's reason), or gone (Spark restarted, session lost). */
  | { state: 'terminated' | 'failed' | 'gone'; error?: string }
  /** Spark did not answer: nothing is known about the query. */
  | { state: 'unreachable'; error: string };

export type StreamState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

export interface StreamStatus {
  name: string;
  state: StreamState;
  /** The stream's input, and its plan once its definition is loaded (none for a stream from before definitions). */
  spec: StreamInputSpec & { plan?: StreamPlan };
  query: StreamQueryHandle | null;
  /** Times the workflow started the query again after it failed or disappeared. */
  restarts: number;
  /** The last failure seen (Spark's reason, or why Spark could not be asked). */
  lastError: string | null;
  progress: StreamProgress | null;
  /** Progress polls, over every run of the workflow. */
  polls: number;
  /** Runs of the workflow so far (continue-as-new starts the next one). */
  workflowRuns: number;
}

/** What one workflow run hands to the next when it continues as new. */
export interface StreamCarry {
  restarts: number;
  polls: number;
  workflowRuns: number;
  query: StreamQueryHandle | null;
  lastError: string | null;
  progress: StreamProgress | null;
  /** The stream job the stream computes (the first run resolves it from its definition; the next runs keep it). */
  plan?: StreamPlan;
}

export type StreamingWorkflowInput = StreamInput & { carry?: StreamCarry };

// ---- Results: the Spark query writes one Kafka message per (section, group, window) it updates ----

/** Built-in sections of every stream's results: the valid records counted, the rejected ones (spark/jobs/streaming.ts). */
export const TOTAL_SECTION = '_total';
export const REJECTED_SECTION = '_rejected';

/**
 * One section's aggregate of one group in one event-time window, as the query writes it (message key:
 * `<results version>|<section>|<window start ms>|<group>`). The query emits it again, complete, whenever it changes:
 * a reader keeps the latest per key, so a micro-batch written twice (Spark's Kafka sink is at-least-once) replaces
 * itself instead of adding. Fields Spark found null are left out.
 */
export interface WindowAggregate {
  section: string;
  window_start: number;
  window_end: number;
  /** Records in the group (in `_total`: valid records; in `_rejected`: rejected ones). */
  records: number;
  /** The group's columns. */
  group?: Record<string, unknown>;
  /** Each measure's partial aggregates: count, sum, min, max, sumsq as its function needs them. */
  partials?: Record<string, Partial<Record<'count' | 'sum' | 'min' | 'max' | 'sumsq', unknown>>>;
}

export interface StreamAggregates {
  /** Valid records counted. */
  total: number;
  /** Records that were not valid records of the definition (bad JSON, a missing, mistyped or unknown field, a broken constraint). */
  rejected: number;
  /** Each section's rows: its group columns and its measures over every window, ordered by the group columns. */
  sections: Record<string, Record<string, unknown>[]>;
  /** Valid records per event-time window, oldest first. */
  windows: { start: string; end: string; count: number }[];
  /** Distinct aggregate keys read (after keeping the latest of each). */
  keys: number;
  /**
   * Whether every window's rows of each section add up to its total. False when the topic was read while Spark was
   * writing a micro-batch (its sink is not transactional; readStreamAggregates reads again first) or a query stopped
   * in the middle of one (it is complete again once the stream runs).
   */
  consistent: boolean;
}

/**
 * The latest aggregate of each key of this results version (lib/streams.ts streamResultsVersion): later messages
 * (in topic order) replace earlier ones; messages of another version (a stream that ran another plan) are skipped.
 */
export function latestByKey(messages: Iterable<{ key: string | null; value: string }>, version: string): Map<string, WindowAggregate> {
  const latest = new Map<string, WindowAggregate>();
  const prefix = `${version}|`;
  for (const m of messages) {
    if (m.key === null || !m.key.startsWith(prefix)) continue;
    latest.set(m.key, JSON.parse(m.value) as WindowAggregate);
  }
  return latest;
}

type Partials = NonNullable<WindowAggregate['partials']>[string];

/** Merges one window's partials of a measure into the running ones: counts and sums add, minimums and maximums compare. */
function mergePartials(into: Partials, more: Partials): void {
  for (const part of ['count', 'sum', 'sumsq'] as const) {
    if (more[part] !== undefined && more[part] !== null) into[part] = ((into[part] as number | undefined) ?? 0) + (more[part] as number);
  }
  if (more.min !== undefined && more.min !== null && (into.min === undefined || (more.min as number) < (into.min as number)))
    into.min = more.min;
  if (more.max !== undefined && more.max !== null && (into.max === undefined || (more.max as number) > (into.max as number)))
    into.max = more.max;
}

/** A measure's value from its merged partials (null where Spark's aggregate of no values is null). */
function finish(measure: Measure, records: number, p: Partials): unknown {
  const count = (p.count as number | undefined) ?? 0;
  const sum = p.sum as number | undefined;
  switch (measure.fn) {
    case 'count':
      return measure.expression === '*' ? records : count;
    case 'sum':
      return sum ?? null;
    case 'min':
      return p.min ?? null;
    case 'max':
      return p.max ?? null;
    case 'avg':
      return count > 0 ? sum! / count : null;
    case 'stddev_pop':
    case 'stddev_samp': {
      const divisor = measure.fn === 'stddev_pop' ? count : count - 1;
      if (divisor <= 0) return null;
      const mean = sum! / count;
      return Math.sqrt(Math.max(0, ((p.sumsq as number) - count * mean * mean) / divisor));
    }
  }
}

/** Orders rows by their group columns: nulls first, numbers by value, the rest by text. */
function compareGroups(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Folds the windows' aggregates into the stream's results: each section's groups over every window. */
export function foldAggregates(plan: Pick<StreamPlan, 'sections'>, latest: Iterable<WindowAggregate>): StreamAggregates {
  const out: StreamAggregates = { total: 0, rejected: 0, sections: {}, windows: [], keys: 0, consistent: true };
  const declared = new Map(plan.sections);
  /** Per section, per group (its values as JSON): the group's values, records, merged partials by measure. */
  const groups = new Map<string, Map<string, { values: unknown[]; records: number; partials: Record<string, Partials> }>>();
  /** Per window start: its end, its total, and each section's records in all. */
  const windows = new Map<number, { end: number; total: number | undefined; sections: Map<string, number> }>();
  for (const a of latest) {
    out.keys++;
    let w = windows.get(a.window_start);
    if (!w) windows.set(a.window_start, (w = { end: a.window_end, total: undefined, sections: new Map() }));
    if (a.section === TOTAL_SECTION) {
      out.total += a.records;
      w.total = (w.total ?? 0) + a.records;
      continue;
    }
    if (a.section === REJECTED_SECTION) {
      out.rejected += a.records;
      continue;
    }
    const section = declared.get(a.section);
    if (!section) continue;
    w.sections.set(a.section, (w.sections.get(a.section) ?? 0) + a.records);
    const values = section.groupBy.map(([column]) => a.group?.[column] ?? null);
    const id = JSON.stringify(values);
    let byGroup = groups.get(a.section);
    if (!byGroup) groups.set(a.section, (byGroup = new Map()));
    let g = byGroup.get(id);
    if (!g) byGroup.set(id, (g = { values, records: 0, partials: {} }));
    g.records += a.records;
    for (const [measure] of section.measures) mergePartials((g.partials[measure] ??= {}), a.partials?.[measure] ?? {});
  }
  for (const [name, section] of plan.sections) {
    const rows = [...(groups.get(name)?.values() ?? [])].sort((a, b) => compareGroups(a.values, b.values));
    out.sections[name] = rows.map((g) => ({
      ...Object.fromEntries(section.groupBy.map(([column], i) => [column, g.values[i]])),
      ...Object.fromEntries(section.measures.map(([measure, m]) => [measure, finish(m, g.records, g.partials[measure] ?? {})])),
    }));
  }
  const sorted = [...windows].sort(([a], [b]) => a - b);
  out.consistent = sorted.every(([, w]) => plan.sections.every(([name]) => (w.sections.get(name) ?? 0) === (w.total ?? 0)));
  out.windows = sorted
    .filter(([, w]) => (w.total ?? 0) > 0)
    .map(([start, w]) => ({ start: new Date(start).toISOString(), end: new Date(w.end).toISOString(), count: w.total! }));
  return out;
}
