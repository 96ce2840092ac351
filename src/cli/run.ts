/** The process entry: runs roster with this process's arguments, streams and environment. */
import { main } from './main.ts';
import { processIo } from './io.ts';

export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), processIo());
}
