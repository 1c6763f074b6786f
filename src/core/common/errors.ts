// Errors the user can act on. Each says what went wrong and where, and carries the exit code
// the CLI uses: 2 for bad input (usage, config, unreadable files), 1 for an operation that ran
// and failed (a build, a test, a verification).

export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

export class GreenlightError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    readonly location?: SourceLocation,
  ) {
    super(location ? `${formatLocation(location)}: ${message}` : message);
    this.name = 'GreenlightError';
  }
}

/** Bad input: a usage mistake, a broken config file, an unreadable file. Exit code 2. */
export class InputError extends GreenlightError {
  constructor(message: string, location?: SourceLocation) {
    super(message, 2, location);
    this.name = 'InputError';
  }
}

/** An operation ran and failed (build, test, verify, deploy). Exit code 1. */
export class OperationError extends GreenlightError {
  constructor(message: string, location?: SourceLocation) {
    super(message, 1, location);
    this.name = 'OperationError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
