// Colour for the CLI's severities (errors, warnings, pass/fail, health), per output stream.
// picocolors does the styling; whether a stream gets colour follows the usual conventions:
// FORCE_COLOR (as Node reads it: "0" or "false" turn colour off, anything else on) decides when
// set, then NO_COLOR (any non-empty value) turns it off, then a terminal that is not "dumb" gets it.
import { createColors } from 'picocolors';

export type Colors = ReturnType<typeof createColors>;

export function colorEnabled(env: NodeJS.ProcessEnv, isTerminal: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTerminal && env.TERM !== 'dumb';
}

export function colorsFor(env: NodeJS.ProcessEnv, isTerminal: boolean): Colors {
  return createColors(colorEnabled(env, isTerminal));
}

/** No colour at all: tests and callers that build a CliIo by hand. */
export const plain: Colors = createColors(false);

export type Severity = 'error' | 'warn' | 'info' | 'ok';

/** Paints text for its severity: red errors, yellow warnings, green success, info as it is. */
export function paint(c: Colors, severity: Severity, text: string): string {
  switch (severity) {
    case 'error':
      return c.red(text);
    case 'warn':
      return c.yellow(text);
    case 'ok':
      return c.green(text);
    default:
      return text;
  }
}
