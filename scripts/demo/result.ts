// The contract between scripts/demo.mjs and a demo step written in TypeScript (run with
// `node --import tsx`): the step prints its details, then one last line with its result.
export interface DemoStepResult {
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly summary: string;
}

export const RESULT_PREFIX = 'greenlight-demo-result ';

export function finish(r: DemoStepResult): never {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
  process.exit(0);
}

/** Runs a step; an exception is a failed step whose summary is the error message. */
export function runStep(step: () => Promise<DemoStepResult>): void {
  step().then(finish, (e: unknown) => finish({ status: 'failed', summary: e instanceof Error ? e.message : String(e) }));
}
