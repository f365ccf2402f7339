// The cluster topology's Prometheus (Debian's `prometheus` package): it scrapes the worker (its own metrics and the
// Temporal SDK's), the REST trigger and Temporal's services, with k8s/components/monitoring's alert rules loaded,
// so the alerts a Kubernetes install has are evaluated against the local stack too.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT, type Config } from '../../lib/config';
import type { StackPaths } from './paths';
import { StackError } from './processes';
import type { Service } from './services';

/** The PrometheusRule whose groups are the alert rules (alerts.test.yaml tests them with promtool). */
const ALERTS = path.join(PROJECT_ROOT, 'k8s', 'components', 'monitoring', 'alerts.yaml');

/** A PrometheusRule's spec.groups, as the plain rule file Prometheus reads. */
export function ruleFileOf(prometheusRule: string): string {
  const rule = parse(prometheusRule) as { kind?: string; spec?: { groups?: unknown[] } };
  if (rule.kind !== 'PrometheusRule' || !Array.isArray(rule.spec?.groups))
    throw new StackError(`${ALERTS} is not a PrometheusRule with spec.groups`);
  return stringify({ groups: rule.spec.groups });
}

/**
 * The scrape configuration: job names as the ServiceMonitors give them on Kubernetes (the alerts name
 * `streamforge-worker` and `streamforge-rest`), each target on loopback.
 */
export function prometheusConfig(config: Config, temporalMetrics: string[], ruleFile: string): string {
  const { host, port } = config.http;
  const workerTargets = [config.worker.metricsPort, config.worker.sdkMetricsPort].filter((p) => p !== 0).map((p) => `127.0.0.1:${p}`);
  return stringify({
    global: { scrape_interval: '5s', evaluation_interval: '5s' },
    rule_files: [ruleFile],
    scrape_configs: [
      { job_name: 'streamforge-worker', static_configs: [{ targets: workerTargets }] },
      { job_name: 'streamforge-rest', static_configs: [{ targets: [`${host}:${port}`] }] },
      { job_name: 'temporal', static_configs: [{ targets: temporalMetrics }] },
    ],
  });
}

/** The `prometheus` binary: Debian's package, or one on PATH. */
function prometheusBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    throw new StackError(
      'the cluster topology runs Prometheus, and `prometheus` is not installed: `apt-get install prometheus` (Debian), or put a Prometheus 2.x binary on PATH',
    );
  return found;
}

export function prometheusService(config: Config, p: StackPaths, temporalMetrics: string[]): Service {
  const host = '127.0.0.1';
  const port = config.stackCluster.prometheusPort;
  const dir = path.join(p.state, 'prometheus');
  const configFile = path.join(dir, 'prometheus.yml');
  const ruleFile = path.join(dir, 'alerts.rules.yaml');
  return {
    name: 'prometheus',
    ports: [{ host, port }],
    describe: `Prometheus http://${host}:${port} (alert rules of k8s/components/monitoring loaded)`,
    startTimeoutMs: 60_000,
    async prepare() {
      fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
      fs.writeFileSync(ruleFile, ruleFileOf(fs.readFileSync(ALERTS, 'utf8')));
      fs.writeFileSync(configFile, prometheusConfig(config, temporalMetrics, ruleFile));
    },
    spec: () => ({
      name: 'prometheus',
      command: prometheusBinary(),
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=${host}:${port}`,
      ],
      cwd: dir,
      marker: configFile,
    }),
    async isReady() {
      const res = await fetch(`http://${host}:${port}/-/ready`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.status === 200;
    },
  };
}
