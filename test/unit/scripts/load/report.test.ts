// Specification of how `npm run load` reads Locust's stats CSV and lays it next to the old service's figures
// (scripts/load/report.ts). The sample is a real Locust 2.47.0 `_stats.csv`.
import { describe, expect, it } from 'vitest';
import {
  durationSeconds,
  formatColumns,
  formatComparison,
  formatRatios,
  OLD_SERVICE,
  parseAggregatedStats,
  perRunTime,
  ratios,
  splitCsvLine,
  StatsCsvError,
} from '../../../../scripts/load/report';

const HEADER =
  'Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,' +
  'Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%';

const SAMPLE = [
  HEADER,
  'POST,/process,318,3,8600,8870.2547812134,1203.8791940001465,21004.9954449999,2051.6,5.124370551233,0.0483,8600,9700,10000,11000,13000,15000,17000,19000,21000,21000,21000',
  ',Aggregated,318,3,8600,8870.2547812134,1203.8791940001465,21004.9954449999,2051.6,5.124370551233,0.0483,8600,9700,10000,11000,13000,15000,17000,19000,21000,21000,21000',
  '',
].join('\n');

describe('parseAggregatedStats', () => {
  it('reads the totals of the Aggregated row by column name', () => {
    expect(parseAggregatedStats(SAMPLE)).toEqual({
      requests: 318,
      failures: 3,
      minMs: 1203.8791940001465,
      medianMs: 8600,
      avgMs: 8870.2547812134,
      p95Ms: 15000,
      maxMs: 21004.9954449999,
      requestsPerSecond: 5.124370551233,
    });
  });

  it('does not depend on the order of the columns, nor on CRLF line ends', () => {
    const [header = '', , aggregated = ''] = SAMPLE.split('\n');
    const swap = (line: string) => {
      const f = splitCsvLine(line);
      [f[2], f[3]] = [f[3] ?? '', f[2] ?? ''];
      return f.join(',');
    };
    const stats = parseAggregatedStats([swap(header), swap(aggregated)].join('\r\n'));
    expect(stats.requests).toBe(318);
    expect(stats.failures).toBe(3);
  });

  it('gives null latencies when no request finished (Locust writes N/A, and 0 for min, median, average, max)', () => {
    const csv = `${HEADER}\n,Aggregated,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n`;
    expect(parseAggregatedStats(csv)).toMatchObject({ requests: 0, p95Ms: null, medianMs: null, minMs: null, avgMs: null, maxMs: null });
  });

  it('fails with a message when there is no Aggregated row or a column is missing', () => {
    expect(() => parseAggregatedStats(`${HEADER}\n`)).toThrow(StatsCsvError);
    expect(() => parseAggregatedStats('Type,Name,Request Count\n,Aggregated,3\n')).toThrow(/no "Failure Count" column/);
  });
});

describe('splitCsvLine', () => {
  it('keeps commas and doubled quotes inside quoted fields', () => {
    expect(splitCsvLine('GET,"/a,b ""c""",,7')).toEqual(['GET', '/a,b "c"', '', '7']);
  });
});

describe('durationSeconds', () => {
  it.each([
    ['20s', 20],
    ['1m', 60],
    ['1m30s', 90],
    ['2h', 7200],
  ])('%s is %d s', (text, seconds) => {
    expect(durationSeconds(text)).toBe(seconds);
  });

  it.each(['', '1x', '1m 30s', '90'])('rejects %j', (text) => {
    expect(() => durationSeconds(text)).toThrow(/not a run time/);
  });
});

describe('perRunTime', () => {
  it('divides the requests by the whole run time, not by the time to the last answer', () => {
    expect(perRunTime(parseAggregatedStats(SAMPLE), 60).requestsPerSecond).toBeCloseTo(5.3, 5);
    expect(perRunTime(OLD_SERVICE, 60).requestsPerSecond).toBeCloseTo(12.12, 2);
  });
});

describe('formatComparison', () => {
  it('lays this run next to the old service: whole milliseconds, failure share, req/s with one decimal, — when unknown', () => {
    expect(formatComparison(parseAggregatedStats(SAMPLE), OLD_SERVICE, ['this run', 'old'])).toBe(
      [
        '              this run        old',
        '  requests         318        727',
        '  failures   3 (0.9 %)  0 (0.0 %)',
        '  min ms         1,204          —',
        '  median ms      8,600      6,400',
        '  avg ms         8,870      7,121',
        '  p95 ms        15,000     11,000',
        '  max ms        21,005     15,603',
        '  req/s            5.1       12.1',
      ].join('\n'),
    );
  });

  it('shows 0.0 % failures and dashes for a run without requests', () => {
    const empty = { requests: 0, failures: 0, minMs: null, medianMs: null, avgMs: null, p95Ms: null, maxMs: null, requestsPerSecond: 0 };
    const lines = formatComparison(empty, OLD_SERVICE).split('\n');
    expect(lines[2]).toMatch(/^ {2}failures +0 \(0\.0 %\) +0 \(0\.0 %\)$/);
    expect(lines[4]).toMatch(/^ {2}median ms +— +6,400$/);
  });
});

describe('ratios', () => {
  const run = (requestsPerSecond: number, p95Ms: number | null) => ({ ...OLD_SERVICE, requestsPerSecond, p95Ms });

  it('is our throughput over theirs and their p95 over ours; the target needs both at 8 or more', () => {
    expect(ratios(run(100, 1000), run(10, 9000))).toEqual({ throughput: 10, p95: 9, meetsTarget: true });
    expect(ratios(run(100, 1000), run(10, 7000)).meetsTarget).toBe(false);
    expect(ratios(run(70, 100), run(10, 9000)).meetsTarget).toBe(false);
  });

  it('is unknown without a p95 or with an old service that answered nothing', () => {
    expect(ratios(run(100, null), run(10, 9000))).toMatchObject({ p95: null, meetsTarget: null });
    expect(ratios(run(100, 1000), run(0, null))).toMatchObject({ throughput: null, meetsTarget: null });
  });

  it('says why when the old service answered nothing in the run', () => {
    expect(formatRatios(ratios(run(100, 1000), run(0, null)), 0)).toMatch(/answered no request within the run time/);
  });

  it('prints the ratios and the verdict', () => {
    expect(formatRatios(ratios(run(100, 1000), run(10, 9000)))).toBe(
      ["  throughput: 10.0× the old service's; p95: 1/9.0 of its p95", '  target (≥ 8× throughput, ≤ 1/8 p95, same session): met'].join(
        '\n',
      ),
    );
  });
});

describe('formatColumns', () => {
  it('lays any number of columns side by side', () => {
    const lines = formatColumns([
      { heading: 'a', stats: OLD_SERVICE },
      { heading: 'bb', stats: OLD_SERVICE },
      { heading: 'c', stats: OLD_SERVICE },
    ]).split('\n');
    // Each column as wide as its widest cell (here the failures, "0 (0.0 %)").
    expect(lines[0]).toBe('                     a         bb          c');
    expect(lines[1]).toBe('  requests         727        727        727');
  });
});
