import { ServerClient } from '../../../core/src/client/server-client.js';
import { WinnowError } from '../../../core/src/errors.js';
import { findUsable, type RuntimeInfo } from '../../../core/src/server/runtime.js';
import { startServer } from './start-server.js';
import type { CommandLine } from './winnow-command.js';

/** Where the workspace is and how to run `winnow`: read from the settings on each connection. */
export interface ServerLocation {
  workspace: string;
  command: CommandLine;
}

/**
 * The connection to the workspace's server: the one running for it (a kernel's, a terminal's
 * `winnow serve`: trusted runtime file, health naming this workspace, same version) or one this
 * extension starts. The token stays here, in the extension host; nothing hands it to a webview.
 * When the server went away (stopped, idle, the machine slept) the next use finds or starts one again.
 */
export class ServerConnection {
  private current: Promise<RuntimeInfo> | undefined;

  constructor(private readonly locate: () => ServerLocation) {}

  /** The workspace's server, found or started once and shared by every caller meanwhile. */
  server(): Promise<RuntimeInfo> {
    if (!this.current) {
      this.current = this.connect();
      // A failed attempt is not remembered: the next call tries again (a fixed setting, a started server).
      this.current.catch(() => this.forget());
    }
    return this.current;
  }

  /** Forgets the server, so the next use finds or starts it again (after a setting changed, or it stopped). */
  forget(): void {
    this.current = undefined;
  }

  /**
   * Runs `work` with a client of the server; when the server does not answer (gone since it was
   * found), finds or starts it again and runs `work` once more.
   */
  async withClient<T>(work: (client: ServerClient) => Promise<T>): Promise<T> {
    return this.withServer((server) => work(new ServerClient(server)));
  }

  /** `withClient` for work that needs the server's address itself (the views' relay). */
  async withServer<T>(work: (server: RuntimeInfo) => Promise<T>): Promise<T> {
    const server = await this.server();
    try {
      return await work(server);
    } catch (error) {
      if (!(error instanceof WinnowError && error.code === 'unavailable')) throw error;
      if (this.current) {
        const known = await this.current.catch(() => undefined);
        if (known === server) this.forget();
      }
      return work(await this.server());
    }
  }

  private async connect(): Promise<RuntimeInfo> {
    const { workspace, command } = this.locate();
    const running = await findUsable(workspace);
    if (running) return running;
    await startServer(workspace, command);
    const started = await findUsable(workspace);
    if (!started) throw new Error(`the winnow server started but ${workspace}/server.json names no server`);
    return started;
  }
}
