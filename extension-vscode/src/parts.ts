import type { WinnowPanel } from './panel/panel-provider.js';
import type { ServerConnection } from './server/connection.js';
import type { WorkspaceTree } from './tree/workspace-tree.js';

/** What the features share: the one connection to the server, the tree and the panel. */
export interface ExtensionParts {
  connection: ServerConnection;
  tree: WorkspaceTree;
  panel: WinnowPanel;
}
