/**
 * Description of the machine and software a benchmark ran on: CPU, memory, OS, Node and V8, the
 * versions of the compared libraries (read from their installed package.json), and the git commit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly logicalCores: number;
  readonly totalMemoryBytes: number;
  readonly os: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews timings. */
  readonly loadAverage: readonly number[];
  readonly node: string;
  readonly v8: string;
  /** Installed version of each package asked for, or "not installed". */
  readonly packages: Readonly<Record<string, string>>;
  readonly git: { readonly commit: string; readonly dirty: boolean } | null;
}

/** Finds `node_modules/<name>/package.json` in this module's directory or above it. */
function installedVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 12; i++) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      const parsed: unknown = JSON.parse(readFileSync(candidate, 'utf8'));
      const version = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['version'] : undefined;
      return typeof version === 'string' ? version : 'unknown';
    }
    const parent = resolve(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  return 'not installed';
}

function gitState(): MachineInfo['git'] {
  const cwd = dirname(fileURLToPath(import.meta.url));
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return null;
  }
}

export function machineInfo(packageNames: readonly string[]): MachineInfo {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    logicalCores: cpuList.length,
    totalMemoryBytes: totalmem(),
    os: `${platform()} ${release()} ${arch()}`,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    node: process.version,
    v8: process.versions.v8,
    packages: Object.fromEntries(packageNames.map((name) => [name, installedVersion(name)])),
    git: gitState(),
  };
}
