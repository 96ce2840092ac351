/** The guard-rail and lock flags that plan and apply share. */
import { UserError } from '../errors.ts';
import { DEFAULT_LIMITS, parseUserLimit } from '../plan/guards.ts';
import type { GuardLimits, UserLimit } from '../plan/types.ts';

/** Default wait for another apply to the same organization. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 60;

/**
 * Reads `--max-deactivations N|P%`, `--max-reassignments N|P%` and `--min-admins N`.
 * Throws {@link UserError} for malformed values.
 */
export function guardLimits(values: {
  maxDeactivations?: string | undefined;
  maxReassignments?: string | undefined;
  minAdmins?: string | undefined;
}): GuardLimits {
  let minAdmins = DEFAULT_LIMITS.minAdmins;
  if (values.minAdmins !== undefined) {
    if (!/^\d{1,6}$/.test(values.minAdmins)) throw new UserError(`--min-admins takes a whole number, not '${values.minAdmins}'`);
    minAdmins = Number(values.minAdmins);
  }
  return {
    maxDeactivations: userLimit('--max-deactivations', values.maxDeactivations, DEFAULT_LIMITS.maxDeactivations),
    maxReassignments: userLimit('--max-reassignments', values.maxReassignments, DEFAULT_LIMITS.maxReassignments),
    minAdmins,
  };
}

function userLimit(flag: string, value: string | undefined, fallback: UserLimit): UserLimit {
  if (value === undefined) return fallback;
  const parsed = parseUserLimit(value);
  if (parsed === null) throw new UserError(`${flag} takes a number of users or a percentage of the active ones (e.g. 10 or 30%), not '${value}'`);
  return parsed;
}

/** The longest wait PostgreSQL's lock_timeout (and a Node timer) can hold: 2^31 - 1 milliseconds, about 24 days. */
const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;

/** Reads `--lock-timeout SECONDS` into whole milliseconds. Throws {@link UserError} for malformed or out-of-range values. */
export function lockTimeoutMs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOCK_TIMEOUT_SECONDS * 1000;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw new UserError(`--lock-timeout takes a number of seconds, not '${value}'`);
  const ms = Math.ceil(Number(value) * 1000);
  if (ms > MAX_LOCK_TIMEOUT_MS) throw new UserError(`--lock-timeout takes at most ${Math.floor(MAX_LOCK_TIMEOUT_MS / 1000)} seconds, not '${value}'`);
  return ms;
}
