// The flood's clients, in a process of their own (the chaos run starts it): 500 closed-loop clients in the chaos
// run's own process would measure its event loop, not the service. Prints its answers as one JSON line.
// Usage: tsx scripts/chaos/flood-process.ts <base url> <clients> <seconds>
import { generateEmployees } from '../../lib/employee-generator';
import { ProcessClients } from './load';

async function main(): Promise<void> {
  const [baseUrl, clients, seconds] = process.argv.slice(2);
  if (!baseUrl || !clients || !seconds) throw new Error('usage: flood-process.ts <base url> <clients> <seconds>');
  // Twenty bodies sent again and again: a new one each time would load this process, not the service.
  const bodies = Array.from({ length: 20 }, (_, i) => [...generateEmployees(2 + ((i * 37) % 199), 1000 + i)]);
  const flood = new ProcessClients(Number(clients), { baseUrl, retryOverCapacity: false, bodies });
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
  await flood.stop();
  process.stdout.write(`${JSON.stringify(flood.answers)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`flood: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
