import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { WinnowError } from '../../errors.js';
import { importYolo } from '../../ingest/import/index.js';
import { ingest } from '../../ingest/index.js';
import { runQuery } from '../../query/run.js';
import { withWorkspace } from '../context.js';
import { table } from '../output.js';
import { describeIngest } from './ingest.js';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const COCO128 = resolve(REPOSITORY, '../shared/datasets/coco128');

/**
 * The README's demo: index a folder (coco128 when it is beside the repository), import its
 * YOLO labels when there are some, and print what the workspace now knows.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('index a folder of images (default: ../shared/datasets/coco128/images) and print a summary')
    .argument('[folder]', 'a folder of images')
    .action((folder: string | undefined, _: unknown, command: Command) =>
      withWorkspace(command, async ({ ws, out, signal }) => {
        const images = folder ? resolve(folder) : join(COCO128, 'images');
        if (!existsSync(images)) {
          throw new WinnowError(
            'not_found',
            `${images} does not exist: give a folder of images (npm run demo -- <folder>)`,
          );
        }
        const dataset = folder ? 'demo' : 'coco128';
        const bar = out.progress();
        const summary = await ingest(ws, images, { dataset, signal, onProgress: bar.update }).finally(
          bar.stop,
        );
        const lines = [`workspace ${ws.dir}`, describeIngest(summary)];
        const labels = join(dirname(images), 'labels');
        const classes = join(dirname(images), 'classes.yaml');
        if (existsSync(labels) && existsSync(classes)) {
          const ds = await ws.dataset(dataset);
          const imported = await importYolo(ws, ds, labels, {
            as: 'annotations',
            classes,
            task: 'yolo',
            signal,
          });
          lines.push(`imported ${imported.records} YOLO boxes as annotations (task yolo)`);
          const perClass = await runQuery(
            ws,
            'SELECT category, count(*) AS boxes FROM annotations GROUP BY category ORDER BY boxes DESC, category LIMIT 8',
            { dataset: ds },
          );
          lines.push('most frequent classes:', table(perClass.rows));
        }
        const sizes = await runQuery(
          ws,
          `SELECT format, count(*) AS files, min(width) AS min_width, max(width) AS max_width,
             round(avg(size) / 1024) AS avg_kib FROM samples GROUP BY format ORDER BY files DESC`,
          { dataset: await ws.dataset(dataset) },
        );
        lines.push('files by format:', table(sizes.rows));
        out.result({ ingest: summary }, () => lines.join('\n'));
      }),
    );
}
