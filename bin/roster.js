#!/usr/bin/env node
// roster's executable: runs the TypeScript sources through tsx, so no build step (and no install script) is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const { processIo } = await import('../src/cli/io.ts');
process.exitCode = await main(process.argv.slice(2), processIo());
