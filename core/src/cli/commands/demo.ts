import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { embedDataset } from '../../embed/run.js';
import { WinnowError } from '../../errors.js';
import { importYolo } from '../../ingest/import/index.js';
import { ingest } from '../../ingest/index.js';
import { runQuery } from '../../query/run.js';
import { embeddingTable, findModel } from '../../store/embeddings.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
import { CREATES_WORKSPACE, withWorkspace } from '../context.js';
import { table } from '../output.js';
import { describeIngest } from './ingest.js';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const COCO128 = resolve(REPOSITORY, '../shared/datasets/coco128');
const SHARED_MODELS = resolve(REPOSITORY, '../shared/models');
const DEMO_MODEL = 'mobilenetv2-int8';

/**
 * The README's demo: index a folder (coco128 when it is beside the repository), import its
 * YOLO labels when there are some, embed the images with MobileNetV2 when its weights are at
 * hand (WINNOW_MODEL_DIR, else ../shared/models), and print what the workspace now knows.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('index a folder of images (default: ../shared/datasets/coco128/images) and print a summary')
    .argument('[folder]', 'a folder of images')
    .action((folder: string | undefined, _: unknown, command: Command) =>
      withWorkspace(
        command,
        async ({ ws, out, signal }) => {
          const images = folder ? resolve(folder) : join(COCO128, 'images');
          if (!existsSync(images)) {
            throw new WinnowError(
              'not_found',
              `${images} does not exist: give a folder of images (npm run demo -- <folder>)`,
            );
          }
          const dataset = folder ? 'demo' : 'coco128';
          const summary = await out.withProgress((onProgress) =>
            ingest(ws, images, { dataset, signal, onProgress }),
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
          process.env.WINNOW_MODEL_DIR ??= SHARED_MODELS;
          if (existsSync(join(process.env.WINNOW_MODEL_DIR, 'mobilenetv2-12-int8-embed.onnx'))) {
            const ds = await ws.dataset(dataset);
            const embedded = await out.withProgress((onProgress) =>
              embedDataset(ws, ds, { model: DEMO_MODEL, signal, onProgress }),
            );
            lines.push(
              `embedded ${embedded.embedded} images with ${DEMO_MODEL} on ${embedded.device} (${embedded.skipped} already done); thumbnails in ${embedded.thumbnails}`,
              'most similar pairs (cosine similarity of the embeddings):',
              table(await mostSimilarPairs(ws, ds)),
            );
          }
          out.result({ ingest: summary }, () => lines.join('\n'));
        },
        CREATES_WORKSPACE,
      ),
    );
}

async function mostSimilarPairs(ws: Workspace, dataset: Dataset) {
  const vectors = embeddingTable(await findModel(ws.db, dataset, DEMO_MODEL));
  return ws.db.all(
    `SELECT sa.path AS image, sb.path AS nearest, round(array_cosine_similarity(ea.vector, eb.vector)::DOUBLE, 3) AS cosine
     FROM ${vectors} ea JOIN ${vectors} eb ON ea.sample_id < eb.sample_id
     JOIN winnow.samples sa ON sa.sample_id = ea.sample_id JOIN winnow.samples sb ON sb.sample_id = eb.sample_id
     ORDER BY cosine DESC LIMIT 5`,
  );
}
