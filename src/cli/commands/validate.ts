/** `roster validate [PATH...] [--format text|json]`: offline checks of the configuration. */
import { ConfigError, type Diagnostic, type SourcePosition } from '../../errors.ts';
import { escapeJson } from '../../render/escape.ts';
import type { CliIo } from '../io.ts';
import { counted } from '../plural.ts';
import { loadConfiguration } from '../configuration.ts';

export type ValidateFormat = 'text' | 'json';

/** What `validate --format json` prints (schema/validate.schema.json): the summary, or every problem. */
export type ValidateReport =
  | {
      readonly valid: true;
      readonly files: number;
      readonly organization: string;
      readonly companies: number;
      readonly customRoles: number;
      readonly users: number;
      readonly activeUsers: number;
      readonly diagnostics: readonly [];
    }
  | { readonly valid: false; readonly diagnostics: readonly JsonDiagnostic[] };

interface JsonPlace {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

interface JsonDiagnostic extends JsonPlace {
  readonly related: readonly JsonPlace[];
}

/**
 * Exit 0 when the configuration is valid. Otherwise, in text, a ConfigError (exit 1) lists every problem; in JSON,
 * the problems are this command's output (stdout, exit 1). Throws UserError (a path that does not exist, …).
 */
export async function validateCommand(options: { paths: readonly string[]; format?: ValidateFormat; io: CliIo }): Promise<number> {
  const { io } = options;
  if (options.format === 'json') {
    let report: ValidateReport;
    try {
      report = summary(await loadConfiguration(options.paths, io));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      report = { valid: false, diagnostics: error.diagnostics.map(jsonDiagnostic) };
    }
    io.stdout.write(`${escapeJson(JSON.stringify(report, null, 2))}\n`);
    return report.valid ? 0 : 1;
  }
  const report = summary(await loadConfiguration(options.paths, io));
  io.stderr.write(
    `Valid: ${counted(report.files, 'file')}, organization ${report.organization}, ${counted(report.companies, 'company', 'companies')}, ` +
      `${counted(report.customRoles, 'custom role')}, ${counted(report.users, 'user')} (${report.activeUsers} active).\n`,
  );
  return 0;
}

function summary({ config }: Awaited<ReturnType<typeof loadConfiguration>>): ValidateReport & { valid: true } {
  const { state, fileCount } = config;
  return {
    valid: true,
    files: fileCount,
    organization: state.organization.key,
    companies: state.companies.length,
    customRoles: state.roles.length,
    users: state.users.length,
    activeUsers: state.users.filter((u) => u.active).length,
    diagnostics: [],
  };
}

function jsonDiagnostic(d: Diagnostic): JsonDiagnostic {
  return { ...place(d.position, d.message), related: (d.related ?? []).map((r) => place(r.position, r.message)) };
}

function place(position: SourcePosition, message: string): JsonPlace {
  return { file: position.file, line: position.line, col: position.col, message };
}
