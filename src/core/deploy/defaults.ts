// "Deploy with defaults": without an image argument, the image to deploy is the newest one built
// from the workspace's HEAD commit that passed `greenlight test`, read from the tested-image ledger.
import { InputError } from '../common/errors';
import { git } from '../images/git';
import type { TestRecord, TestedImageLedger } from '../images/ledger';

/** The newest passing record of `service` built from `headSha`, or an error that says what to run. */
export function newestTestedOfCommit(ledger: Pick<TestedImageLedger, 'list'>, service: string, headSha: string): TestRecord {
  const passed = ledger.list().filter((r) => r.service === service && r.result === 'passed');
  const ofHead = passed.filter((r) => r.gitSha === headSha).sort((a, b) => Date.parse(b.testedAt) - Date.parse(a.testedAt));
  if (ofHead[0]) return ofHead[0];
  const newest = passed.sort((a, b) => Date.parse(b.testedAt) - Date.parse(a.testedAt))[0];
  throw new InputError(
    `no image of ${service} built from HEAD (${headSha.slice(0, 7)}) has passed greenlight test; run greenlight build && greenlight test` +
      (newest ? ` (the newest tested image, ${newest.version}, is from ${newest.gitSha.slice(0, 7)}; name it to deploy it anyway)` : ''),
  );
}

/** The commit HEAD names in the workspace. */
export async function headCommit(root: string, signal?: AbortSignal): Promise<string> {
  try {
    return (await git(root, ['rev-parse', '--verify', 'HEAD^{commit}'], signal)).trim();
  } catch (e) {
    const why = String((e as { stderr?: string }).stderr ?? '').trim();
    throw new InputError(`${root}: without an image argument, deploy takes the tested image of HEAD, but git cannot name HEAD (${why || 'not a git repository'}); name the image`);
  }
}
