// Loaded with `node --import`: at exit, writes the process's peak resident set size (KiB) where the benchmark asks.
import { writeFileSync } from 'node:fs';

const target = process.env.ROSTER_BENCH_RSS_FILE;
if (target) process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS)));
