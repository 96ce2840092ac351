/**
 * Rows are typed at the boundary: every query roster sends carries a zod schema (`sql.type(schema)`), and this
 * interceptor checks each row against it before any code sees the row. A row that does not fit is roster's bug or
 * a database changed under it: slonik's SchemaValidationError, which the CLI reports as an internal error.
 */
import { SchemaValidationError, type Interceptor } from 'slonik';

/** The interceptor every pool roster creates runs first. */
export function resultParserInterceptor(): Interceptor {
  return {
    name: 'roster-result-parser',
    transformRow: (context, query, row) => {
      const parser = context.resultParser;
      if (parser === undefined) return row;
      const parsed = parser.safeParse(row);
      if (!parsed.success) throw new SchemaValidationError(query, row, parsed.error.issues);
      return parsed.data;
    },
  };
}
