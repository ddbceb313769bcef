/**
 * CPU time and resident memory of a process, read from Linux's /proc: utime + stime of
 * /proc/<pid>/stat (in clock ticks, 100 per second on Linux) and VmRSS / VmHWM of /proc/<pid>/status.
 * Elsewhere (no /proc) the readings are undefined and the rows say n/a.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: fixed at 100 by the Linux ABI for /proc times. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) of the process so far, in ms. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Resident set size now, in bytes. */
export function rssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set size since the process started, in bytes. */
export function peakRssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** Samples a process's RSS every `everyMs` and keeps the peak (VmHWM never resets, so a window needs sampling). */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  private sample(): void {
    const rss = rssBytes(this.pid);
    if (rss !== undefined && rss > this.peak) this.peak = rss;
  }

  /** Stops sampling; the peak seen, or undefined without /proc. */
  stop(): number | undefined {
    clearInterval(this.timer);
    this.sample();
    return this.peak > 0 ? this.peak : undefined;
  }
}
