/**
 * Accepting drift into the configuration (`drift --write`): the files are edited so they describe the database,
 * touching only the values that differ. Pure: returns each changed file's new text.
 */
import type { DesiredConfig, SourceLocation } from '../config/assemble.ts';
import type { SourceFile } from '../config/source-file.ts';
import { addKey, appendItem, applyEdits, removeItem, removeKey, setValue, type TextEdit } from '../config/yaml-edit.ts';
import { UserError } from '../errors.ts';
import { emailKey, rowId, type OrgState } from '../model/state.ts';
import type { DriftItem, DriftReport } from './types.ts';

export interface FileRewrite {
  readonly file: SourceFile;
  readonly before: string;
  readonly after: string;
}

/** Field names in the files for each drift field (they are the same today; kept explicit for the schema's sake). */
const FIELD_KEYS: Readonly<Record<string, string>> = {
  name: 'name',
  description: 'description',
  permissions: 'permissions',
  email: 'email',
  firstName: 'firstName',
  lastName: 'lastName',
  role: 'role',
  company: 'company',
};

/**
 * Computes the files that make the configuration describe `actual`. Throws {@link UserError} when there is nothing
 * sensible to accept (the organization is not in the database).
 */
export function acceptDrift(config: DesiredConfig, report: DriftReport, actual: OrgState | null): FileRewrite[] {
  if (actual === null) {
    throw new UserError(`organization ${report.organization} is not in the database, so there is no drift to accept; run apply to create it`);
  }
  const edits = new Map<SourceFile, TextEdit[]>();
  const add = (file: SourceFile, edit: TextEdit) => edits.set(file, [...(edits.get(file) ?? []), edit]);
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
          const key = FIELD_KEYS[field]!;
          if (difference.database === null) add(file, removeKey(file, path, key));
          else if (difference.config === null) add(file, addKey(file, path, key, difference.database));
          else add(file, setValue(file, [...path, key], difference.database));
          // Taking back a rename: the stored email is the user's email again, so it is no longer a former one.
          if (field === 'email' && file.document.getIn([...path, 'formerEmails']) !== undefined) add(file, removeKey(file, path, 'formerEmails'));
        }
        break;
      }
      case 'deactivated': {
        const { file, path } = located(item);
        if (file.document.getIn([...path, 'active']) !== undefined) add(file, setValue(file, [...path, 'active'], false));
        else add(file, addKey(file, path, 'active', false));
        break;
      }
      case 'reactivated': {
        const { file, path } = located(item);
        add(file, removeKey(file, path, 'active'));
        break;
      }
      case 'missing': {
        if (item.type === 'organization') throw new UserError(`organization ${item.key} is not in the database; there is no drift to accept`);
        const { file, path } = located(item);
        add(file, removeItem(file, path.slice(0, -1), path.at(-1) as number));
        break;
      }
      case 'unmanaged': {
        const { section, entry, company } = storedEntry(item, actual);
        const file = targetFile(config, section, company);
        add(file, appendItem(file, section, entry));
        break;
      }
    }
  }
  return [...edits].map(([file, list]) => ({ file, before: file.text, after: applyEdits(file.text, list) }));
}

/** The stored row as a configuration entry, and the section it goes in. */
function storedEntry(item: DriftItem, actual: OrgState): { section: string; entry: Record<string, unknown>; company?: string } {
  switch (item.type) {
    case 'company': {
      const c = actual.companies.find((x) => x.key === item.key)!;
      return { section: 'companies', entry: { key: c.key, name: c.name } };
    }
    case 'role': {
      const r = actual.roles.find((x) => x.key === item.key)!;
      return { section: 'roles', entry: { key: r.key, name: r.name, description: r.description ?? undefined, permissions: [...r.permissions] } };
    }
    case 'user': {
      const u = actual.users.find((x) => emailKey(x.email) === emailKey(item.key))!;
      return {
        section: 'users',
        company: u.company,
        entry: { email: u.email, firstName: u.firstName, lastName: u.lastName, role: u.role, company: u.company, active: u.active ? undefined : false },
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
