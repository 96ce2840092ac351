/**
 * How big the randomised and fault-injecting test families run. Each has a default sized to keep `npm test` within a
 * few minutes; its own variable sets it exactly, and ROSTER_TEST_SCALE multiplies every default (`npm run test:large`
 * runs them ten times larger).
 */
export function testSize(variable: string, defaultSize: number): number {
  const exact = process.env[variable];
  if (exact !== undefined && exact !== '') return Number(exact);
  const scale = Number(process.env.ROSTER_TEST_SCALE ?? 1);
  return Math.max(1, Math.round(defaultSize * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** Prints one line of a family's counts, which RELIABILITY.md records from the last large run. */
export function reportCounts(family: string, counts: string): void {
  console.log(`reliability: ${family}: ${counts}`);
}
