export * from './errors.js';
export { Database, type Row, type SqlParam } from './store/db.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from './store/migrations.js';
export { type Dataset, type Datasource, Workspace } from './store/workspace.js';
export { LocalStorage } from './storage/local.js';
export type { FileEntry, Storage } from './storage/types.js';
export * from './ingest/index.js';
