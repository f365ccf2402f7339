// CPU time of a process group, read from /proc (Linux): what a cost measurement charges to each of the stack's
// processes (Temporal, Kafka, Spark) and to ours (worker, REST trigger), in milliseconds.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ, the unit of utime/stime in /proc/<pid>/stat). */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** CPU time (user + system) used so far by every live process of process group `pgid`, ms. */
export function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // stat field 5: process group id
      ticks += Number(fields[11]) + Number(fields[12]); // fields 14, 15: utime, stime
    } catch {
      /* the process went away while we looked */
    }
  }
  return (ticks * 1000) / clockTicks();
}

/** CPU ms used by each named process group between `start()` and `stop()`. */
export function cpuMeter(groups: Record<string, number>) {
  const read = () => Object.fromEntries(Object.entries(groups).map(([name, pgid]) => [name, groupCpuMs(pgid)]));
  let before = read();
  return {
    restart() {
      before = read();
    },
    /** CPU ms per group since the last (re)start. */
    elapsed(): Record<string, number> {
      const now = read();
      return Object.fromEntries(Object.entries(now).map(([name, ms]) => [name, ms - before[name]!]));
    },
  };
}
