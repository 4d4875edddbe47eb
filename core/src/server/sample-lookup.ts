import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRequest } from '../contract/parse.js';
import { SampleLookupQuery } from '../contract/requests.js';
import { toDatasetPath } from '../query/selection.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { type Route, route } from './http.js';

/** The same file in more datasets than this is past what an editor's hover shows. */
const MAX_MATCHES = 20;

/** A sample a location names, in one dataset. */
export interface SampleMatch {
  dataset: string;
  sample_id: number;
  /** Its path within the dataset's input. */
  path: string;
}

/** GET /api/samples/lookup's answer: the images and videos of any dataset at that location. */
export interface SampleLookup {
  location: string;
  matches: SampleMatch[];
}

/** GET /api/samples/lookup?location=…: which sample a filename is, for an editor's hover on a path. */
export function sampleLookupRoutes(ws: Workspace): Route[] {
  return [
    route('GET', '/api/samples/lookup', async (context) => {
      const { location } = parseRequest(SampleLookupQuery, Object.fromEntries(context.query));
      return lookupSample(ws, location);
    }),
  ];
}

/**
 * The images and videos (not removed) at `location` in the workspace's datasets: one equality
 * on the path per dataset whose input holds the location, in one query, at most MAX_MATCHES.
 */
export async function lookupSample(ws: Workspace, location: string): Promise<SampleLookup> {
  const candidates = (await ws.datasets()).flatMap((dataset) => {
    const path = pathInDataset(dataset, location);
    return path === undefined ? [] : [{ dataset, path }];
  });
  if (candidates.length === 0) return { location, matches: [] };
  const rows = await ws.db.all<{ dataset_id: number; sample_id: number; path: string }>(
    `SELECT dataset_id, sample_id, path FROM winnow.samples
     WHERE status <> 'removed' AND kind IN ('image', 'video')
       AND (${candidates.map(() => '(dataset_id = ? AND path = ?)').join(' OR ')})
     ORDER BY dataset_id, sample_id LIMIT ${MAX_MATCHES}`,
    candidates.flatMap(({ dataset, path }) => [dataset.id, path]),
  );
  const names = new Map(candidates.map(({ dataset }) => [dataset.id, dataset.name]));
  return {
    location,
    matches: rows.map((row) => ({
      dataset: names.get(row.dataset_id)!,
      sample_id: Number(row.sample_id),
      path: row.path,
    })),
  };
}

/**
 * A location's path within the dataset's input, in any of the forms `winnow export` and
 * `winnow selected` write (relative, absolute, a file:// URL, a bucket URL); undefined when it
 * lies outside the input.
 */
export function pathInDataset(dataset: Dataset, location: string): string | undefined {
  const given = location.trim();
  if (/^file:\/\//i.test(given)) {
    const file = fromFileUrl(given);
    return file === undefined ? undefined : pathInDataset(dataset, file);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
    const root = `${dataset.input.uri.replace(/\/$/, '')}/`;
    return dataset.input.kind !== 'local' && given.startsWith(root) ? given.slice(root.length) : undefined;
  }
  if (isAbsolute(given) && dataset.input.kind !== 'local') return undefined;
  const path = toDatasetPath(dataset, given);
  return path === '' || path.startsWith('../') || path === '..' || isAbsolute(path) ? undefined : path;
}

function fromFileUrl(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}
