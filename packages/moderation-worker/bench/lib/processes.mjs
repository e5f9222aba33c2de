// What the kernel says about the processes under measurement (started through @geoduels/test-support):
// CPU ticks from /proc/<pid>/stat, peak RSS (VmHWM) from /proc/<pid>/status; and the bounded wait
// every phase uses.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Kernel clock ticks per second (USER_HZ); 100 on every mainstream Linux build. */
const CLK_TCK = 100;

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMs(pid) {
  const { user, system } = cpuSplitMs(pid);
  return user + system;
}

/** User and kernel CPU time a process has used so far, in milliseconds. */
export function cpuSplitMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1000) / CLK_TCK, system: (Number(fields[12]) * 1000) / CLK_TCK };
}

/** CPU milliseconds used so far by every process on the machine, keyed by pid, with its command name. */
export function processCpuSnapshot() {
  const snapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      snapshot.set(Number(entry), { comm, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return snapshot;
}

/**
 * CPU milliseconds used between two snapshots, grouped: the named pids (`{ worker: pid, ... }`),
 * PostgreSQL processes working for the benchmark (`postgresPids`: its database's backends and the
 * server's shared background processes), Redis, and everything else (other work sharing the
 * machine, other databases' backends included). Processes that ended in between are not seen.
 */
export function cpuBetween(before, after, named, postgresPids = new Set()) {
  const groups = {
    ...Object.fromEntries(Object.keys(named).map((k) => [k, 0])),
    postgres: 0,
    redis: 0,
    other: 0,
  };
  const byPid = new Map(Object.entries(named).map(([k, pid]) => [pid, k]));
  for (const [pid, now] of after) {
    const then = before.get(pid);
    const used = now.ms - (then && then.comm === now.comm ? then.ms : 0);
    const group =
      byPid.get(pid) ??
      (postgresPids.has(pid) ? 'postgres' : now.comm.startsWith('redis') ? 'redis' : 'other');
    groups[group] += used;
  }
  return groups;
}

/** Peak resident set size of a process so far (VmHWM), in MiB. */
export function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
export function machineTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

/**
 * Polls `check` every `intervalMs` until it returns a truthy value or `timeoutMs` passes;
 * throws with `what` on timeout (and passes on whatever `check` throws). Every wait in the benchmark goes through here, so none is unbounded.
 */
export async function waitFor(what, check, { timeoutMs, intervalMs = 100 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
