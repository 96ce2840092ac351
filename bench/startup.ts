/**
 * Start-up of the installed package, the way a team runs it: `npm pack`, the tarball installed into a fresh project,
 * and its `node_modules/.bin/roster` run directly (as a shell or `npm run` script does), next to `node -e 0`.
 * Runs are interleaved, so a slow spell of the machine affects every command alike; each figure is a median.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StartupResult {
  /** Median milliseconds of each command, by label. */
  readonly medians: Readonly<Record<string, number>>;
  readonly runs: number;
}

/** The commands measured; targets are differences from `node -e 0`. */
const TARGETS: Record<string, number> = { 'roster --version': 50, 'roster validate (example, files new)': 200 };

function timed(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

function npm(args: string[], cwd: string): Promise<number> {
  return timed('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Packs roster from `root`, installs it into a temporary project and times its start-up `runs` times. */
export async function measureStartup(root: string, runs: number): Promise<StartupResult> {
  const work = mkdtempSync(join(tmpdir(), 'roster-startup-'));
  try {
    await npm(['pack', '--pack-destination', work], root);
    const tarball = `roster-${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version}.tgz`;
    const project = join(work, 'project');
    cpSync(join(root, 'examples', 'acme'), join(project, 'acme'), { recursive: true, filter: (source) => !source.endsWith('.roster') });
    writeFileSync(join(project, 'package.json'), '{ "name": "startup-bench", "private": true }\n');
    await npm(['install', '--save-dev', join(work, tarball), '--prefer-offline'], project);
    const roster = join(project, 'node_modules', '.bin', 'roster');
    const commands: Record<string, () => Promise<number>> = {
      'node -e 0': () => timed(process.execPath, ['-e', '0'], { cwd: project }),
      'roster --version': () => timed(roster, ['--version'], { cwd: project }),
      'roster --help': () => timed(roster, ['--help'], { cwd: project }),
      'roster validate (example, files new)': () => timed(roster, ['validate', 'acme'], { cwd: project, env: { ROSTER_CACHE: 'off' } }),
      'roster validate (example, files unchanged)': () => timed(roster, ['validate', 'acme'], { cwd: project }),
      'npx roster --version': () => timed('npx', ['roster', '--version'], { cwd: project }),
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((label) => [label, []]));
    for (const run of Object.values(commands)) await run(); // warm the file system cache
    for (let i = 0; i < runs; i++) {
      for (const [label, run] of Object.entries(commands)) samples[label]!.push(await run());
    }
    return { medians: Object.fromEntries(Object.entries(samples).map(([label, xs]) => [label, median(xs)])), runs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The start-up table in Markdown, each command next to `node -e 0`, with its target where it has one. */
export function startupReport(result: StartupResult): string {
  const floor = result.medians['node -e 0']!;
  const rows = Object.entries(result.medians).map(([label, ms]) => {
    const target = TARGETS[label];
    const delta = label === 'node -e 0' ? '—' : `+${((ms - floor) / 1000).toFixed(3)} s`;
    const met = target === undefined ? '' : ms - floor <= target ? `within ${target / 1000} s: met` : `within ${target / 1000} s: **not met**`;
    return `| \`${label}\` | ${(ms / 1000).toFixed(3)} s | ${delta} | ${met} |`;
  });
  return [
    `Installed from \`npm pack\` into a fresh project, \`node_modules/.bin/roster\` run directly; medians of ${result.runs} interleaved runs. "files new" runs with \`ROSTER_CACHE=off\`; \`npx\` adds npm's own start-up.`,
    '',
    '| command | time | over `node -e 0` | target |',
    '| --- | ---: | ---: | --- |',
    ...rows,
    '',
  ].join('\n');
}
