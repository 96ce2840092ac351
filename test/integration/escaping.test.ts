/**
 * Text from the database is escaped exactly like text from files: an email or a name stored with terminal escape
 * sequences, a forged CI log command, bidirectional overrides, separators or a bell reaches no output raw, in any
 * format, through the real executable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { spawnRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

/** Bytes no output may carry: C0 controls but the line feed, DEL. */
const RAW_BYTE = (byte: number) => (byte < 0x20 && byte !== 0x0a) || byte === 0x7f;
/** Multi-byte characters no output may carry: C1 controls, separators, bidirectional overrides and isolates, BOM. */
const RAW_CHARACTER = /[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/u;

function expectNoRawControls(what: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  const at = bytes.findIndex(RAW_BYTE);
  expect(at, `${what} has the raw byte 0x${bytes[at]?.toString(16)} at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`).toBe(-1);
  const match = RAW_CHARACTER.exec(text);
  expect(match, `${what} has the raw character U+${match?.[0].codePointAt(0)?.toString(16)}`).toBeNull();
  // roster's own annotations start lines with `::error title=…::`; a stored value must never start one.
  expect(/^::[a-z]+::forged/m.test(text), `${what} has a forged workflow command`).toBe(false);
}

const CONFIG = `organization: { key: esc, name: Escapes }
companies: [{ key: hq, name: HQ }]
users:
  - { email: boss@esc.example, firstName: Boss, lastName: Admin, role: admin, company: hq, initialPassword: { env: BOSS_PASSWORD } }
  - { email: ann@esc.example, firstName: Ann, lastName: Lee, role: viewer, company: hq }
  - { email: bob@esc.example, firstName: Bob, lastName: Ray, role: viewer, company: hq }
`;

describe('text from the database', () => {
  it('reaches no output raw: plan and drift, in text, JSON and Markdown', async () => {
    const dir = await writeConfig({ 'org.yaml': CONFIG });
    const env = { DATABASE_URL: db.url, BOSS_PASSWORD: 'Boss-Password-1!' };
    const applied = await spawnRoster(['apply', dir, '--yes'], { env });
    expect(applied.code, applied.stderr).toBe(0);
    // What a careless UPDATE, or the app itself, can store.
    await db.pool.query(sql.unsafe`
      update users set first_name = ${'\u001b[2J\u001b[HNo changes.\u0007'}, last_name = ${'x\r::warning::forged\u0085next'}
       where email = 'ann@esc.example'`);
    await db.pool.query(sql.unsafe`
      update users set first_name = ${'\u202eevil\u2028line\u2029'}, last_name = ${'zero\u200bwidth\ufeff\u007f'}
       where email = 'bob@esc.example'`);
    await db.pool.query(sql.unsafe`
      insert into users (organization_id, company_id, role_id, email, first_name, last_name, active)
      select o.id, c.id, r.id, ${'app\u001b[31m\u0007@esc.example'}, ${'\r::error::forged'}, ${'\u202e\u0085'}, true
        from organizations o join companies c on c.organization_id = o.id join roles r on r.organization_id = o.id
       where o.key = 'esc' and c.key = 'hq' and r.key = 'viewer'`);

    const outputs: { what: string; text: string }[] = [];
    for (const format of ['text', 'json', 'markdown']) {
      for (const command of ['plan', 'drift']) {
        const result = await spawnRoster([command, dir, '--format', format], { env: { DATABASE_URL: db.url, GITHUB_ACTIONS: 'true' } });
        outputs.push({ what: `${command} --format ${format} stdout`, text: result.stdout }, { what: `${command} --format ${format} stderr`, text: result.stderr });
      }
    }
    // The hostile values are there, escaped: the test would pass vacuously otherwise.
    const plan = outputs.find((o) => o.what === 'plan --format text stdout')!.text;
    expect(plan).toContain('\\u{1b}[2J');
    expect(plan).toContain('\\u{202e}');
    const drift = outputs.find((o) => o.what === 'drift --format text stdout')!.text;
    expect(drift).toContain('\\u{d}::warning::forged\\u{85}next');
    expect(JSON.stringify(JSON.parse(outputs.find((o) => o.what === 'plan --format json stdout')!.text))).toContain('\\u001b[2J');
    // Accepting the drift writes the values into the files and prints the change as a diff: escaped too. (A row whose
    // email roster will not act on blocks accepting, so it goes first.)
    await db.pool.query(sql.unsafe`delete from users where email like 'app%@esc.example'`);
    const written = await spawnRoster(['drift', dir, '--write'], { env: { DATABASE_URL: db.url } });
    outputs.push({ what: 'drift --write stdout', text: written.stdout }, { what: 'drift --write stderr', text: written.stderr });
    expect(written.stdout, written.stderr).toContain('+++ b/');
    for (const { what, text } of outputs) expectNoRawControls(what, text);
  }, 300_000);
});
