// Specification of the plain-text report `npm start` prints (scripts/analysis-table.ts): exact text for known rows.
import { describe, expect, it } from 'vitest';
import type { PipelineResult } from '../../../../contracts/pipeline';
import { formatNumber, formatRecord, formatRunReport, formatTable } from '../../../../scripts/lib/text-table';

describe('formatNumber', () => {
  it.each([
    [0, 0, '0'],
    [999, 0, '999'],
    [1000, 0, '1,000'],
    [81915700, 0, '81,915,700'],
    [105944.7, 2, '105,944.70'],
    [-1234.5, 1, '-1,234.5'],
  ])('%d with %d decimals is %s', (n, decimals, text) => {
    expect(formatNumber(n, decimals)).toBe(text);
  });

  it('leaves out separators on request', () => {
    expect(formatNumber(12345, 0, false)).toBe('12345');
  });
});

describe('formatTable', () => {
  it('right-aligns numbers with one number of decimals per column, left-aligns text, shows nulls as a dash', () => {
    const rows = [
      { department: 'Engineering', count: 302, avg_salary: 105944.7, median_salary: 100100 },
      { department: 'HR', count: 64, avg_salary: 62306.25, median_salary: null },
      { department: null, count: 1017, avg_salary: 81405.88, median_salary: 74500 },
    ];
    expect(formatTable(rows)).toBe(
      [
        '  department   count  avg salary  median salary',
        '  -----------  -----  ----------  -------------',
        '  Engineering    302  105,944.70        100,100',
        '  HR              64   62,306.25              —',
        '  —            1,017   81,405.88         74,500',
      ].join('\n'),
    );
  });

  it('keeps ids and month numbers without separators, and fills cells missing from some rows', () => {
    expect(
      formatTable(
        [
          { id: 12345, month: 10 },
          { id: 7, name: 'Ada' },
        ],
        '',
      ),
    ).toBe(['   id  month  name', '-----  -----  ----', '12345     10  —', '    7      —  Ada'].join('\n'));
  });

  it('says so when there are no rows', () => {
    expect(formatTable([])).toBe('  (no rows)');
  });
});

describe('formatRecord', () => {
  it('shows one row as aligned name / value lines, each number with its own decimals', () => {
    expect(formatRecord({ head_count: 1000, avg_salary: 81915.7, stddev_salary: null })).toBe(
      ['  head count        1,000', '  avg salary     81,915.7', '  stddev salary         —'].join('\n'),
    );
  });
});

describe('formatRunReport', () => {
  const result: PipelineResult = {
    runKey: 'pipeline-1',
    recordCount: 3,
    source: { kind: 'kafka', topic: 'streamforge.records', ranges: [{ partition: 2, from: 10, to: 13 }], recordKey: 'pipeline-1' },
    spark: {},
    results: {
      count_gender: {
        inline: {
          by_gender: [
            { gender: 'F', count: 2 },
            { gender: 'M', count: 1 },
          ],
        },
        rows: 2,
        bytes: 50,
      },
      final_analysis: { stored: { topic: 'streamforge.results', key: 'pipeline-1:final_analysis', ranges: [] }, rows: 40, bytes: 9000 },
    },
    timings: {
      ingestMs: 131,
      jobs: { count_gender: { submitMs: 228, pollMs: 1625, collectMs: 41 } },
      totalMs: 2100,
    },
  };

  it('prints stored results by topic, inline sections as tables, the offsets, the timings and the link', () => {
    expect(formatRunReport(result, { runUrl: 'http://ui/run' })).toBe(
      [
        'final_analysis: 40 rows stored in topic streamforge.results (key pipeline-1:final_analysis)',
        '',
        'By gender  (count_gender)',
        '  gender  count',
        '  ------  -----',
        '  F           2',
        '  M           1',
        '',
        'Kafka: records in topic streamforge.records with key pipeline-1',
        '  partition 2: offsets 10–12 (3 messages)',
        '',
        'Timings',
        '  step          submit ms  poll ms  collect ms  total ms',
        '  ------------  ---------  -------  ----------  --------',
        '  ingest                —        —           —       131',
        '  count_gender        228    1,625          41     1,894',
        '  whole run             —        —           —     2,100',
        '',
        'Web UI: http://ui/run',
      ].join('\n'),
    );
  });

  it('cuts long sections to maxRows and says how many rows were left out', () => {
    const rows = [1, 2, 3].map((id) => ({ id, gender: 'F' }));
    const report = formatRunReport(
      {
        ...result,
        source: { kind: 'json-file', path: 'emp_data.json' },
        results: { read_records: { inline: { records: rows }, rows: 3, bytes: 60 } },
      },
      { runUrl: 'u', maxRows: 2 },
    );
    expect(report.split('\n').slice(0, 8)).toEqual([
      'Records  (read_records)',
      '  id  gender',
      '  --  ------',
      '   1  F',
      '   2  F',
      '  … 1 more rows',
      '',
      'Spark read the file emp_data.json itself (nothing written to Kafka)',
    ]);
  });
});
