/** roster's version, from package.json. */
import { readPackageJson } from './paths.ts';

export const ROSTER_VERSION: string = readPackageJson<{ version: string }>('package.json').version;
