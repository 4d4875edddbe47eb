import type { Command } from 'commander';
import { sampleCounts } from '../../store/counts.js';
import { SCHEMA_VERSION } from '../../store/migrations.js';
import type { Workspace } from '../../store/workspace.js';
import { withWorkspace } from '../context.js';
import { table } from '../output.js';

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

export async function datasetInfo(ws: Workspace, name?: string): Promise<DatasetInfo[]> {
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

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('the workspace and its datasets')
    .option('--dataset <name>', 'one dataset only')
    .action((options: { dataset?: string }, command: Command) =>
      withWorkspace(command, async ({ ws, out }) => {
        const data = {
          workspace: ws.dir,
          schema_version: SCHEMA_VERSION,
          datasets: await datasetInfo(ws, options.dataset),
        };
        out.result(data, (d) =>
          [
            `workspace ${d.workspace} (schema ${d.schema_version})`,
            table(d.datasets.map((x) => ({ ...x, tasks: x.tasks.map((t) => t.task).join(',') }))),
          ].join('\n'),
        );
      }),
    );
}
