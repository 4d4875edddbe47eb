import type { SampleDetail } from '../../../core/src/client/server-client.js';
import type { SampleMatch } from '../../../core/src/server/sample-lookup.js';

/** A sample found at a hovered path, with what the hover shows of it. */
export interface HoveredSample {
  match: SampleMatch;
  detail: SampleDetail;
  /** Its thumbnail's bytes; absent when it has none (a video before embed) or it could not be read. */
  thumbnail?: Uint8Array;
}

/** The classes listed per task; the rest are counted. */
const CLASSES_SHOWN = 8;
/** The height the thumbnail is shown at (the server makes them 256 px on the longest side). */
const THUMBNAIL_HEIGHT = 160;

/**
 * The hover's Markdown for the samples at a path: for each, its thumbnail, its file and dataset,
 * tags, predicted and human labels, caption. Every text from the workspace is escaped, and the
 * only HTML is the <img> of a data: URI built here from bytes checked to be a JPEG or PNG, so the
 * hover needs `supportHtml` and no trust.
 */
export function sampleMarkdown(samples: readonly HoveredSample[]): string {
  return samples.map(sampleSection).join('\n\n---\n\n');
}

function sampleSection({ match, detail, thumbnail }: HoveredSample): string {
  const sample = detail.sample as Record<string, unknown>;
  const size = sample.width && sample.height ? ` · ${sample.width}×${sample.height}` : '';
  const lines = [
    `**${escapeMarkdown(match.path)}** in dataset **${escapeMarkdown(match.dataset)}**` +
      ` · ${escapeMarkdown(String(sample.kind))}${size} · sample ${match.sample_id}`,
    `Tags: ${detail.tags.length ? detail.tags.map(escapeMarkdown).join(', ') : 'none'}`,
    ...labelLines('Predictions', detail.predictions as { task: unknown; category: unknown }[]),
    ...labelLines('Labels', detail.annotations),
  ];
  if (sample.status !== 'ok')
    lines.push(`Status: ${escapeMarkdown(`${sample.status} ${sample.reason ?? ''}`)}`);
  if (detail.caption) lines.push(`Caption: ${escapeMarkdown(detail.caption)}`);
  const image = thumbnail && imageUri(thumbnail);
  return [
    ...(image ? [`<img src="${image}" height="${THUMBNAIL_HEIGHT}" alt="thumbnail">`] : []),
    ...lines,
  ].join('\n\n');
}

/** `Predictions (det): person ×2, dog`: each task's classes, most frequent first. */
export function labelLines(title: string, labels: readonly { task: unknown; category: unknown }[]): string[] {
  const tasks = new Map<string, Map<string, number>>();
  for (const { task, category } of labels) {
    const counts = tasks.get(String(task)) ?? new Map<string, number>();
    counts.set(String(category), (counts.get(String(category)) ?? 0) + 1);
    tasks.set(String(task), counts);
  }
  return [...tasks].map(([task, counts]) => {
    const classes = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const shown = classes
      .slice(0, CLASSES_SHOWN)
      .map(([category, n]) => `${escapeMarkdown(category)}${n > 1 ? ` ×${n}` : ''}`);
    const rest = classes.length > CLASSES_SHOWN ? `, and ${classes.length - CLASSES_SHOWN} more` : '';
    return `${title} (${escapeMarkdown(task)}): ${shown.join(', ')}${rest}`;
  });
}

/** A data: URI of a JPEG or PNG (by its first bytes); undefined for anything else. */
export function imageUri(bytes: Uint8Array): string | undefined {
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (!jpeg && !png) return undefined;
  return `data:image/${jpeg ? 'jpeg' : 'png'};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** Text shown as itself: Markdown's punctuation and HTML's brackets escaped (as MarkdownString.appendText does). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&:]/g, '\\$&').replace(/\r?\n/g, ' ');
}
