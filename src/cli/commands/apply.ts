/** `roster apply [PATH...] [--yes]`: show the plan, confirm, apply it in one transaction. */
import { applyPlan } from '../../apply/apply.ts';
import { UserError } from '../../errors.ts';
import { chooseStyle } from '../../render/style.ts';
import { renderPlanText, summaryLine } from '../../render/text.ts';
import { resolveInitialPasswords } from '../../secrets/resolve.ts';
import { ROSTER_VERSION } from '../../version.ts';
import { actorName, gitCommit } from '../context.ts';
import { ask, type CliIo } from '../io.ts';
import { configHash, openSession } from '../session.ts';

export interface ApplyCommandOptions {
  readonly paths: readonly string[];
  readonly databaseUrl: string | undefined;
  /** Skip the confirmation; required without a terminal. */
  readonly yes: boolean;
  readonly actor: string | undefined;
  readonly gitCommit: string | undefined;
  readonly io: CliIo;
}

/** Exit 0 when applied (or nothing to do), 1 when refused or failed; nothing is written unless all of it is. */
export async function applyCommand(options: ApplyCommandOptions): Promise<number> {
  const { io } = options;
  const session = await openSession(options);
  try {
    const { plan, config } = session;
    const style = chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env });
    io.stdout.write(renderPlanText(plan, style));
    if (plan.problems.length > 0) {
      io.stderr.write(`error: the plan has ${plan.problems.length} problem(s); nothing was applied.\n`);
      return 1;
    }
    if (plan.changes.length === 0) return 0;

    // Secrets are checked before asking, so that a "yes" is never wasted on a plan that cannot run.
    const passwordHashes = await resolveInitialPasswords({
      changes: plan.changes,
      users: config.state.users,
      positions: config.passwordPositions,
      env: io.env,
    });

    if (!options.yes) {
      if (io.stdin.isTTY !== true) {
        throw new UserError('apply needs confirmation, and there is no terminal to ask on: review the plan and pass --yes');
      }
      const answer = await ask(io, `\nApply these changes to organization ${plan.organization} in ${session.database.description}? Type "yes" to confirm: `);
      if (answer !== 'yes') {
        io.stderr.write('Apply cancelled; nothing was changed.\n');
        return 1;
      }
    }

    const result = await applyPlan({
      pool: session.database.pool,
      desired: config.state,
      reviewed: plan,
      passwordHashes,
      audit: {
        actor: actorName(options.actor, io),
        gitCommit: await gitCommit(options.gitCommit, options.paths, io),
        configHash: configHash(config.state),
        rosterVersion: ROSTER_VERSION,
      },
    });
    io.stderr.write(`Applied to organization ${plan.organization}. ${summaryLine(result.summary).replace(/^Plan:/, 'Changes:')}\n`);
    return 0;
  } finally {
    await session.database.close();
  }
}
