import type { Progress } from '../../../core/src/errors.js';

/** A job's progress event as one short line: `embedding 3,200 / 10,000 (32%)`, or the phase and its count. */
export function progressText({ phase, done, total }: Progress): string {
  const count = done.toLocaleString('en-US');
  if (!total) return done ? `${phase} ${count}` : phase;
  const percent = Math.floor((100 * Math.min(done, total)) / total);
  return `${phase} ${count} / ${total.toLocaleString('en-US')} (${percent}%)`;
}
