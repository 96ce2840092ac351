/**
 * The pure parts of saved plans: authentication, version stamps, comparing changes and files, "already applied",
 * and which password sources a plan file may use. (Through the real command line: test/integration/plan-files-hostile.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/planner.ts';
import {
  alreadyInEffect,
  canonicalJson,
  changeDifferences,
  compareConfigFiles,
  forbiddenPasswordSources,
  parseSavedPlan,
  readPlanKey,
  stampVersions,
  staleRows,
  toSavedPlan,
  versionStamp,
} from '../../src/plan/saved-plan.ts';
import type { Change, Plan } from '../../src/plan/types.ts';
import { rowId } from '../../src/model/state.ts';
import { company, org, role, user } from '../support/builders.ts';

const KEY = Buffer.from('unit-test-plan-key-0123456789abcdef');
const META = { database: 'db-1', configHash: 'sha256:x', configPaths: ['org'], configFiles: [{ path: 'org/org.yaml', sha256: 'a'.repeat(64) }], createdAt: '2026-01-01T00:00:00.000Z', rosterVersion: '0.1.0' };

const before = org({ key: 'unit', companies: [company('hq')], roles: [role('analyst')], users: [user('ann@unit.com', { role: 'analyst' }), user('bob@unit.com')] });
const after = org({ key: 'unit', companies: [company('hq')], roles: [role('analyst')], users: [user('ann@unit.com', { role: 'admin' })] });
const planned: Plan = plan({ desired: after, actual: before });

function saved(key: Buffer | null, body: Plan = planned): string {
  return JSON.stringify(toSavedPlan(body, META, key), null, 2);
}

describe('authentication', () => {
  it.each([
    ['an intact plan without a key', () => saved(null), null, null],
    ['an intact plan with its key', () => saved(KEY), KEY, null],
    ['a plan made with a key, read without one', () => saved(KEY), null, 'was authenticated with ROSTER_PLAN_KEY, which is not set here'],
    ['a plan made without a key, read with one', () => saved(null), KEY, 'was made without ROSTER_PLAN_KEY, but ROSTER_PLAN_KEY is set here'],
    ['a plan made with another key', () => saved(Buffer.from('another-key-of-sufficient-length')), KEY, 'does not carry a valid MAC'],
    ['an edited plan with a key', () => saved(KEY).replace('"admin"', '"viewer"'), KEY, 'does not carry a valid MAC'],
    ['an edited plan without a key', () => saved(null).replace('"admin"', '"viewer"'), null, 'was modified or corrupted'],
  ])('%s', (_name, text, key, error) => {
    const read = () => parseSavedPlan(text(), 'plan.json', key);
    if (error === null) expect(read().organization).toBe('unit');
    else expect(read).toThrow(error);
  });

  it('does not depend on the order of keys in the file', () => {
    const document = JSON.parse(saved(KEY)) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(document).reverse());
    expect(parseSavedPlan(JSON.stringify(reordered), 'plan.json', KEY).organization).toBe('unit');
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
  });

  it.each([
    [{}, null],
    [{ ROSTER_PLAN_KEY: '' }, 'is set but empty'],
    [{ ROSTER_PLAN_KEY: 'short' }, 'is too short'],
  ])('reads the key from %j', (env, error) => {
    if (error === null) expect(readPlanKey(env)).toBeNull();
    else expect(() => readPlanKey(env)).toThrow(error);
  });
});

describe('version stamps', () => {
  const versions = new Map([[rowId('user', 'ann@unit.com'), '1234'], [rowId('user', 'bob@unit.com'), '1235']]);

  it('are the versions themselves without a key, and opaque, database-bound MACs with one', () => {
    expect(stampVersions(planned, versions).changes.map((c) => c.version)).toEqual(['1234', '1235']);
    const stamped = stampVersions(planned, versions, versionStamp(KEY, 'db-1')).changes.map((c) => c.version!);
    for (const version of stamped) expect(version).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(stampVersions(planned, versions, versionStamp(KEY, 'db-2')).changes.map((c) => c.version)).not.toEqual(stamped);
  });

  it('find moved rows with the stamp they were made with', () => {
    const stamp = versionStamp(KEY, 'db-1');
    const stamped = stampVersions(planned, versions, stamp);
    expect(staleRows(stamped, versions, stamp)).toEqual([]);
    const moved = new Map(versions).set(rowId('user', 'bob@unit.com'), '9999');
    expect(staleRows(stamped, moved, stamp)).toEqual(['user:bob@unit.com (changed since the plan was made)']);
  });
});

describe('comparing a plan file with the files', () => {
  const change = (key: string, extra: Partial<Change> = {}): Change =>
    ({ type: 'user', action: 'update', key, fields: { role: { before: 'viewer', after: 'analyst' } }, ...extra }) as Change;

  it.each([
    ['equal changes, version stamps aside', [change('a@x.com', { version: '1' })], [change('a@x.com')], []],
    ['a change only in the file', [change('a@x.com'), change('b@x.com')], [change('a@x.com')], ['- user:b@x.com: update in the plan file, not planned now']],
    ['a change only planned now', [], [change('a@x.com')], ['+ user:a@x.com: update planned now, not in the plan file']],
    [
      'a field that differs',
      [change('a@x.com', { fields: { role: { before: 'viewer', after: 'admin' } } })],
      [change('a@x.com')],
      ['~ user:a@x.com: role differs'],
    ],
    ['another action', [change('a@x.com', { action: 'deactivate', fields: {} })], [change('a@x.com')], ['~ user:a@x.com: deactivate in the plan file, update planned now']],
  ])('%s', (_name, inFile, now, expected) => {
    expect(changeDifferences(inFile, now)).toEqual(expected);
  });

  it('names files added, removed and changed', () => {
    const digest = (c: string) => c.repeat(64);
    expect(
      compareConfigFiles(
        [{ path: 'org/a.yaml', sha256: digest('a') }, { path: 'org/b.yaml', sha256: digest('b') }, { path: 'org/c.yaml', sha256: digest('c') }],
        [{ path: 'org/a.yaml', sha256: digest('a') }, { path: 'org/b.yaml', sha256: digest('d') }, { path: 'org/e.yaml', sha256: digest('e') }],
      ),
    ).toEqual({ added: ['org/e.yaml'], removed: ['org/c.yaml'], changed: ['org/b.yaml'] });
  });
});

describe('already applied', () => {
  it('holds when every change is in effect, and not before', () => {
    expect(alreadyInEffect(planned.changes, before)).toBe(false);
    const applied = org({ ...after, key: 'unit', users: [user('ann@unit.com', { role: 'admin' }), user('bob@unit.com', { active: false })] });
    expect(alreadyInEffect(planned.changes, applied)).toBe(true);
    expect(alreadyInEffect([], applied)).toBe(false);
    expect(alreadyInEffect(planned.changes, null)).toBe(false);
  });
});

describe('password sources of a plan file', () => {
  const withHash = (file: string): Change[] => [
    {
      type: 'user',
      action: 'create',
      key: 'm@x.com',
      fields: {
        email: { before: null, after: 'm@x.com' },
        firstName: { before: null, after: 'M' },
        lastName: { before: null, after: 'X' },
        role: { before: null, after: 'admin' },
        company: { before: null, after: 'hq' },
      },
      active: true,
      initialPassword: { source: 'hash', file, pointer: ['users', 0, 'initialPassword', 'hash'], digest: 'f'.repeat(64) },
    },
  ];
  const files = [{ path: 'org/org.yaml', sha256: 'a'.repeat(64) }];

  it.each([
    ['a configuration file', 'org/org.yaml', 0],
    ['the plan file itself', 'plan.json', 1],
    ['a YAML file the plan was not made from', 'elsewhere/secrets.yaml', 1],
  ])('a hash in %s', (_name, file, problems) => {
    expect(forbiddenPasswordSources(withHash(file), files, (path) => path === 'plan.json')).toHaveLength(problems);
  });
});
