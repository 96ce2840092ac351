#!/usr/bin/env node
// roster's executable: dist/cli/bin.js in the package, src/cli/bin.ts in development (run through tsx).
// `roster --version` alone answers from package.json without loading the command line (the quickest start);
// everything else, `-v` among other arguments included, goes through main (definition.ts has the flag).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === '-V')) {
  void import('../version.ts').then(({ ROSTER_VERSION }) => process.stdout.write(`${ROSTER_VERSION}\n`));
} else {
  void import('./run.ts').then(({ run }) => run());
}
