/**
 * The email identity (README, "Identity"): one function, the same in roster and in PostgreSQL (migration 0006),
 * never trimming, and a normal-form check that keeps look-alike stored emails from being matched.
 * test/integration/identity.property.test.ts compares both functions on the real server.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FOLD_FROM, FOLD_TO } from '../../src/model/email-fold.ts';
import { emailFormProblem, emailKey } from '../../src/model/state.ts';
import { rolePermissions } from '../../src/model/role-permissions.ts';
import { PREDEFINED_ROLES } from '../../src/model/permissions.ts';
import { org, user } from '../support/builders.ts';
import { REPO_ROOT } from '../support/cli.ts';

/** The two translate() tables of roster_email_key in migration 0006, as code points. */
function migrationTables(): [number[], number[]] {
  const text = readFileSync(`${REPO_ROOT}src/db/migrations/0006_identity_and_predefined_roles.sql`, 'utf8');
  const call = /translate\(normalize\(email, nfc\),\s*([\s\S]*?)\)\s*end/.exec(text)![1]!;
  const [from, to] = call.split(/,\s*\n/).map((part) => [...part.matchAll(/\\\+([0-9A-F]{6})/g)].map((m) => parseInt(m[1]!, 16)));
  return [from!, to!];
}

describe('email identity', () => {
  it('folds with the same frozen table as the migration, in the same order', () => {
    const [from, to] = migrationTables();
    expect(from).toEqual(FOLD_FROM);
    expect(to).toEqual(FOLD_TO);
    expect(new Set(FOLD_FROM).size).toBe(FOLD_FROM.length);
  });

  it.each([
    ['Bob@Example.COM', 'bob@example.com'],
    ['İvan@example.com', 'ivan@example.com'],
    ['Jose\u0301@example.com', 'jos\u00e9@example.com'],
    ['ÉLODIE@example.com', 'élodie@example.com'],
    ['\u212Aelvin@example.com', 'kelvin@example.com'],
    ['ΣΑΣ@example.com', 'σασ@example.com'],
  ])('%s has the key %s', (email, key) => {
    expect(emailKey(email)).toBe(key);
  });

  it('never trims or strips: an email with an invisible character is another identity', () => {
    expect(emailKey('boss@gamma.com\uFEFF')).not.toBe(emailKey('boss@gamma.com'));
    expect(emailKey('boss@gamma.com\u00A0')).not.toBe(emailKey('boss@gamma.com'));
    expect(emailKey(' boss@gamma.com')).not.toBe(emailKey('boss@gamma.com'));
  });

  it.each([
    ['boss@gamma.com\uFEFF', /ends with an invisible or space character \(U\+FEFF\)/],
    ['boss@gamma.com\u00A0', /ends with .*U\+00A0/],
    [' boss@gamma.com', /starts with .*U\+0020/],
    ['bo\u200Bss@gamma.com', /contains .*U\+200B/],
    ['a\u001b[2J@x.com', /contains .*U\+001B/],
    ['Jose\u0301@example.com', /not in Unicode normal form C/],
  ])('%j is not in normal form', (email, message) => {
    expect(emailFormProblem(email)).toMatch(message);
  });

  it.each(['bob@example.com', 'José@example.com', 'İvan@example.com', 'ΣΑΣ@example.com'])('%s is in normal form', (email) => {
    expect(emailFormProblem(email)).toBeNull();
  });
});

describe('rolePermissions', () => {
  it('takes predefined roles as stored when the state was read from the database', () => {
    const stored = { ...org({ users: [user('a@acme.com', { role: 'admin' })] }), predefinedRoles: [{ key: 'admin', predefined: true, permissions: ['view_dashboards' as const] }] };
    expect(rolePermissions(stored).get('admin')).toEqual(['view_dashboards']);
    expect(rolePermissions(stored).has('editor')).toBe(false);
    expect(rolePermissions(org({})).get('admin')).toEqual(PREDEFINED_ROLES.admin!.permissions);
  });
});
