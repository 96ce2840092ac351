/** Messages about databases without their secrets. No dependencies, so the CLI's error path stays light. */

/** The innermost message of an error chain, without the URL's password. */
export function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const message = current instanceof Error ? current.message : String(current);
  return message.replace(/\/\/([^:/@\s]+):[^@\s]*@/g, '//$1:***@');
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@\s]+):[^@\s]*@/g, '//$1:***@');
  }
}
