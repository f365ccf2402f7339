// The cluster topology's Prometheus configuration: the alert rules of k8s/components/monitoring as a plain rule
// file, and scrape jobs named as the alerts expect them.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT } from '../../../../lib/config';
import { prometheusConfig, ruleFileOf } from '../../../../scripts/stack/prometheus';

describe('the local Prometheus', () => {
  it("loads alerts.yaml's groups as a plain rule file", () => {
    const source = fs.readFileSync(path.join(PROJECT_ROOT, 'k8s/components/monitoring/alerts.yaml'), 'utf8');
    const rules = parse(ruleFileOf(source)) as { groups: { name: string; rules: { alert?: string }[] }[] };
    expect(Object.keys(rules)).toEqual(['groups']);
    expect(rules.groups.flatMap((g) => g.rules.map((r) => r.alert))).toContain('StreamforgeWorkersDown');
    expect(() => ruleFileOf('kind: ConfigMap\n')).toThrow(/not a PrometheusRule/);
  });

  it('scrapes the worker (both ports), the REST trigger and Temporal under the job names the alerts use', () => {
    const config = loadConfig({ PORT: '5001', WORKER_METRICS_PORT: '9464', TEMPORAL_METRICS_PORT: '0' });
    const scrape = parse(prometheusConfig(config, ['127.0.0.1:8000'], '/r.yaml')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(scrape.rule_files).toEqual(['/r.yaml']);
    expect(Object.fromEntries(scrape.scrape_configs.map((c) => [c.job_name, c.static_configs[0]!.targets]))).toEqual({
      'streamforge-worker': ['127.0.0.1:9464'],
      'streamforge-rest': ['127.0.0.1:5001'],
      temporal: ['127.0.0.1:8000'],
    });
    const alerts = fs.readFileSync(path.join(PROJECT_ROOT, 'k8s/components/monitoring/alerts.yaml'), 'utf8');
    expect(alerts).toContain('job="streamforge-worker"');
    expect(alerts).toContain('job="streamforge-rest"');
  });
});
