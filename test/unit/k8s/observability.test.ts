// Prometheus scrapes ports that exist, and the alerts and the Grafana dashboard ask for metrics that are served:
// the worker's (lib/metric-names.ts), the REST service's (apps/rest/plugins/metrics.ts) and the Temporal SDK's (the
// names its Rust core defines, in the installed @temporalio/core-bridge).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/config';
import { PIPELINE_STEPS, TEMPORAL_SDK_HISTOGRAMS, TEMPORAL_SDK_METRIC_NAMES, WORKER_DEPENDENCIES, WORKER_HISTOGRAMS, WORKER_METRIC_NAMES } from '../../../lib/metric-names';
import { HAS_KUBECTL, render, selects } from './render';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

/** The REST service's metrics and their types, as apps/rest/plugins/metrics.ts registers them. */
const REST_METRICS = new Map(
  [...read('apps/rest/plugins/metrics.ts').matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: '([^']+)'/g)].map(([, type, name]) => [name!, type!]),
);

/** Every series name Prometheus will have: histograms as their _bucket, _sum and _count series. */
const SERVED = new Set<string>();
const serve = (name: string, histogram: boolean) => {
  for (const suffix of histogram ? ['_bucket', '_sum', '_count'] : ['']) SERVED.add(name + suffix);
};
for (const name of Object.values(WORKER_METRIC_NAMES)) serve(name, WORKER_HISTOGRAMS.includes(name));
for (const [name, type] of REST_METRICS) serve(name, type === 'Histogram');
for (const name of Object.values(TEMPORAL_SDK_METRIC_NAMES)) serve(name, TEMPORAL_SDK_HISTOGRAMS.includes(name));
// Prometheus' own `up`: it writes one per scrape target (1 scraped, 0 not), whatever the target serves. Which targets
// is the expression's `job` matcher, and those values are checked (LABEL_VALUES.job).
SERVED.add('up');

/** Metric names a PromQL expression asks for (ours and the SDK's all start with these prefixes; `up{...}` is Prometheus'). */
const metricsIn = (expr: string) => [...expr.matchAll(/\b(?:streamforge|temporal)_[a-z0-9_]+\b|\bup(?=\{)/g)].map(([name]) => name);

/** Label matchers `label="value"` / `label=~"a|b"` of an expression, as [label, value] pairs. */
const matchersIn = (expr: string) =>
  [...expr.matchAll(/\b(\w+)=~?"([^"]*)"/g)].flatMap(([, label, values]) => values!.split('|').map((value) => [label!, value] as const));

/** The values the labels our alerts and dashboard filter on can have. */
const routes = fs.readdirSync(path.join(PROJECT_ROOT, 'apps/rest/routes')).flatMap((f) => [...read(`apps/rest/routes/${f}`).matchAll(/app\.\w+\(\s*'([^']+)'/g)].map(([, r]) => r!));
/** The scrape jobs: the prometheus-operator names a job after the Service it scrapes (no ServiceMonitor sets `jobLabel`, checked below). */
const JOBS = ['streamforge-rest', 'streamforge-worker'];
const LABEL_VALUES: Record<string, readonly string[]> = { step: PIPELINE_STEPS, dependency: WORKER_DEPENDENCIES, route: routes, job: JOBS };

function checkExpression(where: string, expr: string) {
  const metrics = metricsIn(expr);
  expect(metrics.length, `${where} asks for no metric of ours`).toBeGreaterThan(0);
  for (const metric of metrics) expect(SERVED, `${where}: ${metric}`).toContain(metric);
  for (const [label, value] of matchersIn(expr)) {
    if (LABEL_VALUES[label]) expect(LABEL_VALUES[label], `${where}: ${label}="${value}"`).toContain(value);
  }
}

describe('the metric names the manifests may use', () => {
  it('include every metric the REST service registers', () => {
    expect([...REST_METRICS.keys()]).toEqual(
      expect.arrayContaining(['streamforge_http_requests_total', 'streamforge_http_request_duration_seconds', 'streamforge_pipelines_in_flight', 'streamforge_process_batch_requests', 'streamforge_process_refused_total']),
    );
  });

  it('include only Temporal SDK metrics its core defines, under the prefix it gives them', () => {
    const core = path.join(PROJECT_ROOT, 'node_modules/@temporalio/core-bridge/sdk-core/crates');
    const sources = ['common/src/telemetry.rs', 'common/src/telemetry/metrics.rs', 'sdk-core/src/telemetry/metrics.rs'].map((f) => {
      const file = path.join(core, f);
      expect(fs.existsSync(file), `${file} (the SDK's metric definitions) moved: find where its core names its metrics`).toBe(true);
      return fs.readFileSync(file, 'utf8');
    });
    const text = sources.join('\n');
    expect(text).toContain('METRIC_PREFIX: &str = "temporal_"');
    for (const name of Object.values(TEMPORAL_SDK_METRIC_NAMES)) {
      const bare = name.replace(/^temporal_/, '');
      expect(text, name).toContain(`"${bare}"`);
      if (TEMPORAL_SDK_HISTOGRAMS.includes(name)) expect(text, `${name} is a histogram`).toMatch(new RegExp(`_HISTOGRAM_NAME: &str =\\s*"${bare}"`));
    }
  });
});

describe.skipIf(!HAS_KUBECTL)('k8s/overlays/prod monitoring', () => {
  const m = render('prod');

  it('scrapes the REST service`s http port and both worker metrics ports, at /metrics', () => {
    const expected: Record<string, string[]> = { 'streamforge-rest': ['http'], 'streamforge-worker': ['metrics', 'sdk-metrics'] };
    expect(Object.keys(expected)).toEqual(JOBS);
    for (const [name, ports] of Object.entries(expected)) {
      const monitor = m.find('ServiceMonitor', name);
      expect(monitor.spec.jobLabel, `${name}: its job is no longer the Service's name`).toBeUndefined();
      const services = m.all('Service').filter((s) => selects(monitor.spec.selector.matchLabels, s.metadata.labels ?? {}));
      expect(services.map((s) => s.metadata.name)).toEqual([name]);
      const endpoints = monitor.spec.endpoints as { port: string; path: string }[];
      expect(endpoints.map((e) => e.port)).toEqual(ports);
      for (const e of endpoints) {
        expect(e.path).toBe('/metrics');
        expect(services[0]!.spec.ports.map((p: { name: string }) => p.name)).toContain(e.port);
      }
    }
  });

  it('alerts on failures, slow steps and requests, backlog, and Spark out of reach, with metrics that are served', () => {
    const rules = m.find('PrometheusRule', 'streamforge').spec.groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
      alert: string;
      expr: string;
      for: string;
      labels: { severity: string };
      annotations: { summary: string; description: string };
    }[];
    for (const rule of rules) {
      checkExpression(rule.alert, rule.expr);
      expect(rule.for, rule.alert).toMatch(/^\d+m$/);
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary && rule.annotations.description, rule.alert).toBeTruthy();
    }
    const uses = (metric: string) => rules.filter((r) => metricsIn(r.expr).some((n) => n.startsWith(metric)));
    for (const metric of [WORKER_METRIC_NAMES.pipelineRunsFailed, WORKER_METRIC_NAMES.pipelineStepDuration, 'streamforge_http_request_duration_seconds', TEMPORAL_SDK_METRIC_NAMES.activityScheduleToStartLatency]) {
      expect(uses(metric).length, metric).toBeGreaterThan(0);
    }
    expect(rules.some((r) => r.expr.includes(`${WORKER_METRIC_NAMES.dependencyUp}{dependency="spark"} == 0`))).toBe(true);
  });

  it('ships a Grafana dashboard whose every query asks for metrics that are served, and shows every worker metric', () => {
    const config = m.find('ConfigMap', 'streamforge-dashboard');
    expect(config.metadata.labels!.grafana_dashboard).toBe('1');
    const files = Object.keys(config.data!);
    expect(files).toEqual(['streamforge.json']);
    const dashboard = JSON.parse(config.data!['streamforge.json']!) as { uid: string; panels: { id: number; type: string; title: string; targets?: { expr: string }[]; datasource?: { uid: string } }[] };
    expect(dashboard.uid).toBe('streamforge');
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const exprs = panels.flatMap((p) => {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      return p.targets!.map((t) => ({ where: p.title, expr: t.expr }));
    });
    for (const { where, expr } of exprs) checkExpression(where, expr);
    const used = new Set(exprs.flatMap((e) => metricsIn(e.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    for (const name of Object.values(WORKER_METRIC_NAMES)) expect(used, name).toContain(name);
    for (const name of REST_METRICS.keys()) expect(used, name).toContain(name);
  });
});
