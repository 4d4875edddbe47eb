import { sampleCounts } from './counts.js';
import { SCHEMA_VERSION } from './migrations.js';
import type { Workspace } from './workspace.js';

/** What `winnow info` reports: the workspace, its schema, and each dataset's counts. */
export interface WorkspaceInfo {
  workspace: string;
  schema_version: number;
  datasets: DatasetInfo[];
}

export async function workspaceInfo(ws: Workspace, dataset?: string): Promise<WorkspaceInfo> {
  return { workspace: ws.dir, schema_version: SCHEMA_VERSION, datasets: await datasetInfo(ws, dataset) };
}

export interface DatasetInfo {
  name: string;
  root: string;
  work: string;
  samples: number;
  images: number;
  videos: number;
  corrupt: number;
  removed: number;
  tags: number;
  tasks: { task: string; type: string; predictions: number; annotations: number }[];
  metadata_fields: number;
}

async function datasetInfo(ws: Workspace, name?: string): Promise<DatasetInfo[]> {
  const datasets = name ? [await ws.dataset(name)] : await ws.datasets();
  return Promise.all(
    datasets.map(async (d) => {
      const counts = await sampleCounts(ws.db, d.id);
      const extra = (await ws.db.one<{ tags: number; metadata_fields: number }>(
        `SELECT (SELECT count(*) FROM winnow.tags WHERE dataset_id = $1 AND deleted_at IS NULL) AS tags,
           (SELECT count(*) FROM winnow.metadata_fields WHERE dataset_id = $1) AS metadata_fields`,
        [d.id],
      ))!;
      const tasks = await ws.db.all<DatasetInfo['tasks'][number]>(
        `SELECT t.name AS task, t.type,
           (SELECT count(*) FROM winnow.predictions p WHERE p.task_id = t.task_id) AS predictions,
           (SELECT count(*) FROM winnow.annotations a WHERE a.task_id = t.task_id) AS annotations
         FROM winnow.tasks t WHERE t.dataset_id = ? ORDER BY t.name`,
        [d.id],
      );
      return {
        name: d.name,
        root: d.input.uri,
        work: d.work.uri,
        samples: counts.samples,
        images: counts.images,
        videos: counts.videos,
        corrupt: counts.corrupt,
        removed: counts.removed,
        tags: extra.tags,
        tasks,
        metadata_fields: extra.metadata_fields,
      };
    }),
  );
}
