/** The guard-rail and lock flags that plan and apply share. */
import { UserError } from '../errors.ts';
import { DEFAULT_LIMITS, parseMaxDeactivations } from '../plan/guards.ts';
import type { GuardLimits } from '../plan/types.ts';

/** Default wait for another apply to the same organization. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 60;

/** Reads `--max-deactivations N|P%` and `--min-admins N`. Throws {@link UserError} for malformed values. */
export function guardLimits(values: { maxDeactivations?: string | undefined; minAdmins?: string | undefined }): GuardLimits {
  let maxDeactivations = DEFAULT_LIMITS.maxDeactivations;
  if (values.maxDeactivations !== undefined) {
    const parsed = parseMaxDeactivations(values.maxDeactivations);
    if (parsed === null) throw new UserError(`--max-deactivations takes a number of users or a percentage (e.g. 10 or 30%), not '${values.maxDeactivations}'`);
    maxDeactivations = parsed;
  }
  let minAdmins = DEFAULT_LIMITS.minAdmins;
  if (values.minAdmins !== undefined) {
    if (!/^\d{1,6}$/.test(values.minAdmins)) throw new UserError(`--min-admins takes a whole number, not '${values.minAdmins}'`);
    minAdmins = Number(values.minAdmins);
  }
  return { maxDeactivations, minAdmins };
}

/** Reads `--lock-timeout SECONDS` into milliseconds. */
export function lockTimeoutMs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOCK_TIMEOUT_SECONDS * 1000;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw new UserError(`--lock-timeout takes a number of seconds, not '${value}'`);
  return Number(value) * 1000;
}
