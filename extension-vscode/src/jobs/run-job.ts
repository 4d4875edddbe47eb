import * as vscode from 'vscode';
import type { JobRequest } from '../../../core/src/contract/jobs.js';
import type { Progress } from '../../../core/src/errors.js';
import type { ServerConnection } from '../server/connection.js';
import { progressText } from './progress-text.js';

/**
 * Runs a job on the server under a cancellable notification: its progress events as the
 * notification's message and bar; Cancel aborts the job on the server (ServerClient.runJob
 * waits until it has stopped, then throws `cancelled`). Resolves with the job's result.
 */
export function runJobWithProgress<T>(
  connection: ServerConnection,
  title: string,
  job: JobRequest,
): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const listener = token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        const onProgress = (event: Progress) => {
          const fraction = event.total ? Math.min(1, event.done / event.total) : undefined;
          // The bar takes increments: what this event adds to what was shown.
          const increment = fraction === undefined ? undefined : Math.max(0, fraction * 100 - shown);
          if (increment !== undefined) shown += increment;
          progress.report({ message: progressText(event), ...(increment ? { increment } : {}) });
        };
        try {
          return await connection.withClient((client) =>
            client.runJob<T>(job, { signal: abort.signal, onProgress }),
          );
        } finally {
          listener.dispose();
        }
      },
    ),
  );
}
