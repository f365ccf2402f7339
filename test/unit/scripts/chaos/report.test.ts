// How `npm run chaos` judges a scenario from its answers: throughput per second, the time it took to come back
// after a fault, and each target as a check that passes or fails.
import { describe, expect, it } from 'vitest';
import type { Answer } from '../../../../scripts/chaos/load';
import { formatChaosTable, recoverySeconds, summarize, throughputSeries, type ExecutionCounts } from '../../../../scripts/chaos/report';

const T0 = 1_000_000;
const answer = (answeredAtS: number, outcome: Answer['outcome'] = 'right', latencyS = 0.5): Answer => ({
  kind: 'process',
  startedAt: T0 + (answeredAtS - latencyS) * 1000,
  answeredAt: T0 + answeredAtS * 1000,
  outcome,
  status: outcome === 'right' ? '200' : '502',
  retries: 0,
  batchSize: 10,
});
/** `perSecond` right answers in each second of [from, to). */
const steady = (from: number, to: number, perSecond: number) =>
  Array.from({ length: (to - from) * perSecond }, (_, i) => answer(from + (i + 0.5) / perSecond));
const clean: ExecutionCounts = { runs: 10, exactlyOne: 10, lostWithServer: 0, duplicated: 0, duplicatedRuns: [], notSeen: 0 };
const kafka = { runs: 10, withDuplicates: 0, missing: 0 };

describe('chaos report', () => {
  it('counts right answers per second', () => {
    expect(throughputSeries([answer(0.2), answer(0.7), answer(2.1), answer(2.5, 'wrong')], T0, T0 + 3000)).toEqual([2, 0, 1]);
  });

  it('says how long after the fault cleared throughput was back to 70 % of its level before', () => {
    const answers = [...steady(0, 10, 10), ...steady(18, 30, 10)]; // nothing answered from 10 s to 18 s
    const fault = { startedAt: T0 + 10_000, clearedAt: T0 + 15_000 };
    // The 5 s window from 17 s holds 4 s of answers: 80 % of the rate before.
    expect(recoverySeconds(answers, fault, T0 + 30_000)).toEqual({ recoverS: 2, before: 10 });
    expect(recoverySeconds(steady(0, 10, 10), fault, T0 + 30_000).recoverS).toBeUndefined(); // never came back
  });

  it('passes a scenario whose answers are all right and came back in time', () => {
    const answers = [...steady(0, 10, 10), ...steady(12, 40, 10)];
    const report = summarize('x', 'a fault', answers, {
      begin: T0,
      fault: { startedAt: T0 + 10_000, clearedAt: T0 + 11_000 },
      end: T0 + 40_000,
      executions: clean,
      kafka,
    });
    expect(report.checks.map((c) => c.ok)).toEqual([true, true, true, true]);
    expect(report.pass).toBe(true);
    expect(report.answers).toMatchObject({ total: answers.length, right: answers.length });
  });

  it('fails it for a wrong answer, a hung request, a run executed twice, or an answer 15 s after the fault cleared', () => {
    const base = { begin: T0, end: T0 + 40_000, executions: clean, kafka };
    const ok = steady(0, 40, 5);
    expect(summarize('x', '', [...ok, answer(20, 'wrong')], base).pass).toBe(false);
    expect(summarize('x', '', [...ok, answer(20, 'hung')], base).pass).toBe(false);
    expect(summarize('x', '', ok, { ...base, executions: { ...clean, duplicated: 1 } }).pass).toBe(false);
    const late = summarize('x', '', [...ok, answer(32, 'right', 25)], {
      ...base,
      fault: { startedAt: T0 + 10_000, clearedAt: T0 + 16_000 },
    });
    expect(late.checks.find((c) => c.name.startsWith('in-flight'))).toMatchObject({
      ok: false,
      detail: 'latest 16.0 s after the fault cleared',
    });
    expect(formatChaosTable([late])).toMatch(/FAIL/);
  });
});
