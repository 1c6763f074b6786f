// The background service process: a language server (lint diagnostics for migration and seed
// files) that also runs the heavy jobs (build, test, ship, backup, deploy) so the editor never
// stalls. It speaks only the typed protocol in ./protocol.ts.
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { IdleRelease } from './idleRelease';
import { JobRunner } from './jobRunner';
import { jobHandlers } from './jobs/registry';
import {
  HealthRequest,
  JobCancelRequest,
  JobLogNotification,
  JobProgressNotification,
  JobRunRequest,
  SERVICE_PROTOCOL_VERSION,
} from './protocol';
import { registerServiceFeatures } from './features';

const VERSION = process.env.GREENLIGHT_VERSION ?? '0.0.0-dev';
const started = Date.now();

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

const runner = new JobRunner(jobHandlers, {
  progress: (p) => void connection.sendNotification(JobProgressNotification, p),
  log: (p) => void connection.sendNotification(JobLogNotification, p),
});

const features = registerServiceFeatures(connection, documents);

connection.onInitialize((params) => {
  features.initialize(params);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      ...features.capabilities,
    },
    serverInfo: { name: 'greenlight-service', version: VERSION },
  };
});
connection.onInitialized(() => features.initialized());

connection.onRequest(HealthRequest, () => ({
  protocol: SERVICE_PROTOCOL_VERSION,
  version: VERSION,
  pid: process.pid,
  uptimeMs: Date.now() - started,
  rssBytes: process.memoryUsage().rss,
  runningJobs: runner.runningCount,
}));

const idle = new IdleRelease(() => runner.runningCount);

connection.onRequest(JobRunRequest, (start, token) => {
  const ac = new AbortController();
  token.onCancellationRequested(() => ac.abort());
  idle.jobStarted();
  return runner.run(start, ac.signal).finally(() => idle.jobEnded());
});
connection.onRequest(JobCancelRequest, ({ jobId }) => ({ cancelled: runner.cancel(jobId) }));

connection.onShutdown(() => {
  features.dispose?.();
  idle.dispose();
  runner.cancelAll();
});

// A test hook: lets the extension-host tests prove the restart path by killing the real process.
if (process.env.GREENLIGHT_SERVICE_CRASH_AFTER_MS) {
  setTimeout(() => process.exit(99), Number(process.env.GREENLIGHT_SERVICE_CRASH_AFTER_MS)).unref();
}

documents.listen(connection);
connection.listen();
