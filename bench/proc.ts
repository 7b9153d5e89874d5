import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Linux /proc readings for the resource benchmarks. */

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const CLK_TCK = (() => {
  try {
    return Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }), 10) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm is in parentheses and may itself contain spaces or parentheses.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU time (user + system) a process has used so far, in seconds; NaN if it is gone. */
export function cpuSeconds(pid: number): number {
  const stat = procStat(pid);
  return stat ? stat.cpuTicks / CLK_TCK : Number.NaN;
}

/** Forks (and clones, threads included) since boot, all processes of the machine: `processes` in /proc/stat. */
export function machineForks(): number {
  const line = /^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  if (!line) throw new Error('/proc/stat has no processes line');
  return Number(line[1]);
}

export function processExists(pid: number): boolean {
  return procStat(pid) !== null;
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Every live process below `pid`. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of pids()) {
    const stat = procStat(p);
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), p]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

export interface NewProcess {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
  /** The parent's command name when the process was seen. */
  parent: string;
  /** A descendant of one of the watched roots (Patchbay, its tmux server). */
  ours: boolean;
}

/**
 * Finds processes that appear while it runs, by listing /proc every few milliseconds: what
 * forked, with its command line and parent. One that lives shorter than the interval can be
 * missed (the `processes` counter cannot), and threads are not processes, so not seen here.
 */
export class ProcessWatcher {
  private readonly known = new Map<number, number>();
  private readonly found: NewProcess[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly roots: number[],
    private readonly intervalMs = 10,
  ) {}

  start(): void {
    for (const pid of pids()) this.known.set(pid, procStat(pid)?.ppid ?? 0);
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): NewProcess[] {
    clearInterval(this.timer);
    this.sample();
    return this.found;
  }

  private sample(): void {
    for (const pid of pids()) {
      if (this.known.has(pid)) continue;
      const stat = procStat(pid);
      this.known.set(pid, stat?.ppid ?? 0);
      if (!stat) continue;
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      } catch {
        // gone already
      }
      const parent = procStat(stat.ppid)?.comm ?? '(gone)';
      this.found.push({ pid, ppid: stat.ppid, comm: stat.comm, cmdline: cmdline || `[${stat.comm}]`, parent, ours: this.below(pid) });
    }
  }

  private below(pid: number): boolean {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = this.known.get(p) ?? 0, hops++) {
      if (this.roots.includes(p)) return true;
    }
    return false;
  }
}

/** "3× tmux -L … has-session (parent 1234 node)" lines, most frequent first. */
export function describeNewProcesses(found: NewProcess[], limit = 8): string[] {
  const groups = new Map<string, { count: number; ours: boolean; parent: string }>();
  for (const p of found) {
    const cmd = p.cmdline.replace(/\s+/g, ' ');
    const key = cmd.length > 100 ? `${cmd.slice(0, 100)}…` : cmd;
    const group = groups.get(key) ?? { count: 0, ours: p.ours, parent: `${p.ppid} ${p.parent}` };
    group.count++;
    groups.set(key, group);
  }
  return [...groups]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, limit)
    .map(([cmd, g]) => `${g.count}× \`${cmd}\` (parent ${g.parent}${g.ours ? ', Patchbay/tmux' : ''})`);
}
