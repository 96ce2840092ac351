/** The one way renderers show a field's value: (none), a list in brackets, text in quotes (or bare, for code spans). */

/**
 * `value` for people: `(none)` for no value, `[a, b]` for a list, text in double quotes unless `quote` is false,
 * anything else as JSON. Strings are shown as they are: callers escape them first (render/escape.ts).
 */
export function formatValue(value: unknown, options: { readonly quote?: boolean } = {}): string {
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (typeof value === 'string') return options.quote === false ? value : `"${value}"`;
  return JSON.stringify(value);
}
