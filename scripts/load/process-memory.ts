// Finding the processes a load run exercises and sampling their resident memory, for the soak report: the stack's
// services by their pid files (with their process groups: Spark's JVM under spark-submit), our REST trigger and
// worker by the ports they listen on (`npm start` runs both in one process), the old service by its pid file.
import fs from 'node:fs';
import { groupRssMb, processRssMb } from '../lib/proc-usage';

/** The socket inodes listening on `port` (any address), from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is field 10
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** The pid of our own process listening on `port` (one we may read the file descriptors of), or undefined. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return undefined;
}

/** What to sample: a name and how to measure it now (its pid may change, e.g. a restarted service). */
export type MemoryProbe = { name: string; rssMb: () => number | undefined };

export const groupProbe = (name: string, pid: () => number | undefined): MemoryProbe => ({
  name,
  rssMb: () => {
    const p = pid();
    return p === undefined ? undefined : groupRssMb(p);
  },
});

export const processProbe = (name: string, pid: () => number | undefined): MemoryProbe => ({
  name,
  rssMb: () => {
    const p = pid();
    return p === undefined ? undefined : processRssMb(p);
  },
});
