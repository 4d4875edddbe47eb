import type { Progress } from '../../core/src/errors.js';

const count = new Intl.NumberFormat('en-US');

/**
 * A job's progress as the line VS Code's progress notification shows under its title:
 * `ranking: 40% (400 of 1,000)`, or `listing: 1,234` while the total is unknown.
 */
export function progressMessage(progress: Progress): string {
  if (progress.total === undefined) return `${progress.phase}: ${count.format(progress.done)}`;
  const percent = progress.total > 0 ? Math.floor((100 * progress.done) / progress.total) : 100;
  return `${progress.phase}: ${percent}% (${count.format(progress.done)} of ${count.format(progress.total)})`;
}
