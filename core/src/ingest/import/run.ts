import { IMPORT_SOURCES, type ImportSource } from '../../contract/jobs.js';
import { type Progress, WinnowError } from '../../errors.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
import { importCoco } from './coco.js';
import type { ImportSummary } from './common.js';
import { importEmbeddings } from './embeddings.js';
import { importLightlyMetadata, importLightlyPredictions } from './lightly.js';
import { importMetadataTable } from './tables.js';
import { importYolo } from './yolo.js';

export type { ImportSource } from '../../contract/jobs.js';

/** Imports one source into a dataset (all or nothing: a bad record imports nothing). */
export async function runImport(
  ws: Workspace,
  dataset: Dataset,
  source: ImportSource,
  progress: { signal?: AbortSignal; onProgress?: (progress: Progress) => void } = {},
): Promise<ImportSummary> {
  const given = IMPORT_SOURCES.filter((name) => source[name] !== undefined);
  if (given.length !== 1) {
    throw new WinnowError(
      'invalid_argument',
      'give exactly one of --yolo, --coco, --lightly-metadata, --lightly-predictions, --metadata, --embeddings',
    );
  }
  const as = source.as ?? 'predictions';
  if (as !== 'predictions' && as !== 'annotations') {
    throw new WinnowError('invalid_argument', `--as '${as}': use predictions or annotations`);
  }
  const labels = { ...progress, as, task: source.task };
  if (source.yolo !== undefined) {
    if (!source.classes) throw new WinnowError('invalid_argument', '--yolo needs --classes <file>');
    return importYolo(ws, dataset, source.yolo, { ...labels, classes: source.classes });
  }
  if (source.coco !== undefined) return importCoco(ws, dataset, source.coco, labels);
  if (source.lightlyMetadata !== undefined)
    return importLightlyMetadata(ws, dataset, source.lightlyMetadata, progress);
  if (source.lightlyPredictions !== undefined) {
    return importLightlyPredictions(ws, dataset, source.lightlyPredictions, progress);
  }
  if (source.embeddings !== undefined) {
    const { model, filenames, key } = source;
    return importEmbeddings(ws, dataset, source.embeddings, { ...progress, model, filenames, key });
  }
  return importMetadataTable(ws, dataset, source.metadata!, { ...progress, key: source.key });
}
