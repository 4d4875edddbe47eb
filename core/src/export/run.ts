import type { ExportRequest } from '../contract/requests.js';
import { WinnowError } from '../errors.js';
import { parseAt } from '../store/history.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { exportCoco, exportFilenames, exportSamples, exportYolo } from './export.js';

export const EXPORT_FORMATS = ['filenames', 'csv', 'json', 'coco', 'yolo'] as const;

/** What `winnow export` asks for (and POST /api/datasets/:dataset/export takes). */
export type { ExportRequest } from '../contract/requests.js';

/**
 * What an export did: the filenames themselves (whoever asked writes them where it wants), or
 * what it wrote to `out`.
 */
export type ExportResult =
  | { format: 'filenames'; files: string[] }
  | { format: 'csv' | 'json'; count: number; out: string }
  | { format: 'coco'; images: number; annotations: number; out: string }
  | { format: 'yolo'; files: number; boxes: number; out: string };

export async function runExport(
  ws: Workspace,
  dataset: Dataset,
  request: ExportRequest,
): Promise<ExportResult> {
  const { format, selection } = request;
  const out = () => {
    if (!request.out) throw new WinnowError('invalid_argument', `--format ${format} needs --out`);
    return request.out;
  };
  switch (format) {
    case 'filenames': {
      const paths = request.paths ?? 'relative';
      if (!['relative', 'absolute', 'url'].includes(paths)) {
        throw new WinnowError('invalid_argument', `--paths '${paths}': use relative, absolute or url`);
      }
      return { format, files: await exportFilenames(ws, dataset, selection, paths) };
    }
    case 'csv':
    case 'json': {
      const file = out();
      const count = await exportSamples(ws, dataset, selection, { format, file, columns: request.columns });
      return { format, count, out: file };
    }
    case 'coco': {
      const file = out();
      return {
        format,
        ...(await exportCoco(ws, dataset, selection, { ...labelOptions(request), file })),
        out: file,
      };
    }
    case 'yolo': {
      const dir = out();
      return {
        format,
        ...(await exportYolo(ws, dataset, selection, { ...labelOptions(request), dir })),
        out: dir,
      };
    }
    default:
      throw new WinnowError(
        'invalid_argument',
        `--format '${format}': use ${EXPORT_FORMATS.slice(0, -1).join(', ')} or ${EXPORT_FORMATS.at(-1)}`,
      );
  }
}

function labelOptions(request: ExportRequest) {
  const labels = request.labels ?? 'annotations';
  if (labels !== 'predictions' && labels !== 'annotations') {
    throw new WinnowError('invalid_argument', `--labels '${labels}': use predictions or annotations`);
  }
  return { task: request.task, source: labels, at: parseAt(request.at) };
}
