// What a chaos scenario measured, summed up: answers by outcome, the slowest, how long throughput took to come
// back, Spark executions per run key, records per run in Kafka; each target of issue #10 as a check that passes or
// fails; and the table the terminal shows. Pure: the unit test feeds it hand-made answers.
import { formatTable, type TableRow } from '../lib/text-table';
import type { Answer } from './load';

export interface FaultWindow {
  /** When the fault was injected. */
  startedAt: number;
  /** When the component was back (ready), or the fault otherwise over. */
  clearedAt: number;
}

export interface ExecutionCounts {
  /** Runs whose executions were counted. */
  runs: number;
  /** Runs with exactly one execution per job. */
  exactlyOne: number;
  /** Runs with one more execution in a Spark application that was then killed (lost with its server: allowed). */
  lostWithServer: number;
  /** Runs with two or more executions of one job within one Spark application (not allowed). */
  duplicated: number;
  /** Those runs' keys and jobs, each with its executions' operation ids: what to look up in the worker logs. */
  duplicatedRuns: { runKey: string; job: string; operations: string[] }[];
  /** Runs none of whose executions could be found (finished before the collector saw them, or never ran). */
  notSeen: number;
}

export interface KafkaCounts {
  runs: number;
  /** Runs whose range holds a record more than once (harmless: readers de-duplicate after a retried ingest). */
  withDuplicates: number;
  /** Runs whose range lacks a record (never allowed). */
  missing: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioReport {
  name: string;
  description: string;
  fault?: FaultWindow;
  answers: { total: number; right: number; wrong: number; errors: number; hung: number; refused: number; retried: number };
  slowestMs: number;
  /** Of the requests in flight during the fault: the latest answer after the fault cleared. */
  slowestAfterClearMs: number | undefined;
  /** Seconds from the fault clearing until throughput was back to its level before the fault. */
  recoverS: number | undefined;
  throughputBefore: number | undefined;
  executions: ExecutionCounts;
  kafka: KafkaCounts;
  extra: Record<string, number | string>;
  checks: Check[];
  pass: boolean;
  /** A few of the errors, to say what went wrong. */
  samples: string[];
  /** Right /process answers per second from the scenario's start; the fault as seconds from it. */
  series: { perSecond: number[]; faultAtS?: number; clearedAtS?: number };
}

/** Throughput must be back within this long after the component's return; answers in flight within fault + this. */
export const RECOVERY_TARGET_S = 30;
export const IN_FLIGHT_TARGET_S = 15;

/** Answers per second, in one-second buckets from `from` to `to`. */
export function throughputSeries(answers: readonly Answer[], from: number, to: number): number[] {
  const buckets = new Array<number>(Math.max(0, Math.ceil((to - from) / 1000))).fill(0);
  for (const a of answers) {
    const i = Math.floor((a.answeredAt - from) / 1000);
    if (a.outcome === 'right' && i >= 0 && i < buckets.length) buckets[i]! += 1;
  }
  return buckets;
}

/** Width of the window throughput is judged over: answers come in bursts, one per coalesced run. */
const WINDOW_S = 5;

/**
 * Seconds after `fault.clearedAt` until a WINDOW_S window of right answers reaches 70 % of the rate of the
 * `beforeS` seconds before the fault (0: it never fell below that); undefined when it never came back by `end`.
 */
export function recoverySeconds(
  answers: readonly Answer[],
  fault: FaultWindow,
  end: number,
  beforeS = 10,
): { recoverS: number | undefined; before: number | undefined } {
  const series = throughputSeries(answers, fault.startedAt - beforeS * 1000, fault.startedAt);
  const before = series.length ? series.reduce((a, b) => a + b, 0) / series.length : undefined;
  if (!before) return { recoverS: undefined, before };
  const after = throughputSeries(answers, fault.clearedAt, end);
  for (let t = 0; t + WINDOW_S <= after.length; t++) {
    if (after.slice(t, t + WINDOW_S).reduce((a, b) => a + b, 0) >= 0.7 * WINDOW_S * before)
      return { recoverS: t, before: Math.round(before * 10) / 10 };
  }
  return { recoverS: undefined, before: Math.round(before * 10) / 10 };
}

export function summarize(
  name: string,
  description: string,
  answers: readonly Answer[],
  options: {
    begin: number;
    fault?: FaultWindow;
    end: number;
    executions: ExecutionCounts;
    kafka: KafkaCounts;
    extra?: Record<string, number | string>;
    extraChecks?: Check[];
  },
): ScenarioReport {
  const count = (o: Answer['outcome']) => answers.filter((a) => a.outcome === o).length;
  const counts = {
    total: answers.length,
    right: count('right'),
    wrong: count('wrong'),
    errors: count('error'),
    hung: count('hung'),
    refused: count('refused'),
    retried: answers.filter((a) => a.retries > 0).length,
  };
  const latencies = answers.filter((a) => a.outcome !== 'hung').map((a) => a.answeredAt - a.startedAt);
  const slowestMs = latencies.length ? Math.max(...latencies) : 0;
  const { fault, end } = options;
  const inFlight = fault ? answers.filter((a) => a.startedAt < fault.clearedAt && a.answeredAt >= fault.startedAt) : [];
  const slowestAfterClearMs = fault && inFlight.length ? Math.max(...inFlight.map((a) => a.answeredAt - fault.clearedAt)) : undefined;
  // Throughput of the steady /process load (the benchmark's runs come in bursts).
  const steady = answers.filter((a) => a.kind === 'process');
  const recovery = fault ? recoverySeconds(steady, fault, end) : { recoverS: undefined, before: undefined };

  const checks: Check[] = [
    {
      name: 'every answer right',
      ok: counts.wrong === 0 && counts.errors === 0 && counts.hung === 0 && counts.right + counts.refused === counts.total,
      detail: `${counts.right}/${counts.total} right, ${counts.wrong} wrong, ${counts.errors} errors, ${counts.hung} hung`,
    },
    {
      name: 'no record counted twice, no run executed twice in one Spark',
      ok: options.executions.duplicated === 0 && options.kafka.missing === 0,
      detail: `${options.executions.duplicated} runs executed twice, ${options.kafka.missing} runs missing records`,
    },
  ];
  if (fault) {
    checks.push({
      name: `in-flight answered within fault + ${IN_FLIGHT_TARGET_S} s`,
      ok: slowestAfterClearMs === undefined || slowestAfterClearMs <= IN_FLIGHT_TARGET_S * 1000,
      detail:
        slowestAfterClearMs === undefined
          ? 'no request in flight'
          : `latest ${(slowestAfterClearMs / 1000).toFixed(1)} s after the fault cleared`,
    });
    checks.push({
      name: `throughput back within ${RECOVERY_TARGET_S} s`,
      ok: recovery.recoverS !== undefined && recovery.recoverS <= RECOVERY_TARGET_S,
      detail:
        recovery.recoverS === undefined ? 'not back by the end of the scenario' : `${recovery.recoverS} s (before: ${recovery.before}/s)`,
    });
  }
  checks.push(...(options.extraChecks ?? []));
  const samples = [
    ...new Set(
      answers
        .filter((a) => a.outcome !== 'right' && a.outcome !== 'refused')
        .map((a) => `${a.outcome} ${a.status}: ${a.message ?? ''}`.slice(0, 300)),
    ),
  ].slice(0, 5);
  return {
    name,
    description,
    ...(fault ? { fault } : {}),
    answers: counts,
    slowestMs,
    slowestAfterClearMs,
    recoverS: recovery.recoverS,
    throughputBefore: recovery.before,
    executions: options.executions,
    kafka: options.kafka,
    extra: options.extra ?? {},
    checks,
    pass: checks.every((c) => c.ok),
    samples,
    series: {
      perSecond: throughputSeries(steady, options.begin, end),
      ...(fault
        ? {
            faultAtS: Math.round((fault.startedAt - options.begin) / 1000),
            clearedAtS: Math.round((fault.clearedAt - options.begin) / 1000),
          }
        : {}),
    },
  };
}

const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** One row per scenario: what the README's "What happens when …" table shows. */
export function formatChaosTable(reports: readonly ScenarioReport[]): string {
  const rows: TableRow[] = reports.map((r) => ({
    scenario: r.name,
    'right / total': `${r.answers.right}/${r.answers.total}`,
    wrong: r.answers.wrong,
    'clear errors (503, retried)': r.answers.retried + r.answers.refused,
    'other errors': r.answers.errors,
    hung: r.answers.hung,
    slowest: seconds(r.slowestMs),
    'after the fault cleared': seconds(r.slowestAfterClearMs),
    'recovered in': r.recoverS === undefined ? '—' : `${r.recoverS} s`,
    'Spark executions per run key': `${r.executions.exactlyOne} × 1, ${r.executions.lostWithServer} lost with server, ${r.executions.duplicated} twice`,
    'runs with Kafka duplicates / missing': `${r.kafka.withDuplicates} / ${r.kafka.missing} of ${r.kafka.runs}`,
    result: r.pass ? 'PASS' : 'FAIL',
  }));
  return formatTable(rows);
}
