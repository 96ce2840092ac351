/** `roster export --out DIR`: the organization as stored, as configuration files, to adopt roster. */
import { readdir } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { z } from 'zod';
import { sql } from '../../db/sql.ts';
import { packagePath } from '../../paths.ts';
import { UserError } from '../../errors.ts';
import { describeSkipped, exportValidated } from '../../export/export.ts';
import type { CliIo } from '../io.ts';
import { prepareOutputDirectory, writeInto } from '../output-directory.ts';
import { counted } from '../plural.ts';
import { readSnapshot, usingDatabase } from '../session.ts';

const SCHEMA = packagePath('schema', 'roster.schema.json');

export interface ExportCommandOptions {
  readonly out: string;
  /** The organization's key; optional when the database holds one organization. */
  readonly organization: string | undefined;
  readonly usersByCompany: boolean;
  /** Overwrite YAML files already in the output directory. */
  readonly force: boolean;
  readonly databaseUrl: string | undefined;
  readonly io: CliIo;
}

export async function exportCommand(options: ExportCommandOptions): Promise<number> {
  const { io } = options;
  const out = resolve(io.cwd, options.out);
  await prepareOutputDirectory(out, options.out);
  const existing = await readdir(out, { recursive: true }).catch(() => [] as string[]);
  if (!options.force && existing.some((name) => /\.ya?ml$/i.test(String(name)))) {
    throw new UserError(`${options.out} already holds YAML files; choose an empty directory or pass --force to overwrite`);
  }
  await usingDatabase({ databaseUrl: options.databaseUrl, io, writes: false }, async (database) => {
    const key = options.organization ?? (await onlyOrganization(database.pool));
    const stored = await readSnapshot(database, key);
    if (!stored) throw new UserError(`the database has no organization '${key}'`);
    // Only what validation accepts is written; rows it refuses (or that roster cannot read) are named on stderr.
    const { files, skipped } = await exportValidated(stored.state, {
      usersByCompany: options.usersByCompany,
      schemaPath: relative(out, SCHEMA).split('\\').join('/'),
      source: database.description,
      directory: out,
    });
    const left = (type: string) => skipped.filter((row) => row.type === type).length;
    const counts = [
      counted(stored.state.companies.length - left('company'), 'company', 'companies'),
      counted(stored.state.roles.length - left('role'), 'custom role'),
      counted(stored.state.users.length - left('user'), 'user'),
    ].join(', ');
    // Never through a symbolic link placed in the output directory.
    for (const [name, content] of files) await writeInto(out, name, content, options.out);
    io.stderr.write(`Exported organization ${key} (${counts}) to ${counted(files.size, 'file')} in ${options.out}. No passwords or hashes are exported.\n`);
    if (skipped.length > 0) {
      io.stderr.write(
        `warning: ${skipped.length} row${skipped.length === 1 ? ' was' : 's were'} left out, because the configuration could not hold ${skipped.length === 1 ? 'it' : 'them'} as stored:\n` +
          `${describeSkipped(skipped)}\n` +
          (skipped.some((row) => row.type === 'user') ? 'The files say unmanagedUsers: ignore, so applying them leaves the users left out alone. ' : '') +
          'Fix those rows in the database and export again, or add them to the files by hand.\n',
      );
    }
  });
  return 0;
}

async function onlyOrganization(pool: import('slonik').DatabasePool): Promise<string> {
  const keys = await pool.anyFirst(sql.type(z.object({ key: z.string() }))`select key from organizations order by key`);
  if (keys.length === 1) return keys[0]!;
  if (keys.length === 0) throw new UserError('the database has no organization to export');
  throw new UserError(`the database holds ${keys.length} organizations (${keys.join(', ')}); choose one with --organization`);
}
