/**
 * Which drift items `drift --write` accepts into the files: those chosen with `--only` (all by default), less the
 * privilege gains unless `--accept-privileged` is given. Pure.
 */
import { escapeText, UserError } from '../errors.ts';
import { emailKey } from '../model/state.ts';
import type { DriftItem, DriftReport, SensitiveDrift } from './types.ts';

/** How an item is named on the command line: a user's email, else `role:KEY`, `company:KEY` or `organization:KEY`. */
export function driftItemKey(item: Pick<DriftItem, 'type' | 'key'>): string {
  return item.type === 'user' ? item.key : `${item.type}:${item.key}`;
}

export interface DriftSelection {
  /** The items to write into the files. */
  readonly accepted: readonly DriftItem[];
  /** Chosen items left out because they carry a privilege gain, each with what it gains. */
  readonly heldBack: readonly { readonly item: DriftItem; readonly gains: readonly SensitiveDrift[] }[];
}

export interface SelectionOptions {
  /** Keys as {@link driftItemKey} prints them (emails compared as logins), or null for every item. */
  readonly only: readonly string[] | null;
  readonly acceptPrivileged: boolean;
}

/**
 * Chooses the items to accept. A privilege gain is an item whose user or role is a `privileged-user` or
 * `privileged-role` entry of the sensitive section. Throws {@link UserError} when a key of `only` is not written as
 * a key or names no drift item.
 */
export function selectDriftToAccept(report: DriftReport, options: SelectionOptions): DriftSelection {
  const chosen = options.only === null ? report.items : chooseItems(report.items, options.only);
  const accepted: DriftItem[] = [];
  const heldBack: { item: DriftItem; gains: SensitiveDrift[] }[] = [];
  for (const item of chosen) {
    const gains = options.acceptPrivileged ? [] : privilegeGains(report.sensitive, item);
    if (gains.length > 0) heldBack.push({ item, gains });
    else accepted.push(item);
  }
  return { accepted, heldBack };
}

function privilegeGains(sensitive: readonly SensitiveDrift[], item: DriftItem): SensitiveDrift[] {
  if (item.type !== 'user' && item.type !== 'role') return [];
  return sensitive.filter(
    (entry) =>
      entry.permissions.length > 0 &&
      entry.type === item.type &&
      (item.type === 'user' ? emailKey(entry.key) === emailKey(item.key) : entry.key === item.key),
  );
}

const TYPED = /^(user|role|company|organization):(.+)$/;

function chooseItems(items: readonly DriftItem[], keys: readonly string[]): DriftItem[] {
  const wanted = new Set<string>();
  const unknown: string[] = [];
  for (const key of keys) {
    const typed = TYPED.exec(key);
    const id = typed ? itemId(typed[1] as DriftItem['type'], typed[2]!) : key.includes('@') ? itemId('user', key) : null;
    if (id === null) {
      throw new UserError(`--only takes emails, role:KEY, company:KEY or organization:KEY, not '${escapeText(key)}'`);
    }
    if (!items.some((item) => itemId(item.type, item.key) === id)) unknown.push(key);
    wanted.add(id);
  }
  if (unknown.length > 0) {
    const known = items.map(driftItemKey);
    const listed = known.slice(0, 20).map(escapeText).join(', ') + (known.length > 20 ? `, … (${known.length - 20} more)` : '');
    throw new UserError(
      `--only names ${unknown.length === 1 ? 'something that is' : 'things that are'} not drift: ${unknown.map(escapeText).join(', ')}; ` +
        `nothing was written. The drift's items are: ${listed || 'none'}`,
    );
  }
  return items.filter((item) => wanted.has(itemId(item.type, item.key)));
}

function itemId(type: DriftItem['type'], key: string): string {
  return `${type}:${type === 'user' ? emailKey(key) : key}`;
}
