// vscode-languageserver keeps one handler per notification method: a second
// `connection.onDidChangeWatchedFiles(h)` silently replaces the first. Several features need
// file-change and configuration-change events, so the connection they receive fans those two
// notifications out to every feature that subscribes.
import type { Connection, DidChangeConfigurationParams, DidChangeWatchedFilesParams, Disposable } from 'vscode-languageserver/node';

export function shareNotifications(connection: Connection): Connection {
  const watched = new Set<(p: DidChangeWatchedFilesParams) => void>();
  const configuration = new Set<(p: DidChangeConfigurationParams) => void>();
  connection.onDidChangeWatchedFiles((p) => watched.forEach((h) => h(p)));
  connection.onDidChangeConfiguration((p) => configuration.forEach((h) => h(p)));
  const subscribe =
    <P>(set: Set<(p: P) => void>) =>
    (h: (p: P) => void): Disposable => {
      set.add(h);
      return { dispose: () => set.delete(h) };
    };
  const onDidChangeWatchedFiles = subscribe(watched);
  const onDidChangeConfiguration = subscribe(configuration);
  return new Proxy(connection, {
    get(target, prop, receiver) {
      if (prop === 'onDidChangeWatchedFiles') return onDidChangeWatchedFiles;
      if (prop === 'onDidChangeConfiguration') return onDidChangeConfiguration;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}
