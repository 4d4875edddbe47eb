import { type Command, InvalidArgumentError, Option } from 'commander';
import type { FrameSampling } from '../../embed/frames.js';
import { BUILTIN_MODELS, DEFAULT_MODEL } from '../../embed/model.js';
import { embedOnRay, type RayEmbedSummary } from '../../embed/ray.js';
import { type EmbedSummary, embedDataset } from '../../embed/run.js';
import { DEVICES, type Device } from '../../embed/session.js';
import { WinnowError } from '../../errors.js';
import { localFile, positiveInteger, positiveNumber, runOperation } from '../context.js';

interface EmbedCliOptions {
  dataset: string;
  model?: string;
  modelConfig?: string;
  device: Device;
  batchSize?: number;
  frameInterval?: number;
  framesPerVideo?: number;
  sceneChanges?: number;
  crops?: 'annotations' | 'predictions';
  task?: string;
  ray?: string;
  rayRuntime?: string;
  shardSize?: number;
  cpusPerShard?: number;
}

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description(
      'embed the images and videos that have no embedding of the model yet, and make their thumbnails',
    )
    .requiredOption('--dataset <name>', 'the dataset to embed')
    .option(
      '--model <name|path>',
      `a registry model (${Object.keys(BUILTIN_MODELS).join(', ')}; default ${DEFAULT_MODEL}), a model config file, or an .onnx file with --model-config`,
    )
    .option(
      '--model-config <file>',
      'how to feed the model: input, size, preprocessing, output (YAML or JSON)',
    )
    .addOption(
      new Option('--device <device>', 'where the model runs; auto falls back to the CPU')
        .choices(DEVICES)
        .default('auto'),
    )
    .option(
      '--batch-size <n>',
      'images per inference call (default 32 on the CPU, 128 on a GPU)',
      positiveInteger,
    )
    .option(
      '--frame-interval <seconds>',
      'videos: one frame every this many seconds (default 1)',
      positiveNumber,
    )
    .option('--frames-per-video <n>', 'videos: this many frames, spread evenly', positiveInteger)
    .option(
      '--scene-changes <threshold>',
      'videos: the first frame and each scene change scoring above 0-1',
      sceneThreshold,
    )
    .addOption(
      new Option('--crops <boxes>', 'also embed object crops of these boxes').choices([
        'annotations',
        'predictions',
      ]),
    )
    .option('--task <name>', 'for --crops: only the boxes of this task')
    .option(
      '--ray <address>',
      'embed the images over a Ray cluster: HOST:PORT of its head, or auto (see docs/scale.md)',
    )
    .option(
      '--ray-runtime <command>',
      'with --ray: the engine command on the nodes (default: winnow, from the wheel)',
    )
    .option('--shard-size <n>', 'with --ray: images per shard (default 1000)', positiveInteger)
    .option('--cpus-per-shard <n>', 'with --ray: CPUs each engine asks of Ray (default 1)', positiveInteger)
    .action((options: EmbedCliOptions, command: Command) =>
      runOperation<EmbedSummary | RayEmbedSummary>(
        command,
        {
          local: async ({ ws, out, dataset, signal }) => {
            const ds = await dataset(options.dataset);
            const frames = frameSampling(options);
            const { ray } = options;
            return out.withProgress<EmbedSummary | RayEmbedSummary>((onProgress) =>
              ray
                ? embedOnRay(ws, ds, { ...options, ray, signal, onProgress })
                : embedDataset(ws, ds, { ...options, frames, signal, onProgress }),
            );
          },
          remote: ({ client, out, signal }) => {
            const { dataset, ...rest } = options;
            const model = rest.model && localFile(rest.model);
            const modelConfig = rest.modelConfig && localFile(rest.modelConfig);
            const job = { ...rest, model, modelConfig, frames: frameSampling(options) };
            return out.withProgress((onProgress) =>
              client.runJob({ kind: 'embed', dataset, options: job }, { signal, onProgress }),
            );
          },
        },
        (summary, out) => {
          if ('shards' in summary) return out.result(summary, describeRayEmbedding);
          if (summary.fallback) out.warn(`device auto: ${summary.fallback}`);
          out.result(summary, describeEmbedding);
        },
      ),
    );
}

function frameSampling(options: EmbedCliOptions): FrameSampling | undefined {
  const given = [
    options.frameInterval !== undefined && { every: options.frameInterval },
    options.framesPerVideo !== undefined && { count: options.framesPerVideo },
    options.sceneChanges !== undefined && { scene: options.sceneChanges },
  ].filter((s) => s !== false);
  if (given.length > 1) {
    throw new WinnowError(
      'invalid_argument',
      'give one of --frame-interval, --frames-per-video and --scene-changes',
    );
  }
  return given[0];
}

function sceneThreshold(value: string): number {
  const threshold = Number(value);
  if (!(threshold > 0 && threshold < 1)) {
    throw new InvalidArgumentError('a scene-change threshold is a number between 0 and 1, such as 0.3');
  }
  return threshold;
}

function describeEmbedding(s: EmbedSummary): string {
  const lines = [
    `embedded ${s.embedded} images and ${s.videos} videos (${s.frames} frames) and ${s.crops} crops of ${s.dataset} with ${s.model} on ${s.device} (${s.skipped} already done) in ${s.seconds.toFixed(2)} s`,
  ];
  if (s.corrupt.length)
    lines.push(
      `  ${s.corrupt.length} not decoded (marked corrupt), the first: ${s.corrupt[0]!.path}: ${s.corrupt[0]!.reason}`,
    );
  lines.push(`  thumbnails: ${s.thumbnails}`);
  return lines.join('\n');
}

function describeRayEmbedding(s: RayEmbedSummary): string {
  const lines = [
    `embedded ${s.embedded} images of ${s.dataset} with ${s.model} on Ray: ${s.shards.merged} of ${s.shards.total} shards merged, on ${s.nodes.length} nodes (${s.skipped} already done) in ${s.seconds.toFixed(2)} s`,
  ];
  if (s.corrupt) lines.push(`  ${s.corrupt} not decoded (marked corrupt)`);
  for (const { shard, error } of s.shards.failed) lines.push(`  shard ${shard} failed: ${error}`);
  if (s.pending) lines.push(`  ${s.pending} images still pending: run the command again`);
  if (s.videos_pending) lines.push(`  ${s.videos_pending} videos pending: videos are embedded without --ray`);
  return lines.join('\n');
}
