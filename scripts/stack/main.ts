// `npm run stack -- up | down | status | logs [service] [--topology single|cluster]`: manages the local Temporal +
// Kafka + Spark stack. `--topology cluster` is STACK_TOPOLOGY=cluster: three Kafka brokers, a Spark standalone
// cluster, Temporal's own server on PostgreSQL, Prometheus (README, "The cluster topology").
import { loadConfig } from '../../lib/config';
import { tail } from './processes';
import { stackDown, stackLogFiles, stackStatus, stackUp } from './stack';

const say = (line = '') => process.stdout.write(`${line}\n`);

/** The arguments without `--topology <t>`, which sets STACK_TOPOLOGY for this command (the environment's otherwise). */
function withoutTopology(argv: string[]): string[] {
  const at = argv.indexOf('--topology');
  if (at === -1) return argv;
  process.env.STACK_TOPOLOGY = argv[at + 1];
  return [...argv.slice(0, at), ...argv.slice(at + 2)];
}

async function main(argv: string[]): Promise<number> {
  const [command, arg] = withoutTopology(argv);
  const config = loadConfig();
  switch (command) {
    case 'up': {
      const t0 = Date.now();
      const report = await stackUp(config);
      for (const i of report.installs)
        say(`install  ${i.step.padEnd(38)} ${i.installed ? `installed in ${i.seconds.toFixed(1)}s` : 'cached'}`);
      for (const s of report.services) {
        const warmed = s.warmSeconds === undefined ? '' : ` (${s.warmSeconds.toFixed(1)}s of it warming up)`;
        say(`service  ${s.name.padEnd(38)} ${s.started ? 'started' : 'already running'}, ready in ${s.seconds.toFixed(1)}s${warmed}`);
      }
      say(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)}s — Temporal Web UI: ${config.temporal.uiUrl}`);
      return 0;
    }
    case 'down': {
      const stopped = await stackDown(config);
      say(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      const statuses = await stackStatus(config);
      for (const s of statuses) {
        const state = s.pid === undefined ? 'stopped' : s.ready ? 'ready' : 'starting/unhealthy';
        say(
          `${s.name.padEnd(16)} ${state.padEnd(18)} pid ${String(s.pid ?? '-').padEnd(8)} rss ${s.rssMb === undefined ? '-' : `${s.rssMb} MB`}  ${s.describe}  log ${s.logFile}`,
        );
      }
      return statuses.every((s) => s.ready) ? 0 : 1;
    }
    case 'logs': {
      const files = stackLogFiles(config).filter((f) => !arg || f.name === arg);
      if (files.length === 0)
        throw new Error(
          `unknown service "${arg}" — one of: ${stackLogFiles(config)
            .map((f) => f.name)
            .join(', ')}`,
        );
      for (const f of files) say(`==> ${f.file} <==\n${tail(f.file, 40)}\n`);
      return 0;
    }
    default:
      say('usage: npm run stack -- up | down | status | logs [service] [--topology single|cluster]');
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`stack: ${err.message}\n`);
    process.exit(1);
  },
);
