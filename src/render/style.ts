/** Terminal styling as plain data: renderers take a {@link Style} and stay pure. */

export interface Style {
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly red: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
}

const identity = (text: string) => text;
const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const PLAIN: Style = { green: identity, yellow: identity, red: identity, cyan: identity, bold: identity, dim: identity };
export const COLOR: Style = {
  green: ansi(32, 39),
  yellow: ansi(33, 39),
  red: ansi(31, 39),
  cyan: ansi(36, 39),
  bold: ansi(1, 22),
  dim: ansi(2, 22),
};

/**
 * Colour on a terminal, or anywhere when FORCE_COLOR is set to anything but '' or '0' (CI logs such as GitHub
 * Actions' show it); never when NO_COLOR is set to anything non-empty (no-color.org, and --no-color), nor when
 * FORCE_COLOR is '0'.
 */
export function chooseStyle(options: { isTTY: boolean; env: Readonly<Record<string, string | undefined>> }): Style {
  const noColor = options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '';
  const force = options.env.FORCE_COLOR;
  if (noColor || force === '0') return PLAIN;
  if (force !== undefined && force !== '') return COLOR;
  return options.isTTY && options.env.TERM !== 'dumb' ? COLOR : PLAIN;
}
