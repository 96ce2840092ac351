import { describe, expect, it } from 'vitest';
import { guardLimits, lockTimeoutMs } from '../../src/cli/limits.ts';
import { UserError } from '../../src/errors.ts';
import { spawnRoster, writeConfig } from '../support/cli.ts';

describe('guard-rail and lock flags', () => {
  it.each([
    [{}, { maxDeactivations: 'default', maxReassignments: 'default', minAdmins: 1 }],
    [{ maxDeactivations: '10', maxReassignments: '30%', minAdmins: '0' }, { maxDeactivations: { count: 10 }, maxReassignments: { percent: 30 }, minAdmins: 0 }],
  ])('reads %j', (flags, limits) => {
    expect(guardLimits(flags)).toEqual(limits);
  });

  it.each(['', '-1', '101%', 'ten', '5.5'])('refuses --max-reassignments %j with what it takes', (value) => {
    expect(() => guardLimits({ maxReassignments: value })).toThrow(UserError);
    expect(() => guardLimits({ maxReassignments: value })).toThrow(/--max-reassignments takes a number of users or a percentage/);
  });

  it('refuses a lock timeout no timer can hold, as a plain error through the real executable', async () => {
    expect(lockTimeoutMs('2.5')).toBe(2500);
    expect(() => lockTimeoutMs('99999999999999999999')).toThrow(/--lock-timeout takes at most 2147483 seconds/);
    const dir = await writeConfig({ 'org.yaml': { organization: { key: 'x', name: 'X' } } });
    const result = await spawnRoster(['apply', '.', '--yes', '--lock-timeout', '99999999999999999999', '--database-url', 'postgres://nobody@127.0.0.1:1/none'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: --lock-timeout takes at most 2147483 seconds, not '99999999999999999999'\n");
  });
});
