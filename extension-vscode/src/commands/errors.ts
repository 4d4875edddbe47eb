import * as vscode from 'vscode';
import { firstLineOf } from '../../../core/src/errors.js';

/**
 * A command's handler that reports its failure in one line (`showErrorMessage`), as the CLI
 * would print it; a cancelled job is no failure.
 */
export function reporting<A extends unknown[]>(
  handler: (...args: A) => Promise<unknown>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await handler(...args);
    } catch (error) {
      if ((error as { code?: string }).code === 'cancelled') return;
      void vscode.window.showErrorMessage(`Winnow: ${firstLineOf(error)}`);
    }
  };
}
