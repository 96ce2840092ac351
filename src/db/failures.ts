/**
 * Database failures that are not roster's bug: the connection lost, a statement cancelled or timed out, a missing
 * privilege, a read-only server, a full disk. Each becomes a {@link DatabaseError} whose one paragraph says what
 * happened, what became of the changes, and what to do; anything else stays an internal error.
 */
import { DatabaseError } from '../errors.ts';
import { rootMessage } from './redact.ts';

/** What was going on when the database failed: it decides what the message says became of the changes. */
export type FailureMoment =
  /** Reading only: nothing could have been written. */
  | 'reading'
  /** Inside a transaction that had not been committed: it was rolled back. */
  | 'writing'
  /** The commit was sent, and its answer never came: the changes may or may not have been committed. */
  | 'committing';

export interface FailureContext {
  /** The database, for the message: a redacted URL or the embedded directory. */
  readonly description: string;
  readonly moment: FailureMoment;
}

/** The SQLSTATE of a database error, looking through wrappers (slonik wraps the driver's errors in `cause`). */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether the error says the connection itself is gone (as opposed to one statement failing on a live one). */
export function isConnectionLost(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined && (state.startsWith('08') || ['57P01', '57P02', '57P03', '25P03'].includes(state))) return true;
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const { name, code, message } = current as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'BackendTerminatedError' || name === 'BackendTerminatedUnexpectedlyError' || name === 'ConnectionError') return true;
    if (typeof code === 'string' && ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code)) return true;
    if (typeof message === 'string' && /connection terminated|not queryable|connection (is )?closed/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The {@link DatabaseError} for a failure of the database or of the connection to it, or null when the error is
 * something else (a bug, which the caller reports as one).
 */
export function explainDatabaseFailure(error: unknown, context: FailureContext): DatabaseError | null {
  if (error instanceof DatabaseError) return error;
  const detail = rootMessage(error).replace(/\s+/g, ' ').trim();
  const state = sqlState(error);
  const outcome = outcomeOf(context.moment);
  const message = (() => {
    if (state === '25P03') {
      return `the transaction stayed idle longer than the server's idle_in_transaction_session_timeout (${detail}); ${outcome} ` +
        'Answer the confirmation sooner, pass --yes after reviewing the plan, or raise the timeout for the role roster connects as.';
    }
    if (isConnectionLost(error)) {
      const again =
        context.moment === 'committing'
          ? 'Run `roster plan` to see whether it did, once the server is back.'
          : 'Check that the server is running and reachable, then run roster again.';
      return `the connection to the database at ${context.description} was lost (${detail}); ${outcome} ${again}`;
    }
    switch (state) {
      case '57014':
        return /user request/i.test(detail)
          ? `a statement was cancelled on the server (${detail}); ${outcome} Run roster again, or ask whoever cancelled it.`
          : `a statement ran longer than the server's statement_timeout and was cancelled (${detail}); ${outcome} ` +
              'Raise statement_timeout for the role roster connects as (for example `alter role ROLE set statement_timeout = \'10min\'`), then run roster again.';
      case '42501':
        return `the database role lacks a privilege roster needs (${detail}); ${outcome} Grant it the privileges listed under "Least privilege" in roster's README, then run roster again.`;
      case '25006':
        return `the database at ${context.description} is read-only (${detail}); ${outcome} Point --database-url at the primary server.`;
      case '40001':
      case '40P01':
        return `the database aborted the transaction to resolve a conflict with another session (${detail}); ${outcome} Run roster again.`;
      case '53100':
      case '53200':
      case '53300':
      case '53400':
        return `the database server ran out of a resource (${detail}); ${outcome} Free it (disk, memory or connections), then run roster again.`;
      default:
        return null;
    }
  })();
  return message === null ? null : new DatabaseError(message, { cause: error });
}

function outcomeOf(moment: FailureMoment): string {
  switch (moment) {
    case 'reading':
      return 'nothing was changed.';
    case 'writing':
      return 'the transaction was rolled back and nothing was applied.';
    case 'committing':
      return 'the commit had been sent, so the apply may or may not have taken effect.';
  }
}
