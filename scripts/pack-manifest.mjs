#!/usr/bin/env node
// npm pack and npm publish: build dist/ from scratch, and ship a package.json without the `prepare` script.
// `prepare` builds a Git dependency (npm runs it there, with the development dependencies); in a tarball or from
// the registry there is nothing to build, and npm 11 would list it as an install script to review.
//   node scripts/pack-manifest.mjs            (prepack) build, then drop `prepare` from package.json, keeping the original
//   node scripts/pack-manifest.mjs --restore  (postpack) put the original package.json back
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const ORIGINAL = 'package.json.before-pack';

if (process.argv[2] === '--restore') {
  if (existsSync(ORIGINAL)) renameSync(ORIGINAL, 'package.json');
} else {
  // A pack that was interrupted left the original aside: take it back before anything else.
  if (existsSync(ORIGINAL)) renameSync(ORIGINAL, 'package.json');
  rmSync('dist', { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  chmodSync('dist/cli/bin.js', 0o755);
  const text = readFileSync('package.json', 'utf8');
  writeFileSync(ORIGINAL, text);
  const manifest = JSON.parse(text);
  delete manifest.scripts.prepare;
  delete manifest.scripts.prepack;
  delete manifest.scripts.postpack;
  writeFileSync('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
}
