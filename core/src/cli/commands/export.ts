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
import { printable } from '../output.js';

interface ExportOptions extends SelectionOptions {
  dataset: string;
  format: 'filenames' | 'csv' | 'json' | 'coco' | 'yolo';
  paths: FilenameForm;
  columns?: string;
  out?: string;
  task?: string;
  labels: 'predictions' | 'annotations';
  at?: string;
  null?: boolean;
}

/**
 * Filenames one per line, or each ended by a NUL with `nul`. A name holding a line break would
 * read back as two: refused one per line, naming it, with the way that takes any name.
 */
function filenameList(files: readonly string[], nul = false): string {
  if (nul) return files.map((file) => `${file}\0`).join('');
  const broken = files.find((file) => /[\n\r]/.test(file));
  if (broken !== undefined) {
    throw new WinnowError(
      'invalid_input',
      `sample '${broken}' has a line break in its filename, so one filename per line cannot hold it: use --null (NUL-separated, like find -print0)`,
    );
  }
  return files.length ? `${files.join('\n')}\n` : '';
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
      .option(
        '--null',
        'filenames: end each with a NUL instead of a line break (like find -print0), for any name',
      )
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
          if (target) writeFileSync(target, filenameList(files, options.null));
          if (target || out.json)
            out.result(
              { count: files.length, out: target, files: target ? undefined : files },
              (r) => `${r.count} filenames written to ${r.out}`,
            );
          else if (options.null || !process.stdout.isTTY)
            process.stdout.write(filenameList(files, options.null));
          // On a terminal a person reads them: a hostile name shows its escapes instead of acting on them.
          else process.stdout.write(filenameList(files.map(printable), false));
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
