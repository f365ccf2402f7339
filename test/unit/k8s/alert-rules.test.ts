// The alerts fire when they should and only then: k8s/components/monitoring/alerts.test.yaml, run by Prometheus' own
// `promtool test rules` against the rules of alerts.yaml (a PrometheusRule, so its spec.groups are written out as a
// plain rule file first), and every alert has a case where it fires and one where it must not.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../../lib/config';

const MONITORING = path.join(PROJECT_ROOT, 'k8s', 'components', 'monitoring');
/** The rule file the test file's rule_files names: the harness writes it beside a copy of the test file. */
const RULE_FILE = 'alerts.rules.yaml';

/** promtool (Debian package `prometheus`, or a Prometheus release) runs the tests; without it they are skipped, and say so. */
const HAS_PROMTOOL = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
if (!HAS_PROMTOOL) {
  console.warn('promtool is not installed: k8s/components/monitoring/alerts.test.yaml did NOT run (install promtool to run it)');
}

interface PrometheusRule {
  kind: string;
  spec: { groups: { name: string; rules: { alert?: string; record?: string }[] }[] };
}

interface RuleTests {
  rule_files: string[];
  tests: { alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[] }[];
}

const rule = parse(fs.readFileSync(path.join(MONITORING, 'alerts.yaml'), 'utf8')) as PrometheusRule;
const ruleTests = parse(fs.readFileSync(path.join(MONITORING, 'alerts.test.yaml'), 'utf8')) as RuleTests;
const alertNames = rule.spec.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []);

describe('k8s/components/monitoring/alerts.test.yaml', () => {
  it('tests the rules of alerts.yaml, as the rule file the harness writes', () => {
    expect(rule.kind).toBe('PrometheusRule');
    expect(alertNames.length).toBeGreaterThan(0);
    expect(ruleTests.rule_files).toEqual([RULE_FILE]);
  });

  it('has a case where each alert fires and one where it must not', () => {
    const firing = new Set(cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => c.alertname));
    // Explicitly `exp_alerts: []`: a case that merely forgot its expectations does not count.
    const silent = new Set(cases.filter((c) => Array.isArray(c.exp_alerts) && c.exp_alerts.length === 0).map((c) => c.alertname));
    expect(alertNames.filter((name) => !firing.has(name))).toEqual([]);
    expect(alertNames.filter((name) => !silent.has(name))).toEqual([]);
  });

  it('tests no alert alerts.yaml does not have', () => {
    expect([...new Set(cases.map((c) => c.alertname))].filter((name) => !alertNames.includes(name))).toEqual([]);
  });
});

describe.skipIf(!HAS_PROMTOOL)('promtool test rules k8s/components/monitoring/alerts.test.yaml', () => {
  it('passes: every alert fires, and stays quiet, where the tests say', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamforge-alerts-'));
    try {
      fs.writeFileSync(path.join(dir, RULE_FILE), stringify({ groups: rule.spec.groups }));
      fs.copyFileSync(path.join(MONITORING, 'alerts.test.yaml'), path.join(dir, 'alerts.test.yaml'));
      const run = spawnSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(run.error).toBeUndefined();
      expect(run.status, `promtool test rules failed:\n${run.stdout}${run.stderr}`).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
