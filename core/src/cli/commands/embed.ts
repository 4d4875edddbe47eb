import { type Command, Option } from 'commander';
import { type EmbedSummary, embedDataset } from '../../embed/run.js';
import { positiveInteger, positiveNumber, withWorkspace } from '../context.js';

interface EmbedCliOptions {
  dataset: string;
  model: string;
  batchSize?: number;
  frameInterval?: number;
  crops?: 'annotations' | 'predictions';
  task?: string;
}

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description(
      'embed the images and videos that have no embedding of the model yet, and make their thumbnails',
    )
    .requiredOption('--dataset <name>')
    .requiredOption(
      '--model <name|config>',
      'a built-in model (squeezenet1.1, mobilenetv2-int8) or a model config file',
    )
    .option('--batch-size <n>', 'images per inference call (default 32)', positiveInteger)
    .option(
      '--frame-interval <seconds>',
      'seconds between the frames taken from videos (default 1)',
      positiveNumber,
    )
    .addOption(
      new Option('--crops <boxes>', 'also embed object crops of these boxes').choices([
        'annotations',
        'predictions',
      ]),
    )
    .option('--task <name>', 'for --crops: only the boxes of this task')
    .action((options: EmbedCliOptions, command: Command) =>
      withWorkspace(command, async ({ ws, out, dataset, signal }) => {
        const ds = await dataset(options.dataset);
        const bar = out.progress();
        const summary = await embedDataset(ws, ds, { ...options, signal, onProgress: bar.update }).finally(
          bar.stop,
        );
        out.result(summary, describeEmbedding);
      }),
    );
}

function describeEmbedding(s: EmbedSummary): string {
  const lines = [
    `embedded ${s.embedded} images and ${s.videos} videos (${s.frames} frames) and ${s.crops} crops of ${s.dataset} with ${s.model} (${s.skipped} already done) in ${s.seconds.toFixed(2)} s`,
  ];
  if (s.corrupt.length)
    lines.push(`  ${s.corrupt.length} could not be decoded (marked corrupt): ${s.corrupt[0]!.path}, …`);
  lines.push(`  thumbnails: ${s.thumbnails}`);
  return lines.join('\n');
}
