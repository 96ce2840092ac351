/**
 * Accepting drift into the configuration (`drift --write`): the files are edited so they describe the database,
 * touching only the values that differ. Pure: returns each changed file's new text.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import type { DesiredConfig, SourceLocation } from '../config/assemble.ts';
import { fastParse, NOT_FAST } from '../config/fast-yaml.ts';
import { describePath } from '../config/schema-check.ts';
import type { PathSegment, SourceFile } from '../config/source-file.ts';
import { addKey, appendItem, applyEdits, removeItem, removeKey, setValue, type TextEdit } from '../config/yaml-edit.ts';
import { UserError } from '../errors.ts';
import { COMPANY_FIELDS, CONFIG_FIELD_NAMES, configEntry, ROLE_FIELDS, USER_FIELDS } from '../model/fields.ts';
import { emailKey, rowId, type OrgState } from '../model/state.ts';
import type { DriftItem, DriftReport } from './types.ts';

export interface FileRewrite {
  readonly file: SourceFile;
  readonly before: string;
  readonly after: string;
}

/** A drift field is named as in the files (model/fields.ts); email is a user's identity, not an attribute. */
function fileKey(field: string): string {
  if (field !== 'email' && !CONFIG_FIELD_NAMES.has(field)) throw new UserError(`drift --write cannot write the field ${field}; report this as a bug in roster`);
  return field;
}

/**
 * Computes the files that make the configuration describe `actual`. Every value written is read back from the
 * edited text and compared with the stored value before anything is returned. Throws {@link UserError} when there
 * is nothing sensible to accept (the organization is not in the database), or when an edit would not read back as
 * the stored value.
 */
export function acceptDrift(config: DesiredConfig, report: DriftReport, actual: OrgState | null): FileRewrite[] {
  if (actual === null) {
    throw new UserError(`organization ${report.organization} is not in the database, so there is no drift to accept; run apply to create it`);
  }
  const edits = new Map<SourceFile, FileEdits>();
  const of = (file: SourceFile): FileEdits => {
    let entry = edits.get(file);
    if (!entry) edits.set(file, (entry = { edits: [], expected: [], removed: [], appended: new Map() }));
    return entry;
  };
  /** Edits `file`, expecting `value` at `path` (undefined: nothing there) once the edits are made. */
  const add = (file: SourceFile, edit: TextEdit, path: readonly PathSegment[], value: unknown) => {
    of(file).edits.push(edit);
    of(file).expected.push({ path, value });
  };
  const located = (item: DriftItem): SourceLocation => {
    const location = config.locations.get(rowId(item.type, item.type === 'user' ? configEmail(item) : item.key));
    if (!location) throw new UserError(`cannot find ${item.type} ${item.key} in the configuration files`);
    return location;
  };
  const configEmail = (item: DriftItem) => String(item.fields.email?.config ?? item.key);

  for (const item of report.items) {
    switch (item.kind) {
      case 'edited': {
        const { file, path } = located(item);
        for (const [field, difference] of Object.entries(item.fields)) {
          const key = fileKey(field);
          const at = [...path, key];
          if (difference.database === null) add(file, removeKey(file, path, key), at, undefined);
          else if (difference.config === null) add(file, addKey(file, path, key, difference.database), at, difference.database);
          else add(file, setValue(file, at, difference.database), at, difference.database);
          if (field === 'email') keepFormerEmails(file, path, String(difference.database), add);
        }
        break;
      }
      case 'deactivated': {
        const { file, path } = located(item);
        const at = [...path, 'active'];
        if (file.document.getIn(at) !== undefined) add(file, setValue(file, at, false), at, false);
        else add(file, addKey(file, path, 'active', false), at, false);
        break;
      }
      case 'reactivated': {
        const { file, path } = located(item);
        add(file, removeKey(file, path, 'active'), [...path, 'active'], undefined);
        break;
      }
      case 'missing': {
        if (item.type === 'organization') throw new UserError(`organization ${item.key} is not in the database; there is no drift to accept`);
        const { file, path } = located(item);
        const seqPath = path.slice(0, -1);
        of(file).edits.push(removeItem(file, seqPath, path.at(-1) as number));
        of(file).removed.push({ seqPath, index: path.at(-1) as number });
        break;
      }
      case 'unmanaged': {
        const { section, entry, company } = storedEntry(item, actual);
        const file = targetFile(config, section, company);
        const appended = of(file).appended;
        const existing = (file.value as Record<string, unknown>)[section];
        const index = (Array.isArray(existing) ? existing.length : 0) + (appended.get(section) ?? 0);
        appended.set(section, (appended.get(section) ?? 0) + 1);
        add(file, appendItem(file, section, entry), [section, index], Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)));
        break;
      }
    }
  }
  return [...edits].map(([file, planned]) => {
    const after = applyEdits(file.text, planned.edits);
    checkReadsBack(file, after, planned);
    return { file, before: file.text, after };
  });
}

interface FileEdits {
  readonly edits: TextEdit[];
  /** What each written path must hold afterwards, at its index before items were removed. */
  readonly expected: { readonly path: readonly PathSegment[]; readonly value: unknown }[];
  readonly removed: { readonly seqPath: readonly PathSegment[]; readonly index: number }[];
  /** Items appended to each section so far. */
  readonly appended: Map<string, number>;
}

/**
 * Taking back a rename: the stored email becomes the user's email again, so it leaves formerEmails (which must not
 * list the user's own email); the other former emails stay.
 */
function keepFormerEmails(
  file: SourceFile,
  path: readonly PathSegment[],
  email: string,
  add: (file: SourceFile, edit: TextEdit, path: readonly PathSegment[], value: unknown) => void,
): void {
  const at = [...path, 'formerEmails'];
  const former = valueAt(file.value, at);
  if (!Array.isArray(former)) return;
  const kept = former.filter((f) => typeof f !== 'string' || emailKey(f) !== emailKey(email));
  if (kept.length === former.length) return;
  if (kept.length === 0) add(file, removeKey(file, path, 'formerEmails'), at, undefined);
  else add(file, setValue(file, at, kept), at, kept);
}

/** Parses the edited text and checks every written path holds what was meant. Throws {@link UserError}. */
function checkReadsBack(file: SourceFile, after: string, planned: FileEdits): void {
  let value: unknown = fastParse(after);
  if (value === NOT_FAST) {
    const document = parseDocument(after, { uniqueKeys: true, strict: true, stringKeys: false });
    if (document.errors.length > 0) throw cannotWrite(file, [], document.errors[0]!.message);
    value = document.toJS({ maxAliasCount: 100 });
  }
  for (const { path, value: meant } of planned.expected) {
    // Removed items move the later ones of their list up.
    const shifted = path.map((segment, depth) => {
      if (typeof segment !== 'number') return segment;
      const seqPath = path.slice(0, depth);
      const before = planned.removed.filter((r) => r.index < segment && sameSegments(r.seqPath, seqPath)).length;
      return segment - before;
    });
    const found = valueAt(value, shifted);
    if (!isDeepStrictEqual(found, meant)) throw cannotWrite(file, path, 'it would read back as something else');
  }
}

function cannotWrite(file: SourceFile, path: readonly PathSegment[], why: string): UserError {
  const where = path.length > 0 ? ` at ${describePath(path)}` : '';
  return new UserError(`cannot write the stored value into ${file.path}${where}: ${why}; no file was changed. Edit the file by hand, or report this as a bug in roster`);
}

function sameSegments(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** The stored row as a configuration entry, and the section it goes in. */
function storedEntry(item: DriftItem, actual: OrgState): { section: string; entry: Record<string, unknown>; company?: string } {
  switch (item.type) {
    case 'company': {
      const c = actual.companies.find((x) => x.key === item.key)!;
      return { section: 'companies', entry: configEntry(COMPANY_FIELDS, c, { key: c.key }) };
    }
    case 'role': {
      const r = actual.roles.find((x) => x.key === item.key)!;
      return { section: 'roles', entry: configEntry(ROLE_FIELDS, r, { key: r.key }) };
    }
    case 'user': {
      const u = actual.users.find((x) => emailKey(x.email) === emailKey(item.key))!;
      return {
        section: 'users',
        company: u.company,
        entry: { ...configEntry(USER_FIELDS, u, { email: u.email }), ...(u.active ? {} : { active: false }) },
      };
    }
    case 'organization':
      throw new UserError('the organization itself cannot be unmanaged');
  }
}

/** Where a new entry goes: beside entries of the same company, else the first file with the section, else the organization's. */
function targetFile(config: DesiredConfig, section: string, company: string | undefined): SourceFile {
  const withSection = config.files.filter((f) => Array.isArray((f.value as Record<string, unknown>)[section]));
  if (company !== undefined) {
    let best: SourceFile | undefined;
    let bestCount = 0;
    for (const file of withSection) {
      const count = ((file.value as { users: { company?: string }[] }).users ?? []).filter((u) => u.company === company).length;
      if (count > bestCount) [best, bestCount] = [file, count];
    }
    if (best) return best;
  }
  return withSection[0] ?? config.locations.get(rowId('organization', config.state.organization.key))!.file;
}
