// The one object that holds the extension's long-lived parts. activate() builds it; commands,
// views and panels receive it (or the parts they need) as arguments: no globals.
import type * as vscode from 'vscode';
import type { ServiceClient } from './serviceClient';
import type { ProjectState } from './projectState';
import type { ImagesView } from './views/imagesView';

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly output: vscode.LogOutputChannel;
  readonly client: ServiceClient;
  readonly project: ProjectState;
  /** The Images view; image commands refresh it when their job ends. */
  readonly images: ImagesView;
}
