// A named stream: its input (one zod schema: validation and type), the names derived from its name (workflow id,
// topics), the status its workflow reports, and the shape of its results with the fold that turns the results
// topic into aggregates. Pure: the workflow, the activities, the REST trigger and the stream CLI share it.
import { z } from 'zod';

/** Lower-case letters, digits and dashes: it becomes a workflow id, topic names and a checkpoint directory. */
export const STREAM_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const StreamInputSchema = z.strictObject({
  name: z.string().regex(STREAM_NAME_PATTERN, 'expected 1-63 lower-case letters, digits and dashes, starting with a letter or digit'),
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
export type StreamSpec = z.output<typeof StreamInputSchema> & { topic: string; resultsTopic: string };

export class StreamInputError extends Error {
  override readonly name = 'StreamInputError';
}

/** Validates a stream input and fills in its defaults and derived topics; throws StreamInputError naming the field. */
export function parseStreamInput(input: unknown): StreamSpec {
  const parsed = StreamInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`);
    throw new StreamInputError(`invalid stream input: ${problems.slice(0, 5).join('; ')}`);
  }
  const spec = parsed.data;
  return { ...spec, topic: spec.topic ?? streamTopic(spec.name), resultsTopic: streamResultsTopic(spec.name) };
}

export const streamWorkflowId = (name: string) => `stream-${name}`;
export const streamTopic = (name: string) => `streamforge.stream.${name}`;
export const streamResultsTopic = (name: string) => `streamforge.stream.${name}.results`;
/** The Spark query's name: unique among the active queries of the Spark session. */
export const streamQueryName = (name: string) => `streamforge_stream_${name.replace(/-/g, '_')}`;

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
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  batchDurationMs: number;
  /** Offsets (records) in the topic beyond what the query has processed, summed over partitions; null if unknown. */
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
  spec: StreamSpec;
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
}

export type StreamingWorkflowInput = StreamInput & { carry?: StreamCarry };

// ---- Results: the Spark query writes one Kafka message per aggregate it updates ----

/**
 * What an aggregate counts: all valid records, by gender, by birth month (1-12, or NO_MONTH), by department, rejected
 * records. Every valid record is in one group of each kind, so per window each kind adds up to the total.
 */
export type AggregateKind = 'total' | 'gender' | 'month' | 'department' | 'rejected';
/** The month group of records without a birth date (counted by the query, not shown in `byMonth`). */
export const NO_MONTH = 'none';

/**
 * One aggregate of one event-time window, as the query writes it (message key: `<kind>|<group>|<window start ms>`).
 * The query emits it again, complete, whenever it changes: a reader keeps the latest per key, so a micro-batch
 * written twice (Spark's Kafka sink is at-least-once) replaces itself instead of adding.
 */
export interface WindowAggregate {
  kind: AggregateKind;
  group: string;
  window_start: number;
  window_end: number;
  count: number;
  salary_sum?: number;
  salary_min?: number;
  salary_max?: number;
  salary_sumsq?: number;
}

export interface SalaryStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation. */
  stddev: number;
  sum: number;
}

export interface StreamAggregates {
  /** Valid records counted. */
  total: number;
  /** Records that were not valid employee records (bad JSON, a missing or mistyped field, an unknown field). */
  rejected: number;
  byGender: Record<string, number>;
  /** Birth month 1-12 → count (records without a birth date are in no month). */
  byMonth: Record<string, number>;
  salaryByDepartment: Record<string, SalaryStats>;
  /** Valid records per event-time window, oldest first. */
  windows: { start: string; end: string; count: number }[];
  /** Distinct aggregate keys read (after keeping the latest of each). */
  keys: number;
  /**
   * Whether every window's counts by gender, by month and by department add up to its total. False when the topic
   * was read while Spark was writing a micro-batch (its sink is not transactional; readStreamAggregates reads again
   * first) or a query stopped in the middle of one (it is complete again once the stream runs).
   */
  consistent: boolean;
}

/** The latest aggregate of each key: later messages (in topic order) replace earlier ones. */
export function latestByKey(messages: Iterable<{ key: string | null; value: string }>): Map<string, WindowAggregate> {
  const latest = new Map<string, WindowAggregate>();
  for (const m of messages) {
    if (m.key === null) continue;
    latest.set(m.key, JSON.parse(m.value) as WindowAggregate);
  }
  return latest;
}

/** Folds the windows' aggregates into the stream's totals: counts add up, salary statistics merge. */
export function foldAggregates(latest: Iterable<WindowAggregate>): StreamAggregates {
  const out: StreamAggregates = {
    total: 0,
    rejected: 0,
    byGender: {},
    byMonth: {},
    salaryByDepartment: {},
    windows: [],
    keys: 0,
    consistent: true,
  };
  const departments = new Map<string, { count: number; min: number; max: number; sum: number; sumsq: number }>();
  /** Per window start: its end and each kind's count in all. */
  const windows = new Map<number, { end: number; counts: Record<AggregateKind, number> }>();
  const add = (into: Record<string, number>, key: string, n: number) => (into[key] = (into[key] ?? 0) + n);
  for (const a of latest) {
    out.keys++;
    let w = windows.get(a.window_start);
    if (!w) windows.set(a.window_start, (w = { end: a.window_end, counts: { total: 0, gender: 0, month: 0, department: 0, rejected: 0 } }));
    w.counts[a.kind] += a.count;
    switch (a.kind) {
      case 'total':
        out.total += a.count;
        break;
      case 'rejected':
        out.rejected += a.count;
        break;
      case 'gender':
        add(out.byGender, a.group, a.count);
        break;
      case 'month':
        if (a.group !== NO_MONTH) add(out.byMonth, a.group, a.count);
        break;
      case 'department': {
        const d = departments.get(a.group) ?? { count: 0, min: Infinity, max: -Infinity, sum: 0, sumsq: 0 };
        d.count += a.count;
        d.min = Math.min(d.min, a.salary_min ?? Infinity);
        d.max = Math.max(d.max, a.salary_max ?? -Infinity);
        d.sum += a.salary_sum ?? 0;
        d.sumsq += a.salary_sumsq ?? 0;
        departments.set(a.group, d);
        break;
      }
    }
  }
  for (const [name, d] of [...departments].sort(([a], [b]) => a.localeCompare(b))) {
    const mean = d.count ? d.sum / d.count : 0;
    const variance = d.count ? Math.max(0, d.sumsq / d.count - mean * mean) : 0;
    out.salaryByDepartment[name] = {
      count: d.count,
      min: d.min,
      max: d.max,
      mean: round2(mean),
      stddev: round2(Math.sqrt(variance)),
      sum: round2(d.sum),
    };
  }
  const sorted = [...windows].sort(([a], [b]) => a - b);
  out.consistent = sorted.every(([, { counts: c }]) => c.gender === c.total && c.month === c.total && c.department === c.total);
  out.windows = sorted
    .filter(([, w]) => w.counts.total > 0)
    .map(([start, w]) => ({ start: new Date(start).toISOString(), end: new Date(w.end).toISOString(), count: w.counts.total }));
  return out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
