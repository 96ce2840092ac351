/**
 * roster access through the real executable, on a real PostgreSQL with a history of three applies and hand-made SQL
 * changes (a backdoor admin inserted, a user moved, a user reactivated): every format, the filters, the JSON schema,
 * the CSV read back by an RFC 4180 parser, and the HTML page loaded by a real browser (Debian's chromium, headless).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from '../../src/db/sql.ts';
import { buildHistory, type History } from '../support/audit-history.ts';
import { REPO_ROOT, runRoster, spawnRoster } from '../support/cli.ts';
import { useTestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let history: History;
beforeAll(async () => {
  history = await buildHistory(database());
}, 120_000);

const roster = (args: string[]) => spawnRoster(args, { env: history.env, timeoutMs: 120_000 });

interface AccessJson {
  users: { email: string; role: string; company: string; privileged: string[]; lastChange: { source: string; actor?: string; gitCommit?: string; lastApply?: unknown }; matchesFiles: boolean | null; differences: string[] }[];
  privilegedHolders: { permission: string; users: string[] }[];
  roles: { key: string; activeUsers: number; permissions: string[] }[];
  companies: { key: string; usersByRole: Record<string, number> }[];
  summary: Record<string, number>;
}

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else if (c === '"' || c === '\n' || c === '\r') throw new Error(`not RFC 4180 at ${i}: a bare ${JSON.stringify(c)}`);
    else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('the last record does not end with CRLF');
  return rows;
}

describe('roster access', () => {
  it('lists the backdoor admin inserted by SQL as a manage_users holder, changed outside roster, and each user’s last apply', async () => {
    const result = await roster(['access', history.dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('manage_users (2): alice@acme.test, backdoor@evil.example');
    const backdoor = result.stdout.slice(result.stdout.indexOf('! backdoor@evil.example'));
    expect(backdoor).toMatch(/^! backdoor@evil\.example {2}Back Door {2}role admin {2}company hq\n.*\n {4}last change: changed outside roster at \S+ \(no roster apply ever touched it\)\n {4}files: does not match: not in the files/);
    expect(result.stdout).toMatch(/alice@acme\.test .*\n.*\n {4}last change: \S+ by roster apply #1, actor ci-one, database role \S+, commit c1\n {4}files: matches/);
    expect(result.stdout).toMatch(/bob@acme\.test .*company labs\n.*\n {4}last change: changed outside roster at \S+ \(last roster apply to it: #2 at \S+\)\n {4}files: does not match: company labs \(files: hq\)/);
    // carol was deactivated by apply 3: not an active user
    expect(result.stdout).not.toContain('carol');
    expect(result.stdout).toContain('5 active users (1 deactivated not listed), 2 privileged, 3 last changed outside roster, 3 not matching the files.');
  });

  it('writes JSON that validates against schema/access.schema.json, without the files naming the organization', async () => {
    const result = await roster(['access', '--organization', 'acme', '--format', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as AccessJson;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(await readFile(join(REPO_ROOT, 'schema/access.schema.json'), 'utf8')));
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    const backdoor = report.users.find((u) => u.email === 'backdoor@evil.example')!;
    expect(backdoor).toMatchObject({ role: 'admin', privileged: ['manage_users', 'manage_roles', 'manage_companies'], lastChange: { source: 'outside-roster', lastApply: null }, matchesFiles: null });
    expect(report.users.find((u) => u.email === 'dave@acme.test')!.lastChange).toMatchObject({ source: 'roster', actor: 'ci-two', gitCommit: 'c2' });
    expect(report.privilegedHolders.find((h) => h.permission === 'manage_users')!.users).toEqual(['alice@acme.test', 'backdoor@evil.example']);
    expect(report.roles.find((r) => r.key === 'admin')!.activeUsers).toBe(2);
    expect(report.companies.find((c) => c.key === 'labs')!.usersByRole).toEqual({ admin: 0, editor: 2, viewer: 1, analyst: 0 });
  });

  it('filters: who can manage users, one company, and refuses a permission it does not know', async () => {
    const who = JSON.parse((await roster(['access', '--permission', 'manage_users', '--format', 'json'])).stdout) as AccessJson;
    expect(who.users.map((u) => u.email)).toEqual(['alice@acme.test', 'backdoor@evil.example']);
    const labs = JSON.parse((await roster(['access', '--company', 'labs', '--role', 'editor', '--format', 'json'])).stdout) as AccessJson;
    expect(labs.users.map((u) => u.email)).toEqual(['bob@acme.test', 'erin@acme.test']);
    const bad = await roster(['access', '--permission', 'manage_everything']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --permission 'manage_everything' is not a permission roster knows\. Permissions: manage_users, /);
  });

  it('writes CSV a spreadsheet parser reads back: one row per user, quotes kept, a formula name left as text', async () => {
    const result = await roster(['access', history.dir, '--format', 'csv']);
    expect(result.code).toBe(0);
    const [header, ...rows] = parseCsv(result.stdout);
    expect(header!.slice(0, 5)).toEqual(['email', 'first_name', 'last_name', 'role', 'company']);
    expect(rows.map((r) => r[0])).toEqual(['alice@acme.test', 'backdoor@evil.example', 'bob@acme.test', 'dave@acme.test', 'erin@acme.test']);
    for (const row of rows) expect(row).toHaveLength(header!.length);
    const dave = rows.find((r) => r[0] === 'dave@acme.test')!;
    expect(dave[1]).toBe(`'=HYPERLINK("x")`); // text, not a formula
    expect(dave[2]).toBe('O"Brien, Jr');
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const backdoor = rows.find((r) => r[0] === 'backdoor@evil.example')!;
    expect(backdoor[header!.indexOf('last_change_source')]).toBe('outside-roster');
    expect(backdoor[header!.indexOf('matches_files')]).toBe('no');
  });

  it('writes Markdown with both matrices and the privileged holders', async () => {
    const result = await roster(['access', '--format', 'markdown']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| `manage_users` | alice@acme.test, backdoor@evil.example |');
    expect(result.stdout).toContain('| `admin` | 2 | ⚠ 2 | ⚠ 2 | ⚠ 2 | 2 | 2 | 2 | 2 | 2 | 2 |');
    expect(result.stdout).toContain('| `labs` | 0 | 2 | 1 | 0 | 3 |');
    expect(result.stdout).toContain('| ⚠ backdoor@evil.example | Back Door | `admin` | `hq` |');
  });

  it('runs as the read-only role, and says what to do when a role cannot read the audit trail’s changes', async () => {
    const db = database();
    const reader = `roster_access_reader_${randomBytes(4).toString('hex')}`;
    await db.pool.query(sql.unsafe`create role ${sql.identifier([reader])} login`);
    try {
      expect((await runRoster(['migrate', '--grant-to', reader, '--read-only', '--database-url', db.url])).code).toBe(0);
      const url = new URL(db.url);
      url.username = reader;
      const env = { DATABASE_URL: url.toString() };
      const allowed = await spawnRoster(['access', '--organization', 'acme'], { env, timeoutMs: 120_000 });
      expect(allowed.stderr).toBe('');
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toContain('backdoor@evil.example');
      await db.pool.query(sql.unsafe`revoke select (changes) on audit_applies from ${sql.identifier([reader])}`);
      const result = await spawnRoster(['access', '--organization', 'acme'], { env, timeoutMs: 120_000 });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: this database role cannot read the audit trail's changes \(audit_applies\.changes\), .*grant select \(changes\) on audit_applies to ROLE/);
    } finally {
      await db.pool.query(sql.unsafe`drop owned by ${sql.identifier([reader])}`);
      await db.pool.query(sql.unsafe`drop role ${sql.identifier([reader])}`);
    }
  });

  it('writes one self-contained HTML page that a headless browser renders: matrices and privileged holders in the DOM, a screenshot kept', async () => {
    const chromium = '/usr/bin/chromium';
    expect(existsSync(chromium), 'Debian chromium is needed: apt-get install -y chromium').toBe(true);
    const result = await roster(['access', history.dir, '--format', 'html']);
    expect(result.code).toBe(0);
    const html = result.stdout;
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import|https?:\/\//i);
    expect(html).toContain('@media print');
    expect(html).toContain('=HYPERLINK(&quot;x&quot;) O&quot;Brien, Jr');

    const dir = await mkdtemp(join(tmpdir(), 'roster-access-html-'));
    const page = join(dir, 'access.html');
    await writeFile(page, html);
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`];
    const run = promisify(execFile);
    const { stdout: dom } = await run(chromium, [...flags, '--dump-dom', `file://${page}`], { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 });
    // The DOM the browser built: the matrices as tables, privileged cells and holders marked.
    const holders = /<tr data-permission="manage_users">(.*?)<\/tr>/s.exec(dom)![1]!;
    expect([...holders.matchAll(/<span class="holder">([^<]+)<\/span>/g)].map((m) => m[1])).toEqual(['alice@acme.test', 'backdoor@evil.example']);
    const admin = /<tr data-role="admin">(.*?)<\/tr>/s.exec(/<table id="roles-permissions">.*?<\/table>/s.exec(dom)![0])![1]!;
    expect(admin).toContain('<td class="granted privileged" data-permission="manage_users">2</td>');
    expect(admin).toContain('<td class="granted" data-permission="view_dashboards">2</td>');
    const labs = /<tr data-company="labs">(.*?)<\/tr>/s.exec(/<table id="companies-roles">.*?<\/table>/s.exec(dom)![0])![1]!;
    expect([...labs.matchAll(/<td class="num[^"]*"[^>]*>(\d+)<\/td>/g)].map((m) => Number(m[1]))).toEqual([0, 2, 1, 0, 3]);
    expect(dom).toMatch(/<tr data-email="backdoor@evil.example" class="privileged">.*?<td class="outside">changed outside roster at /s);

    const screenshot = join(dir, 'access.png');
    await run(chromium, [...flags, '--hide-scrollbars', '--window-size=1400,1100', `--screenshot=${screenshot}`, `file://${page}`], { timeout: 90_000 });
    expect((await stat(screenshot)).size).toBeGreaterThan(10_000);
    console.log(`access review screenshot: ${screenshot}`);
  }, 240_000);
});
