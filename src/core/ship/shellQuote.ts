// SSH carries a command as one string that the remote login shell parses, so every argv array we
// send is turned into that string here and nowhere else. Each argument is quoted so the shell
// gives it back byte for byte: no expansion, no word splitting, no globbing.

// '=' is left out: a leading NAME=value word would be an assignment, not a command.
const SAFE = /^[A-Za-z0-9_\-.,:/@%+]+$/;

/** Quotes one argument for a POSIX shell. NUL cannot be passed through argv, so it is refused. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new TypeError('an argument contains a NUL byte, which no command line can carry');
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  // Inside single quotes nothing is special except the quote itself, which is closed, escaped and reopened.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv array into the one command string that SSH sends. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('an empty command');
  return argv.map(shellQuote).join(' ');
}
