/** `roster plan [PATH...] [--format text|json] [--out FILE] [--detailed-exitcode]`. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../../errors.ts';
import { renderPlanJson } from '../../render/json.ts';
import { chooseStyle } from '../../render/style.ts';
import { renderPlanText } from '../../render/text.ts';
import type { CliIo } from '../io.ts';
import { openSession } from '../session.ts';

export type PlanFormat = 'text' | 'json';

export interface PlanCommandOptions {
  readonly paths: readonly string[];
  readonly databaseUrl: string | undefined;
  readonly format: PlanFormat;
  /** Also write the plan as JSON to this file. */
  readonly out: string | undefined;
  readonly detailedExitCode: boolean;
  readonly io: CliIo;
}

/**
 * Prints the plan on stdout. Exit 1 when the plan has problems; with `detailedExitCode`, 2 when it has changes.
 */
export async function planCommand(options: PlanCommandOptions): Promise<number> {
  const { io } = options;
  const session = await openSession(options);
  try {
    const { plan } = session;
    const style = chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env });
    io.stdout.write(options.format === 'json' ? renderPlanJson(plan) : renderPlanText(plan, style));
    if (options.out !== undefined) {
      try {
        await writeFile(resolve(io.cwd, options.out), renderPlanJson(plan));
      } catch (error) {
        throw new UserError(`cannot write the plan to ${options.out}: ${(error as Error).message}`, { cause: error });
      }
      io.stderr.write(`Saved the plan to ${options.out}.\n`);
    }
    if (plan.problems.length > 0) {
      io.stderr.write(`error: the plan has ${plan.problems.length} problem(s); fix the configuration before applying.\n`);
      return 1;
    }
    return options.detailedExitCode && plan.changes.length > 0 ? 2 : 0;
  } finally {
    await session.database.close();
  }
}
