#!/usr/bin/env node
// roster's executable: dist/cli/bin.js in the package, src/cli/bin.ts in development (run through tsx).
import { run } from './run.ts';

void run();
