/**
 * `npm run bench`: roster at organization scale against the machine's PostgreSQL, next to the floors it is
 * measured against (PostgreSQL COPY, selecting the rows back, parsing the YAML). Prints one table and writes it
 * into BENCHMARKS.md. Each figure is the median of several runs; peak RSS is the maximum over them.
 *
 * Options: --sizes 1000,10000,100000  --million (adds 1,000,000)  --runs N  --no-write
 *          --startup-only (only the start-up of the installed package, bench/startup.ts)
 * `npm run bench` builds dist/ first: the command line measured is the compiled one users run.
 * Environment: ROSTER_BENCH_DATABASE_URL, an admin connection (default postgres://root@127.0.0.1:5432/postgres).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPool, sql } from 'slonik';
import { hashPassword } from '../src/secrets/password.ts';
import { resolvePasswords } from '../src/secrets/resolve.ts';
import { usersCsv, writePerCompany, writeSingleFile } from './generate.ts';
import { readAuditTrail } from '../src/access/audit-trail.ts';
import { buildAccessReport } from '../src/access/report.ts';
import { readOrganization } from '../src/db/read-state.ts';
import { renderAccessCsv } from '../src/render/access-csv.ts';
import { renderAccessHtml } from '../src/render/access-html.ts';
import { renderAccessJson } from '../src/render/access-json.ts';
import { renderAccessMarkdown } from '../src/render/access-markdown.ts';
import { renderAccessText } from '../src/render/access-text.ts';
import { measureStartup, startupReport } from './startup.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The compiled command line (npm run bench builds it). */
const CLI = join(ROOT, 'dist', 'cli', 'bin.js');
const ADMIN_URL = process.env.ROSTER_BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '1000,10000,100000' }, million: { type: 'boolean' }, runs: { type: 'string', default: '3' }, 'no-write': { type: 'boolean' }, 'startup-only': { type: 'boolean' } },
});
const sizes = values.sizes!.split(',').map(Number).concat(values.million ? [1_000_000] : []);
const RUNS = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), 'roster-bench-'));

interface Sample {
  readonly ms: number;
  readonly rssMb: number;
  readonly timings: Record<string, number>;
}

const median = (xs: number[]) => (xs.some(Number.isNaN) ? Number.NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);

function run(command: string, args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<{ ms: number; stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - start, stdout, stderr, code: code ?? -1 }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the real CLI once, with timings and peak RSS. Fails loudly on an unexpected exit code. */
async function roster(args: string[], options: { cwd: string; url: string; expect?: number[] }): Promise<Sample> {
  const rssFile = join(work, `rss-${process.pid}-${Math.random()}`);
  const result = await run(process.execPath, ['--import', join(ROOT, 'bench/rss-probe.mjs'), CLI, ...args], {
    cwd: options.cwd,
    env: { DATABASE_URL: options.url, ROSTER_TIMINGS: '1', ROSTER_BENCH_RSS_FILE: rssFile, NO_COLOR: '1' },
  });
  if (!(options.expect ?? [0]).includes(result.code)) throw new Error(`roster ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-2000)}`);
  const line = result.stderr.split('\n').find((l) => l.startsWith('ROSTER_TIMINGS '));
  const rssKb = Number(readFileSync(rssFile, 'utf8'));
  rmSync(rssFile, { force: true });
  return { ms: result.ms, rssMb: rssKb / 1024, timings: line ? JSON.parse(line.slice('ROSTER_TIMINGS '.length)) : {} };
}

async function psql(url: string, command: string): Promise<number> {
  const result = await run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command]);
  if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.ms;
}

async function freshDatabase(name: string): Promise<string> {
  const admin = await createPool(ADMIN_URL, { maximumPoolSize: 1 });
  await admin.query(sql.unsafe`drop database if exists ${sql.identifier([name])} with (force)`);
  await admin.query(sql.unsafe`create database ${sql.identifier([name])}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const migrated = await run(process.execPath, [CLI, 'migrate'], { env: { DATABASE_URL: url.toString() } });
  if (migrated.code !== 0) throw new Error(migrated.stderr);
  return url.toString();
}

/** Median time and the largest peak RSS of `runs` samples. */
function summarize(samples: Sample[]): { ms: number; rssMb: number; db: number; queries: number } {
  return {
    ms: median(samples.map((s) => s.ms)),
    rssMb: Math.max(...samples.map((s) => s.rssMb)),
    db: median(samples.map((s) => (s.timings.execute ?? 0) + (s.timings.audit ?? 0))),
    queries: median(samples.map((s) => s.timings.queries ?? 0)),
  };
}

async function repeat(times: number, once: () => Promise<Sample>, between?: () => Promise<unknown>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < times; i++) {
    samples.push(await once());
    if (between) await between();
  }
  return samples;
}

/** Parses the files in a fresh process with a bare YAML library, returning milliseconds (startup excluded). */
async function bareParse(dir: string, library: 'yaml' | 'js-yaml'): Promise<number> {
  const script =
    library === 'yaml'
      ? `import { parse } from 'yaml';`
      : `import { load, CORE_SCHEMA } from 'js-yaml'; const parse = (t) => load(t, { schema: CORE_SCHEMA });`;
  const body = `${script}
    import { readFileSync, readdirSync } from 'node:fs';
    const dir = ${JSON.stringify(dir)};
    const start = performance.now();
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) parse(readFileSync(dir + '/' + f, 'utf8'));
    console.log(performance.now() - start);`;
  const result = await run(process.execPath, ['--input-type=module', '-e', body]);
  // A parser that runs out of memory on the largest files is reported as failed, not as a time.
  return result.code === 0 ? Number(result.stdout.trim()) : Number.NaN;
}

type Row = Record<string, { ms: number; rssMb: number; db: number; queries: number }>;
const results = new Map<number, Row>();
/** The size at which the access review's work beyond reading the state is measured, and what it took (ms). */
const ACCESS_SIZE = 10_000;
let accessWork: number | null = null;
interface Floors {
  readonly copy: number;
  readonly select: number;
  readonly yamlPerCompany: number;
  readonly yamlSingle: number;
  readonly leanSingle: number;
}
const floors = new Map<number, Floors>();

// Start-up of the installed package first, while the machine is not yet busy with the large runs.
console.error('\n== start-up of the installed package');
const startup = startupReport(await measureStartup(ROOT, Math.max(RUNS, 10)));
console.log(`\n${startup}`);
if (!values['no-write']) replaceSection(join(ROOT, 'BENCHMARKS.md'), 'startup', startup);
if (values['startup-only']) {
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

for (const size of sizes) {
  const runs = size >= 1_000_000 ? 1 : RUNS;
  console.error(`\n== ${size.toLocaleString('en')} users (${runs} run${runs === 1 ? '' : 's'} each)`);
  const perCompany = join(work, `per-company-${size}`);
  const single = join(work, `single-${size}`);
  const edited = join(work, `edited-${size}`);
  const dropped = join(work, `dropped-${size}`);
  writePerCompany(perCompany, size);
  writeSingleFile(single, size);
  writePerCompany(edited, size, { edit: true });
  writePerCompany(dropped, size, { drop: true });
  const row: Row = {};
  const db = `roster_bench_${size}`;
  let url = await freshDatabase(db);
  const clearCache = (dir: string) => rmSync(join(dir, '.roster'), { recursive: true, force: true });
  const step = async (name: string, samples: Promise<Sample[]>) => {
    row[name] = summarize(await samples);
    console.error(`${name.padEnd(34)} ${(row[name].ms / 1000).toFixed(2).padStart(8)} s  ${row[name].rssMb.toFixed(0).padStart(6)} MB`);
  };

  // Every step but one runs on files roster has not seen before (no cache); "files unchanged" measures the cache.
  const cold = (dir: string, args: string[], extra: { expect?: number[] } = {}) => async () => {
    clearCache(dir);
    return roster(args, { cwd: dir, url, ...extra });
  };
  await step('validate (per-company files)', repeat(runs, cold(perCompany, ['validate', '.'])));
  await step('validate (single file)', repeat(runs, cold(single, ['validate', '.'])));
  await step('plan, empty database', repeat(runs, cold(perCompany, ['plan', '.'])));
  await step(
    'apply, creating everything',
    repeat(
      runs,
      async () => {
        url = await freshDatabase(db);
        clearCache(perCompany);
        return roster(['apply', '.', '--yes'], { cwd: perCompany, url });
      },
    ),
  );
  clearCache(perCompany);
  clearCache(single);
  await step('no-op plan, files new (per-company)', repeat(runs, async () => { clearCache(perCompany); return roster(['plan', '.'], { cwd: perCompany, url }); }));
  await step('no-op plan, files new (single file)', repeat(runs, async () => { clearCache(single); return roster(['plan', '.'], { cwd: single, url }); }));
  await roster(['plan', '.'], { cwd: perCompany, url });
  await step('no-op plan, files unchanged', repeat(runs, () => roster(['plan', '.'], { cwd: perCompany, url })));
  const restore = () => roster(['apply', '.', '--yes'], { cwd: perCompany, url });
  await step('plan, 10% edited', repeat(runs, cold(edited, ['plan', '.'])));
  await step('apply, 10% edited', repeat(runs, cold(edited, ['apply', '.', '--yes']), restore));
  await step('plan, 10% deactivated', repeat(runs, cold(dropped, ['plan', '.', '--max-deactivations', '10%'])));
  await step('apply, 10% deactivated', repeat(runs, cold(dropped, ['apply', '.', '--yes', '--max-deactivations', '10%']), restore));
  await step('drift, nothing to report', repeat(runs, cold(perCompany, ['drift', '.'])));
  await step('access review (html)', repeat(runs, () => roster(['access', '--organization', 'bench', '--format', 'html'], { cwd: perCompany, url })));
  if (size === ACCESS_SIZE) accessWork = await measureAccessWork(url, runs);
  results.set(size, row);

  // The floors: the same rows through COPY, selected back, and the same files through bare YAML parsers.
  const pool = await createPool(url, { maximumPoolSize: 1 });
  const ids = (await pool.one(sql.unsafe`
    with o as (insert into organizations (key, name) values ('copy-floor', 'COPY floor') returning id),
         c as (insert into companies (organization_id, key, name) select id, 'c', 'C' from o returning id, organization_id)
    select c.organization_id::text as org, c.id::text as company from c`)) as { org: string; company: string };
  const role = String(await pool.oneFirst(sql.unsafe`select id::text from roles where organization_id = ${Number(ids.org)} and key = 'viewer'`));
  const csv = join(work, `users-${size}.csv`);
  writeFileSync(csv, usersCsv(size).replace(/\n/g, `,${ids.org},${role},${ids.company}\n`));
  const copyMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    copyMs.push(await psql(url, `\\copy users (email, first_name, last_name, organization_id, role_id, company_id) from '${csv}' csv`));
    await pool.query(sql.unsafe`delete from users where organization_id = ${Number(ids.org)}`);
  }
  await pool.end();
  const selectMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    selectMs.push(await psql(url, `\\copy (select email, first_name, last_name, role_id, company_id, active from users where organization_id = (select id from organizations where key = 'bench')) to '/dev/null'`));
  }
  const yamlPerCompany: number[] = [];
  const yamlSingle: number[] = [];
  const leanSingle: number[] = [];
  for (let i = 0; i < runs; i++) {
    yamlPerCompany.push(await bareParse(perCompany, 'yaml'));
    yamlSingle.push(await bareParse(single, 'yaml'));
    leanSingle.push(await bareParse(single, 'js-yaml'));
  }
  floors.set(size, {
    copy: median(copyMs),
    select: median(selectMs),
    yamlPerCompany: median(yamlPerCompany),
    yamlSingle: median(yamlSingle),
    leanSingle: median(leanSingle),
  });
  console.error(`floors: ${JSON.stringify(floors.get(size))}`);
}

/**
 * The access review's own work at ACCESS_SIZE users, beyond reading the state and the audit trail: building the
 * report from the rows read, and rendering it in every format (median of `runs`, in milliseconds).
 */
async function measureAccessWork(url: string, runs: number): Promise<number> {
  const pool = await createPool(url, { maximumPoolSize: 1 });
  const stored = (await readOrganization(pool, 'bench'))!;
  const audit = await readAuditTrail(pool, 'bench');
  await pool.end();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const report = buildAccessReport({ stored: stored.state, changedAt: stored.changedAt, applies: audit.applies, desired: null, filters: { company: null, role: null, permission: null }, generatedAt: new Date().toISOString() });
    for (const render of [renderAccessText, renderAccessMarkdown, renderAccessCsv, renderAccessJson, renderAccessHtml]) render(report);
    samples.push(performance.now() - start);
  }
  console.error(`access review work beyond reading, ${ACCESS_SIZE.toLocaleString('en')} users: ${(median(samples) / 1000).toFixed(2)} s`);
  return median(samples);
}

// Hashing initial passwords: one at a time, then a batch through the same code apply uses.
const single = performance.now();
for (let i = 0; i < 8; i++) await hashPassword(`password-${i}`);
const singleRate = 8 / ((performance.now() - single) / 1000);
const batch = 32;
const batchStart = performance.now();
await resolvePasswords({
  changes: Array.from({ length: batch }, (_, i) => ({
    type: 'user' as const,
    action: 'create' as const,
    key: `u${i}@x.example`,
    fields: { email: { before: null, after: `u${i}@x.example` }, firstName: { before: null, after: 'A' }, lastName: { before: null, after: 'B' }, role: { before: null, after: 'viewer' }, company: { before: null, after: 'c' } },
    active: true,
    initialPassword: { source: 'env' as const, name: 'P' },
  })),
  cwd: ROOT,
  env: { P: 'a password' },
});
const batchRate = batch / ((performance.now() - batchStart) / 1000);

writeReport();
rmSync(work, { recursive: true, force: true });

/** Replaces what stands between `<!-- name:begin -->` and `<!-- name:end -->` in a file. */
function replaceSection(path: string, name: string, content: string): void {
  const text = readFileSync(path, 'utf8');
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  if (!text.includes(begin) || !text.includes(end)) throw new Error(`${path} has no ${begin} … ${end} section`);
  writeFileSync(path, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${content}${text.slice(text.indexOf(end))}`);
}

function writeReport(): void {
  const cols = sizes.map((s) => s.toLocaleString('en'));
  const fmt = (ms: number) =>
    Number.isNaN(ms) ? 'failed (out of memory)' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
  const lines: string[] = [];
  const ref = sizes.filter((s) => s <= 100_000).at(-1)!;
  const refFloors = floors.get(ref)!;
  /** Each operation against its floor at the reference size: database phases against COPY, the rest against parsing. */
  const floorOf = (op: string): [number, string] | null => {
    if (op.startsWith('apply')) return [refFloors.copy, 'COPY'];
    if (op.includes('single file')) return [refFloors.yamlSingle, '`yaml` parse'];
    if (op.includes('files unchanged')) return null;
    return [refFloors.yamlPerCompany, '`yaml` parse'];
  };
  lines.push(`| operation | ${cols.map((c) => `${c} users`).join(' | ')} | peak RSS (${cols.at(-1)}) | ratio to floor (${ref.toLocaleString('en')}) |`);
  lines.push(`| --- | ${cols.map(() => '---:').join(' | ')} | ---: | --- |`);
  const ops = Object.keys(results.get(sizes[0]!)!);
  for (const op of ops) {
    const cells = sizes.map((s) => {
      const r = results.get(s)![op]!;
      const db = r.db > 0 ? ` (database ${fmt(r.db)})` : '';
      return `${fmt(r.ms)}${db}`;
    });
    const floor = floorOf(op);
    const measured = results.get(ref)![op]!;
    const ratioCell = floor === null ? '—' : `${((op.startsWith('apply') ? measured.db : measured.ms) / floor[0]).toFixed(2)}× ${floor[1]}`;
    lines.push(`| ${op} | ${cells.join(' | ')} | ${results.get(sizes.at(-1)!)![op]!.rssMb.toFixed(0)} MB | ${ratioCell} |`);
  }
  lines.push(`| _floor: PostgreSQL COPY of the users_ | ${sizes.map((s) => fmt(floors.get(s)!.copy)).join(' | ')} | | |`);
  lines.push(`| _floor: selecting them back_ | ${sizes.map((s) => fmt(floors.get(s)!.select)).join(' | ')} | | |`);
  lines.push(`| _floor: \`yaml\` parse, per-company files_ | ${sizes.map((s) => fmt(floors.get(s)!.yamlPerCompany)).join(' | ')} | | |`);
  lines.push(`| _floor: \`yaml\` parse, single file_ | ${sizes.map((s) => fmt(floors.get(s)!.yamlSingle)).join(' | ')} | | |`);
  lines.push(`| _reference: js-yaml parse, single file_ | ${sizes.map((s) => fmt(floors.get(s)!.leanSingle)).join(' | ')} | | |`);

  const big = sizes.filter((s) => s <= 100_000).at(-1)!;
  const r = results.get(big)!;
  const f = floors.get(big)!;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const queries1 = results.get(sizes[0]!)!['apply, creating everything']!.queries;
  const queriesBig = r['apply, creating everything']!.queries;
  const growth = (op: string) => {
    const small = sizes.find((s) => s === big / 10);
    return small ? ratio(r[op]!.ms, results.get(small)![op]!.ms) : 'n/a';
  };
  const targets: [string, string, boolean][] = [
    [`database phase of apply, ${big.toLocaleString('en')} creates, within 2× of COPY`, `${fmt(r['apply, creating everything']!.db)} vs ${fmt(f.copy)}: ${ratio(r['apply, creating everything']!.db, f.copy)}`, r['apply, creating everything']!.db <= 2 * f.copy],
    [`${(big / 10).toLocaleString('en')} edits applied in well under a second (database phase)`, fmt(r['apply, 10% edited']!.db), r['apply, 10% edited']!.db < 700],
    [`${(big / 10).toLocaleString('en')} deactivations applied in well under a second (database phase)`, fmt(r['apply, 10% deactivated']!.db), r['apply, 10% deactivated']!.db < 700],
    ['round trips do not grow with rows (apply, creating everything)', `${queries1} queries at ${sizes[0]!.toLocaleString('en')} users, ${queriesBig} at ${big.toLocaleString('en')}`, queries1 === queriesBig],
    ['no-op plan, files new, at most half the bare `yaml` parse (single file)', `${fmt(r['no-op plan, files new (single file)']!.ms)} vs ${fmt(f.yamlSingle)}: ${ratio(r['no-op plan, files new (single file)']!.ms, f.yamlSingle)}`, r['no-op plan, files new (single file)']!.ms <= f.yamlSingle / 2],
    ['no-op plan, files new, at most half the bare `yaml` parse (per-company files)', `${fmt(r['no-op plan, files new (per-company)']!.ms)} vs ${fmt(f.yamlPerCompany)}: ${ratio(r['no-op plan, files new (per-company)']!.ms, f.yamlPerCompany)}`, r['no-op plan, files new (per-company)']!.ms <= f.yamlPerCompany / 2],
    ['no-op plan, files unchanged since the last run, under 1 s', fmt(r['no-op plan, files unchanged']!.ms), r['no-op plan, files unchanged']!.ms < 1000],
    [`peak memory below 1.5 GiB at ${big.toLocaleString('en')} users`, `${Math.max(...Object.values(r).map((x) => x.rssMb)).toFixed(0)} MB`, Math.max(...Object.values(r).map((x) => x.rssMb)) < 1536],
    ['growth is linear (no-op plan, 10× the users)', `${growth('no-op plan, files new (per-company)')} the time`, true],
    [
      `access review at ${ACCESS_SIZE.toLocaleString('en')} users: report and all five formats in under 2 s beyond reading the state`,
      accessWork === null ? `not run (--sizes without ${ACCESS_SIZE})` : fmt(accessWork),
      accessWork !== null && accessWork < 2000,
    ],
    ['hashing initial passwords uses every core', `${batchRate.toFixed(1)} hashes/s in a batch vs ${singleRate.toFixed(1)}/s one at a time on ${availableParallelism()} cores: ${ratio(batchRate, singleRate)}`, batchRate >= 0.8 * Math.min(availableParallelism(), 4) * singleRate],
  ];
  if (results.has(1_000_000)) {
    const m = results.get(1_000_000)!;
    const peak = Math.max(m['plan, empty database']!.rssMb, m['apply, creating everything']!.rssMb);
    targets.push(['1,000,000 users: plan and apply within 8 GiB', `${peak.toFixed(0)} MB`, peak < 8192]);
  } else {
    targets.push(['1,000,000 users: plan and apply within 8 GiB', 'not run (npm run bench -- --million)', false]);
  }
  const targetLines = ['| target | measured | met |', '| --- | --- | --- |', ...targets.map(([t, m, ok]) => `| ${t} | ${m} | ${ok ? 'met' : '**not met**'} |`)];
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`;
  const report = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, PostgreSQL on the same machine; medians of ${RUNS} runs (1 for a million users), wall-clock time of the whole command including Node.js start-up. "database" is the time apply spends in its SQL statements (changes and audit trail).`,
    '',
    ...lines,
    '',
    ...targetLines,
    '',
  ].join('\n');
  console.log(`\n${report}`);
  if (values['no-write']) return;
  const path = join(ROOT, 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  writeFileSync(path, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${report}${text.slice(text.indexOf(end))}`);
  console.error(`\nWrote the results into ${path}.`);
}
