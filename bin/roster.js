#!/usr/bin/env node
// roster's executable. It runs the TypeScript sources without a build step or install script: the first run after
// the sources change bundles them with esbuild into .roster-build/ (named by their content), and later runs load
// that one file, which starts several times faster than compiling each module on the fly. Where the bundle cannot
// be written (a read-only install) or ROSTER_NO_BUNDLE=1 is set, it runs the sources through tsx instead.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const entry = join(root, 'src', 'cli', 'run.ts');

async function bundled() {
  const hash = createHash('sha256');
  const visit = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (name.endsWith('.ts')) hash.update(path).update(readFileSync(path));
      else if (!name.includes('.')) visit(path);
    }
  };
  visit(join(root, 'src'));
  // The bundler's version is part of the name; the bundler itself is loaded only to build.
  hash.update(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json')));
  const directory = join(root, '.roster-build');
  // Split into chunks, so a command loads only the modules (and the libraries) it uses.
  const output = join(directory, hash.digest('hex').slice(0, 16));
  if (!existsSync(output)) {
    mkdirSync(directory, { recursive: true });
    const temporary = `${output}.${process.pid}.tmp`;
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: { run: entry, 'parse-worker': join(root, 'src', 'config', 'parse-worker.ts') },
      outdir: temporary,
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
    try {
      renameSync(temporary, output);
    } catch {
      rmSync(temporary, { recursive: true, force: true }); // another process finished first
    }
    // Older bundles go; another process's bundle in the making stays, unless it was abandoned (killed) long ago.
    for (const old of readdirSync(directory)) {
      const path = join(directory, old);
      if (path === output) continue;
      if (old.endsWith('.tmp') && Date.now() - statSync(path, { throwIfNoEntry: false })?.mtimeMs < 10 * 60_000) continue;
      rmSync(path, { recursive: true, force: true });
    }
  }
  return import(pathToFileURL(join(output, 'run.js')).href);
}

async function fromSources() {
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(entry).href);
}

let roster;
if (process.env.ROSTER_NO_BUNDLE === '1') roster = await fromSources();
else if (process.env.ROSTER_REQUIRE_BUNDLE === '1') roster = await bundled(); // tests: a broken bundle must fail
else roster = await bundled().catch(() => fromSources());
await roster.run();
