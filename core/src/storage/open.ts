import { mkdirSync } from 'node:fs';
import { LocalStorage } from './local.js';
import { formatLocation, type Location, parseLocation } from './location.js';
import { checkOptions, type DatasourceOptions, type Secrets } from './options.js';
import type { ReadableStorage, StorageKind, WritableStorage } from './types.js';
import { WorkArea } from './work.js';

/** A datasource as the workspace stores it: where, and how to reach it (references only). */
export interface DatasourceRef {
  kind: StorageKind;
  uri: string;
  options?: DatasourceOptions;
}

/** The datasource a location string names, its options checked. */
export function datasourceRef(location: string, options: DatasourceOptions = {}): DatasourceRef {
  const parsed = parseLocation(location);
  return { kind: parsed.kind, uri: formatLocation(parsed), options: checkOptions(options) };
}

/**
 * Opens a datasource with the adapter for its kind. The cloud SDKs load only when a bucket is
 * opened. `create` makes a missing local folder (a work location); buckets must exist.
 */
export async function openStorage(
  source: DatasourceRef,
  context: { secrets?: Secrets; create?: boolean } = {},
): Promise<WritableStorage> {
  const location = parseLocation(source.uri);
  const options = checkOptions(source.options);
  return openLocation(location, options, context.secrets ?? {}, context.create ?? false);
}

async function openLocation(
  location: Location,
  options: DatasourceOptions,
  secrets: Secrets,
  create: boolean,
): Promise<WritableStorage> {
  switch (location.kind) {
    case 'local':
      if (create) mkdirSync(location.path, { recursive: true });
      return new LocalStorage(location.path);
    case 's3':
    case 'obs': {
      const { S3Storage } = await import('./s3.js');
      return new S3Storage(location, options, secrets);
    }
    case 'gcs': {
      const { GcsStorage } = await import('./gcs.js');
      return new GcsStorage(location, options, secrets);
    }
    case 'azure': {
      const { AzureStorage } = await import('./azure.js');
      return new AzureStorage(location, options, secrets);
    }
  }
}

/** Secrets handed over in memory for a dataset's two locations. */
export interface DatasetSecrets {
  input?: Secrets;
  work?: Secrets;
}

/** A work location's `.winnow/` (a local work folder is created when missing). */
export async function openWorkArea(work: DatasourceRef, secrets?: Secrets): Promise<WorkArea> {
  return new WorkArea(await openStorage(work, { secrets, create: true }));
}

/** A dataset's input, opened for reading only, and its work location's `.winnow/`. */
export async function openDatasetStorage(
  dataset: { input: DatasourceRef; work: DatasourceRef },
  secrets: DatasetSecrets = {},
): Promise<{ input: ReadableStorage; work: WorkArea }> {
  const [input, work] = await Promise.all([
    openStorage(dataset.input, { secrets: secrets.input }),
    openWorkArea(dataset.work, secrets.work),
  ]);
  return { input, work };
}
