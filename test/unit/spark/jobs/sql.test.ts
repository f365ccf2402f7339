// Specification of how a job's plan becomes one Spark query: its groups, LATERAL only when there are several,
// parameters as markers (no value in the text), group names checked before they are written, rows in each section's order.
import { describe, expect, it } from 'vitest';
import type { JobPlan } from '../../../../contracts/definitions';
import { jobSql, memberGroups, recordsFromKafkaSql, sectionRowsSql } from '../../../../spark/jobs/sql';

const plan: JobPlan = {
  definition: 'shop',
  version: '0123456789ab',
  job: 'totals',
  fields: 'sku STRING, qty BIGINT',
  columns: ['sku', 'qty'],
  sections: [['by_sku', { kind: 'query', sql: 'SELECT sku, sum(qty) AS n FROM records WHERE qty > :min GROUP BY sku', orderBy: 'sku' }]],
  params: { min: { type: 'long', value: 987654321 } },
};

describe('jobSql', () => {
  it('runs the SQL as written for one group, and through a LATERAL view of each group for several', () => {
    const alone = jobSql(plan, 'SELECT 1', ['']);
    expect(alone).not.toContain('LATERAL');
    expect(alone).not.toContain('run_groups');
    expect(alone).toContain("SELECT '' AS _group, 0 AS section_index");
    const shared = jobSql(plan, 'SELECT 1', ['0', '1:req-a']);
    expect(shared).toContain('run_groups g, LATERAL (WITH records AS (SELECT sku, qty FROM all_records WHERE _group = g._group)');
    expect(shared).toContain("VALUES ('0'), ('1:req-a')");
  });

  it("orders each section's rows by its own order_by in one ORDER BY: an order column per section, NULL in the other sections' rows", () => {
    const two: JobPlan = {
      ...plan,
      sections: [
        plan.sections[0]!,
        ['by_qty', { kind: 'query', sql: 'SELECT qty, count(*) AS n FROM records GROUP BY qty', orderBy: 'qty DIV 10' }],
      ],
    };
    const sql = jobSql(two, 'SELECT 1', ['0', '1']);
    expect(sql).toContain('(sku) AS order_0, NULL AS order_1');
    expect(sql).toContain('NULL AS order_0, (qty DIV 10) AS order_1');
    expect(sql).toMatch(/ORDER BY _group, section_index, order_0, order_1$/);
    // No window per section: it cost Spark one more shuffle per execution.
    expect(sql).not.toContain('OVER (');
  });

  it('leaves parameters as markers: no value of theirs is in the text', () => {
    const sql = jobSql(plan, 'SELECT 1', ['', 'x']);
    expect(sql).toContain(':min');
    expect(sql).not.toContain('987654321');
  });

  it('refuses a group name that could end its string literal', () => {
    expect(() => jobSql(plan, 'SELECT 1', ["a'b"])).toThrow(/group name must match/);
    expect(() => jobSql(plan, 'SELECT 1', [])).toThrow(/at least one group/);
  });

  it("names a member's groups by its tag", () => {
    expect(memberGroups({ tag: '3' })).toEqual(['3']);
    expect(memberGroups({ tag: '3', groups: ['a', 'b'] })).toEqual(['3:a', '3:b']);
  });
});

describe('sectionRowsSql', () => {
  it("gives a section's typed rows, with the group column only when the records carry groups", () => {
    expect(sectionRowsSql(plan, 'by_sku', 'SELECT 1', [''])).toMatch(/SELECT s\.\* FROM \(WITH records/);
    expect(sectionRowsSql(plan, 'by_sku', 'SELECT 1', ['a'])).toMatch(/SELECT 'a' AS _group, s\.\* FROM \(WITH records/);
    expect(sectionRowsSql(plan, 'by_sku', 'SELECT 1', ['a', 'b'])).toMatch(
      /SELECT g\._group AS _group, s\.\* FROM run_groups g, LATERAL \(/,
    );
    expect(() => sectionRowsSql(plan, 'nope', 'SELECT 1', [''])).toThrow(/no section "nope"/);
  });
});

describe('recordsFromKafkaSql', () => {
  it("takes a run's records by its key as a hex literal, the declared columns and the group", () => {
    const sql = recordsFromKafkaSql('source_x', plan.fields, plan.columns, "k'1");
    expect(sql).toContain("WHERE key = X'6b2731'");
    expect(sql).toContain("SELECT r.sku, r.qty, coalesce(r._group, '') AS _group");
    expect(recordsFromKafkaSql('source_x', plan.fields, plan.columns)).toContain("'' AS _group");
  });
});
