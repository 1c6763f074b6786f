// Why a file could not be read, as a phrase for "<file>: cannot read: <why>": the CLI's main thread
// and the lint workers (which read the files of a bulk run themselves) say it the same way.

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
};

export function readFailureReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${REASONS[err.code] ?? err.message} (${err.code})` : String(e);
}
