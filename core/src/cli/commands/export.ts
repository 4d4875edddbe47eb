import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { WinnowError } from '../../errors.js';
import {
  exportCoco,
  exportFilenames,
  exportSamples,
  exportYolo,
  type FilenameForm,
  type LabelExportOptions,
} from '../../export/export.js';
import { parseAt } from '../../store/history.js';
import { addSelectionOptions, type SelectionOptions, selectionFrom, withWorkspace } from '../context.js';

interface ExportOptions extends SelectionOptions {
  dataset: string;
  format: 'filenames' | 'csv' | 'json' | 'coco' | 'yolo';
  paths: FilenameForm;
  columns?: string;
  out?: string;
  task?: string;
  labels: 'predictions' | 'annotations';
  at?: string;
}

function labelOptions(options: ExportOptions): LabelExportOptions {
  if (options.labels !== 'predictions' && options.labels !== 'annotations') {
    throw new WinnowError('invalid_argument', `--labels '${options.labels}': use predictions or annotations`);
  }
  return { task: options.task, source: options.labels, at: parseAt(options.at) };
}

export function registerExport(program: Command): void {
  addSelectionOptions(
    program
      .command('export')
      .description('write the chosen samples as filenames, CSV or JSON, or their labels as COCO or YOLO')
      .requiredOption('--dataset <name>')
      .option('--format <format>', 'filenames | csv | json | coco | yolo', 'filenames')
      .option('--paths <form>', 'filenames as relative | absolute | url', 'relative')
      .option('--columns <list>', 'csv/json: comma-separated columns of the samples view')
      .option('--out <path>', 'file to write (a folder for yolo); filenames go to stdout without it')
      .option('--task <name>', 'coco/yolo: the task whose labels to write')
      .option('--labels <source>', 'coco/yolo: predictions | annotations', 'annotations')
      .option(
        '--at <version|time>',
        'coco/yolo: the annotations as they were at a version of the task, or a time',
      ),
  ).action((options: ExportOptions, command: Command) =>
    withWorkspace(command, async ({ ws, out, dataset }) => {
      const ds = await dataset(options.dataset);
      const selection = selectionFrom(options);
      const target = options.out && resolve(options.out);
      const needsOut = () => {
        if (!target) throw new WinnowError('invalid_argument', `--format ${options.format} needs --out`);
        return target;
      };
      switch (options.format) {
        case 'filenames': {
          if (!['relative', 'absolute', 'url'].includes(options.paths)) {
            throw new WinnowError(
              'invalid_argument',
              `--paths '${options.paths}': use relative, absolute or url`,
            );
          }
          const files = await exportFilenames(ws, ds, selection, options.paths);
          if (target) writeFileSync(target, files.length ? `${files.join('\n')}\n` : '');
          if (target || out.json)
            out.result(
              { count: files.length, out: target, files: target ? undefined : files },
              (r) => `${r.count} filenames written to ${r.out}`,
            );
          else if (files.length) process.stdout.write(`${files.join('\n')}\n`);
          return;
        }
        case 'csv':
        case 'json': {
          const count = await exportSamples(ws, ds, selection, {
            format: options.format,
            file: needsOut(),
            columns: options.columns?.split(',').map((c) => c.trim()),
          });
          return out.result({ count, out: target }, (r) => `${r.count} samples written to ${r.out}`);
        }
        case 'coco': {
          const written = await exportCoco(ws, ds, selection, { ...labelOptions(options), file: needsOut() });
          return out.result(
            { ...written, out: target },
            (r) => `${r.images} images, ${r.annotations} boxes written to ${r.out}`,
          );
        }
        case 'yolo': {
          const written = await exportYolo(ws, ds, selection, { ...labelOptions(options), dir: needsOut() });
          return out.result(
            { ...written, out: target },
            (r) => `${r.files} label files, ${r.boxes} boxes written to ${r.out}`,
          );
        }
        default:
          throw new WinnowError(
            'invalid_argument',
            `--format '${options.format}': use filenames, csv, json, coco or yolo`,
          );
      }
    }),
  );
}
