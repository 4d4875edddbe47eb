import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { WinnowError } from '../../errors.js';
import type { FilenameForm } from '../../export/export.js';
import { type ExportRequest, type ExportResult, runExport } from '../../export/run.js';
import { addSelectionOptions, runOperation, type SelectionOptions, selectionFrom } from '../context.js';
import { type Output, printable } from '../output.js';

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

export function registerExport(program: Command): void {
  addSelectionOptions(
    program
      .command('export')
      .description('write the chosen samples as filenames, CSV or JSON, or their labels as COCO or YOLO')
      .requiredOption('--dataset <name>', 'the dataset to export from')
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
  ).action((options: ExportOptions, command: Command) => {
    const request: ExportRequest = {
      format: options.format,
      selection: selectionFrom(options),
      paths: options.paths,
      columns: options.columns?.split(',').map((c) => c.trim()),
      // Resolved here: a server runs in a folder of its own.
      out: options.out && resolve(options.out),
      task: options.task,
      labels: options.labels,
      at: options.at,
    };
    return runOperation<ExportResult>(
      command,
      {
        local: async ({ ws, dataset }) => runExport(ws, await dataset(options.dataset), request),
        remote: ({ client }) => client.export(options.dataset, request),
      },
      (result, out) => printExport(result, out, request.out, options.null),
    );
  });
}

/** Filenames go to `target`, or to stdout; everything else says what was written where. */
function printExport(result: ExportResult, out: Output, target: string | undefined, nul?: boolean): void {
  switch (result.format) {
    case 'filenames': {
      const { files } = result;
      if (target) writeFileSync(target, filenameList(files, nul));
      if (target || out.json)
        out.result(
          { count: files.length, out: target, files: target ? undefined : files },
          (r) => `${r.count} filenames written to ${r.out}`,
        );
      else if (nul || !process.stdout.isTTY) process.stdout.write(filenameList(files, nul));
      // On a terminal a person reads them: a hostile name shows its escapes instead of acting on them.
      else process.stdout.write(filenameList(files.map(printable), false));
      return;
    }
    case 'csv':
    case 'json': {
      const { format: _, ...written } = result;
      out.result(written, (r) => `${r.count} samples written to ${r.out}`);
      return;
    }
    case 'coco': {
      const { format: _, ...written } = result;
      out.result(written, (r) => `${r.images} images, ${r.annotations} boxes written to ${r.out}`);
      return;
    }
    case 'yolo': {
      const { format: _, ...written } = result;
      out.result(written, (r) => `${r.files} label files, ${r.boxes} boxes written to ${r.out}`);
    }
  }
}
