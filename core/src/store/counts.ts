import type { Database } from './db.js';

/** What a dataset holds, by kind and health; removed samples are counted apart. */
export interface SampleCounts {
  samples: number;
  images: number;
  videos: number;
  corrupt: number;
  /** Readable files whose extension does not match their content. */
  misnamed: number;
  removed: number;
}

export async function sampleCounts(db: Database, datasetId: number): Promise<SampleCounts> {
  return (await db.one<SampleCounts>(
    `SELECT count(*) FILTER (WHERE status <> 'removed') AS samples,
       count(*) FILTER (WHERE status <> 'removed' AND kind = 'image') AS images,
       count(*) FILTER (WHERE status <> 'removed' AND kind = 'video') AS videos,
       count(*) FILTER (WHERE status = 'corrupt') AS corrupt,
       count(*) FILTER (WHERE status = 'ok' AND reason IS NOT NULL) AS misnamed,
       count(*) FILTER (WHERE status = 'removed') AS removed
     FROM winnow.samples WHERE dataset_id = ?`,
    [datasetId],
  ))!;
}
