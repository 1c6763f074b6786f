// The body of a lint worker thread: the default linter, one request at a time. Parsers are loaded
// on the first file of their language, so a worker that only sees SQL never starts prism or
// tree-sitter. A hung or runaway parse is the pool's business: it terminates this thread.
import { parentPort } from 'node:worker_threads';
import { createDefaultLinter } from '../defaultLinter';
import { treeSitterRuntimeFailed } from '../treeSitter';
import type { WorkerRequest, WorkerResponse } from './protocol';

const port = parentPort;
if (!port) throw new Error('lintWorker runs only as a worker thread');
const linter = createDefaultLinter();

const answer = (r: WorkerResponse): void => port.postMessage(r.kind === 'started' || !treeSitterRuntimeFailed() ? r : { ...r, retire: true });

port.on('message', (req: WorkerRequest) => {
  answer({ id: req.id, kind: 'started' });
  void (async () => {
    try {
      if (req.kind === 'lint') {
        answer({ id: req.id, kind: 'lint', result: await linter.lint(req.file, req.text, req.options) });
        return;
      }
      const language = linter.languageFor(req.file, req.text);
      const parsed = language ? await language.parse(req.text, req.file) : undefined;
      answer({ id: req.id, kind: 'statements', statements: parsed?.ok ? parsed.statements.map((s) => ({ start: s.start, end: s.end })) : undefined });
    } catch (e) {
      answer({ id: req.id, kind: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
