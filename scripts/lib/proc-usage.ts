// What a process group uses, read from /proc (Linux): its resident memory (the stack's status, the soak and stream
// reports) and its CPU time (what a cost measurement charges to each of the stack's processes and to ours).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ, the unit of utime/stime in /proc/<pid>/stat). */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** The live processes of process group `pgid`: each pid with the fields of its /proc/<pid>/stat after the name. */
function groupMembers(pgid: number): { pid: string; stat: string[] }[] {
  const members: { pid: string; stat: string[] }[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push({ pid, stat: fields }); // stat field 5: process group id
    } catch {
      /* the process went away while we looked */
    }
  }
  return members;
}

/** Resident memory of one process, kB; undefined once it is gone. */
function processRssKb(pid: number | string): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

/** Resident memory of one process, MB; undefined once it is gone. */
export function processRssMb(pid: number): number | undefined {
  const kb = processRssKb(pid);
  return kb === undefined ? undefined : Math.round(kb / 1024);
}

/** Resident memory of a process and everything in its process group, in MB; undefined when none is alive. */
export function groupRssMb(pgid: number): number | undefined {
  const kbs = groupMembers(pgid).flatMap(({ pid }) => {
    const kb = processRssKb(pid);
    return kb === undefined ? [] : [kb];
  });
  return kbs.length === 0 ? undefined : Math.round(kbs.reduce((sum, kb) => sum + kb, 0) / 1024);
}

/** CPU time (user + system) used so far by every live process of process group `pgid`, ms. */
export function groupCpuMs(pgid: number): number {
  const ticks = groupMembers(pgid).reduce((sum, { stat }) => sum + Number(stat[11]) + Number(stat[12]), 0); // utime, stime
  return (ticks * 1000) / clockTicks();
}

/** CPU ms used by each named process group since it was made or last restarted. */
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

/**
 * CPU time (user + system) spent so far by the garbage collector's threads of every live JVM in process group
 * `pgid`, ms: HotSpot names them ("GC Thread#0", "G1 Conc#0", "G1 Refine#0", "G1 Main Marker", "G1 Service"), so
 * /proc/<pid>/task/<tid>/stat tells them apart without attaching anything to the JVM.
 */
export function groupGcCpuMs(pgid: number): number {
  let ticks = 0;
  for (const { pid } of groupMembers(pgid)) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (!GC_THREAD.test(name)) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        /* the thread ended while we looked */
      }
    }
  }
  return (ticks * 1000) / clockTicks();
}

/** HotSpot's garbage collector threads, by the names the kernel keeps (15 characters at most). */
const GC_THREAD = /^(GC Thread|G1 |ZGC|Shenandoah)/;
