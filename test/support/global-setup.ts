// Integration tests run against the real stack: start it if it is not up (installing on a fresh machine), and
// stop it afterwards only if this run started it.
import { loadConfig } from '../../lib/config';
import { stackDown, stackUp } from '../../scripts/stack/stack';

let startedHere = false;

export async function setup(): Promise<void> {
  const report = await stackUp(loadConfig());
  startedHere = report.services.some((s) => s.started);
  process.stdout.write(
    `[integration] stack ready: ${report.services.map((s) => `${s.name} ${s.started ? 'started' : 'reused'}`).join(', ')}\n`,
  );
}

export async function teardown(): Promise<void> {
  if (startedHere && !process.env.KEEP_STACK) await stackDown(loadConfig());
}
