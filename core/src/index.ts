export * from './errors.js';
export * from './ingest/index.js';
export { LocalStorage } from './storage/local.js';
export type { FileEntry, Storage } from './storage/types.js';
export { Database, type Row, type SqlParam } from './store/db.js';
export { MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from './store/migrations.js';
export { type Dataset, type Datasource, Workspace } from './store/workspace.js';
