import { makeThumbnail } from '../embed/preprocess.js';
import { WinnowError } from '../errors.js';
import type { ReadableStorage } from '../storage/types.js';
import type { WorkArea } from '../storage/work.js';
import type { Dataset, Workspace } from '../store/workspace.js';

/** The longest side of a thumbnail made on request: the size embed makes them at. */
const THUMBNAIL_SIZE = 256;

/**
 * Thumbnails for the grid and the scatter's hover: embed makes them, and a sample not embedded yet
 * gets one made on its first request (an image only: a video's poster frame needs ffmpeg, which
 * embed runs). Samples known to have one are remembered, so a grid page costs no existence check.
 */
export class Thumbnails {
  private readonly known = new Set<string>();

  constructor(private readonly ws: Workspace) {}

  /** The thumbnail's path in the work area, made now when there is none. */
  async ensure(dataset: Dataset, sampleId: number, input: ReadableStorage, work: WorkArea): Promise<string> {
    const path = `thumbnails/${sampleId}.jpg`;
    const key = `${dataset.id}/${sampleId}`;
    if (this.known.has(key) || (await work.exists(path))) {
      this.known.add(key);
      return path;
    }
    const sample = await this.ws.db.one<{ path: string; kind: string }>(
      "SELECT path, kind FROM winnow.samples WHERE dataset_id = ? AND sample_id = ? AND status = 'ok'",
      [dataset.id, sampleId],
    );
    if (sample?.kind !== 'image') {
      throw new WinnowError(
        'not_found',
        sample
          ? `sample ${sampleId} is a ${sample.kind}: its thumbnail comes with winnow embed`
          : `dataset '${dataset.name}' has no readable sample ${sampleId}`,
      );
    }
    const thumbnail = await makeThumbnail(await input.read(sample.path), THUMBNAIL_SIZE, sample.path);
    await work.write(path, thumbnail, 'image/jpeg');
    this.known.add(key);
    return path;
  }
}
