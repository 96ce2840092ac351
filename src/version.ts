/** roster's version, from package.json. */
import { createRequire } from 'node:module';

export const ROSTER_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
