import type { ServerClient } from '../../core/src/client/server-client.js';

/**
 * What a feature of the extension (selection configs, the hover on a path) needs of the rest of
 * it: the workspace's server, the dataset the user is looking at, and the tree to refresh.
 */
export interface WinnowAccess {
  /** The client of the workspace's server, found or started on first use. */
  client(): Promise<ServerClient>;
  /**
   * The client when the folder has a Winnow workspace (its server found or started), else
   * undefined: for what runs unasked, such as a hover, which must never create a workspace.
   */
  existingClient(): Promise<ServerClient | undefined>;
  /** The dataset shown in the panel, if any (the default for commands). */
  currentDataset(): string | undefined;
  /** Tells the tree that tags changed (a selection run made a new one). */
  refresh(): void;
}
