import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBValue,
} from '@duckdb/node-api';
import { firstLineOf, WinnowError } from '../errors.js';

export type SqlParam = string | number | boolean | null;
export type Row = Record<string, unknown>;

/** Column types a staging table may have; richer types are built from these in SQL. */
export type StageType = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'BIGINT' | 'BOOLEAN';

const INSTANCE_OPTIONS = {
  // A query must never fetch or load code: extensions are neither installed nor loaded on demand.
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  // Joins whose small side has up to this many keys become an IN filter on the large side's
  // scan: fetching a page of 100 filenames then skips the hash join over every sample.
  dynamic_or_filter_threshold: '256',
};

/** The workspace's database is open in another process (DuckDB holds its lock). */
export class WorkspaceInUse extends WinnowError {
  constructor(
    path: string,
    readonly holderPid: number,
    cause: unknown,
  ) {
    super(
      'io',
      `workspace database ${path} is in use by another process (PID ${holderPid}): one process opens a workspace at a time`,
      { cause },
    );
  }
}

/**
 * One DuckDB file with the one connection that writes to it. DuckDB has one transaction per
 * connection, so callers take turns: a statement or a whole transaction runs alone, and calls
 * made from inside a transaction (the same async context) run within it, not after it.
 */
export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  /** Set in the async context that holds the connection. */
  private readonly holder = new AsyncLocalStorage<true>();
  private readonly openStages = new Map<string, Stage>();

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(
    path: string,
    options: { threads?: number; memoryLimit?: string } = {},
  ): Promise<Database> {
    const config: Record<string, string> = { ...INSTANCE_OPTIONS };
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (error) {
      if (/Failed to set config/.test(firstLineOf(error))) {
        throw new WinnowError(
          'invalid_argument',
          `DuckDB refused threads=${options.threads ?? 'default'} or memory limit '${options.memoryLimit ?? 'default'}' (give a count, and a size such as 4GB)`,
        );
      }
      const holder = /Conflicting lock is held in .*?\(PID (\d+)\)/.exec(firstLineOf(error))?.[1];
      if (holder) throw new WorkspaceInUse(path, Number(holder), error);
      throw new WinnowError('io', `cannot open workspace database ${path}: ${firstLineOf(error)}`, {
        cause: error,
      });
    }
    const connection = await instance.connect();
    // TIMESTAMP columns take now() as wall time in the session's zone; JavaScript reads them as UTC.
    await connection.run("SET GLOBAL TimeZone = 'UTC'");
    return new Database(path, instance, connection);
  }

  /** A further connection to the same database, for work that must not share the writer's transaction. */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  all<T = Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.exclusive(async () => {
      const reader = await this.connection.runAndReadAll(sql, params as DuckDBValue[]);
      return reader.getRowObjectsJS().map((row) => plainRow(row) as T);
    });
  }

  async one<T = Row>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async value<T = unknown>(sql: string, params: readonly SqlParam[] = []): Promise<T> {
    const row = await this.one(sql, params);
    return (row ? Object.values(row)[0] : undefined) as T;
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<void> {
    return this.exclusive(async () => {
      await this.connection.run(sql, params as DuckDBValue[]);
    });
  }

  /** Runs `work` in one transaction: all of it is stored, or none of it. */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.holder.getStore()) return work();
    return this.exclusive(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const result = await work();
        await this.connection.run('COMMIT');
        return result;
      } catch (error) {
        await this.connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Runs `work` when the connection is free (at once when this context already holds it). */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.holder.getStore()) return work();
    const next = this.queue.then(() => this.holder.run(true, work));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * A temporary table filled through DuckDB's appender: the fast way to move many rows from
   * JavaScript into SQL, where they are merged into the real tables set-wise.
   */
  async stage(name: string, columns: Record<string, StageType>): Promise<Stage> {
    // An appender left open (its filler failed) would flush into the new table of that name.
    this.openStages.get(name)?.close();
    const columnSql = Object.entries(columns)
      .map(([column, type]) => `${column} ${type}`)
      .join(', ');
    await this.run(`CREATE OR REPLACE TEMP TABLE ${name} (${columnSql})`);
    const appender = await this.exclusive(() => this.connection.createAppender(name, 'main', 'temp'));
    const stage = new Stage(name, Object.values(columns), appender, this, () => this.openStages.delete(name));
    this.openStages.set(name, stage);
    return stage;
  }

  /** Runs `work` with the writer connection to itself, for bulk reads and writes of typed arrays. */
  withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.exclusive(() => work(this.connection));
  }

  /** How many statements DuckDB's parser finds in `sql` (without running any). */
  countStatements(sql: string): Promise<number> {
    return this.exclusive(async () => (await this.connection.extractStatements(sql)).count);
  }

  close(): void {
    for (const stage of this.openStages.values()) stage.close();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

export class Stage {
  private pending = 0;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly types: readonly StageType[],
    private readonly appender: DuckDBAppender,
    private readonly db: Database,
    private readonly onClose: () => void,
  ) {}

  append(values: readonly unknown[]): void {
    for (let i = 0; i < this.types.length; i++) appendValue(this.appender, this.types[i]!, values[i]);
    this.appender.endRow();
    if (++this.pending >= 50_000) this.flush();
  }

  flush(): void {
    this.appender.flushSync();
    this.pending = 0;
  }

  /** Flushes the rows appended so far; the table stays for the SQL that merges it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.appender.closeSync();
  }

  async drop(): Promise<void> {
    await this.db.run(`DROP TABLE IF EXISTS temp.${this.name}`);
  }
}

function appendValue(appender: DuckDBAppender, type: StageType, value: unknown): void {
  if (value === null || value === undefined) appender.appendNull();
  else if (type === 'VARCHAR') appender.appendVarchar(String(value));
  else if (type === 'DOUBLE') appender.appendDouble(Number(value));
  else if (type === 'INTEGER') appender.appendInteger(Number(value));
  else if (type === 'BIGINT') appender.appendBigInt(BigInt(value as number));
  else appender.appendBoolean(Boolean(value));
}

/** DuckDB returns BIGINT as bigint; every count and id here fits a double. */
function plainRow(row: Record<string, unknown>): Row {
  for (const key of Object.keys(row)) row[key] = plainValue(row[key]);
  return row;
}

function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}

/** Quotes a string as an SQL literal, for the few statements that take no parameters. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
