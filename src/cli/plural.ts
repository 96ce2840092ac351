/** Counts in messages: "1 company", "2 companies", "0 users". */

/** `count` and the noun in the number that fits it (`plural` defaults to the noun with an s). */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
