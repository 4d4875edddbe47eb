import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ServerClient } from '../client/server-client.js';
import { WinnowError } from '../errors.js';
import type { Filter } from '../query/filter.js';
import { type Selection, selectionSource } from '../query/selection.js';
import { findRunning, findUsable, type RuntimeInfo } from '../server/runtime.js';
import { WorkspaceInUse } from '../store/db.js';
import type { Dataset } from '../store/workspace.js';
import { Workspace } from '../store/workspace.js';
import { Output } from './output.js';

export interface GlobalOptions {
  workspace?: string;
  json?: boolean;
  debug?: boolean;
}

export interface CommandContext {
  ws: Workspace;
  out: Output;
  signal: AbortSignal;
  dataset(name: string | undefined): Promise<Dataset>;
}

export function workspaceDir(options: GlobalOptions): string {
  return resolve(options.workspace ?? process.env.WINNOW_WORKSPACE ?? '.winnow');
}

/** For `withWorkspace`: the command makes the workspace when it does not exist yet. */
export const CREATES_WORKSPACE = { create: true } as const;

/** What a command's operation gets when a server runs for the workspace: a client of it. */
export interface RemoteContext {
  client: ServerClient;
  server: RuntimeInfo;
  out: Output;
  signal: AbortSignal;
}

/**
 * A command's work, done by whoever owns the workspace: `local` opens it in this process (no
 * server runs), `remote` asks the workspace's running server. Both return the same result, which
 * the command prints the same way, so its output and exit code do not depend on which ran.
 */
export interface Operation<T> {
  local(context: CommandContext): Promise<T>;
  remote(context: RemoteContext): Promise<T>;
}

/**
 * Runs a command's operation through the workspace's running server when there is one (found in
 * about 2 ms; one of another version or other settings is refused, saying how to stop it), else
 * with the workspace open here (see withWorkspace); then `print`s its result.
 */
export async function runOperation<T>(
  command: Command,
  operation: Operation<T>,
  print: (result: T, out: Output) => void,
  options: { create?: boolean } = {},
): Promise<void> {
  const dir = workspaceDir(command.optsWithGlobals<GlobalOptions>());
  const server = await findUsable(dir);
  if (!server)
    return withWorkspace(
      command,
      async (context) => print(await operation.local(context), context.out),
      options,
    );
  await withInterrupt(command, async (out, signal) => {
    const result = await operation.remote({ client: new ServerClient(server), server, out, signal });
    print(result, out);
  });
}

/** Runs `body` with Ctrl-C wired to cancellation: the first aborts its signal, a second exits at once. */
async function withInterrupt(
  command: Command,
  body: (out: Output, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const out = new Output(Boolean(command.optsWithGlobals<GlobalOptions>().json));
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    out.warn('cancelling… (Ctrl-C again to exit now)');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  try {
    await body(out, controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/**
 * Runs a command's body with the workspace open and Ctrl-C wired to cancellation (a second
 * Ctrl-C exits at once). The workspace is closed however the body ends. Only the commands that
 * make a dataset (ingest, demo) or serve one to clients create a missing workspace; the others
 * fail naming it, so a mistyped --workspace never leaves a new one behind. When a Winnow server
 * holds the workspace, the failure names it and how to stop it.
 */
export async function withWorkspace(
  command: Command,
  body: (context: CommandContext) => Promise<void>,
  options: { create?: boolean } = {},
): Promise<void> {
  const dir = workspaceDir(command.optsWithGlobals<GlobalOptions>());
  const ws = await Workspace.open(dir, { create: options.create ?? false }).catch(async (error) => {
    throw error instanceof WorkspaceInUse ? await servedOrInUse(dir, error) : error;
  });
  try {
    await withInterrupt(command, (out, signal) =>
      body({
        ws,
        out,
        signal,
        dataset: (name) => {
          if (!name) throw new WinnowError('invalid_argument', '--dataset is required');
          return ws.dataset(name);
        },
      }),
    );
  } finally {
    ws.close();
  }
}

/** `error`, or, when the process holding the workspace is its Winnow server, an error naming that server. */
async function servedOrInUse(dir: string, error: WorkspaceInUse): Promise<WorkspaceInUse> {
  const server = await findRunning(dir);
  return server?.pid === error.holderPid ? new WorkspaceServed(dir, server) : error;
}

/** Parses a numeric option so that a bad value fails the command instead of becoming NaN. */
function numberParser(integer: boolean, zero: boolean): (value: string) => number {
  return (value) => {
    const number = Number(value);
    const valid = integer ? Number.isSafeInteger(number) : Number.isFinite(number);
    if (!valid || number < 0 || (number === 0 && !zero))
      throw new InvalidArgumentError(
        `expected a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}`,
      );
    return number;
  };
}

export const positiveInteger = numberParser(true, false);
export const positiveNumber = numberParser(false, false);
export const nonNegativeInteger = numberParser(true, true);
export const nonNegativeNumber = numberParser(false, true);

/** The repeatable `key=value` options that say how to reach a dataset's input and work locations. */
export interface StorageFlags {
  storage: string[];
  workStorage: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addStorageOptions(command: Command): Command {
  return command
    .option(
      '--storage <key=value>',
      'how to reach the input (repeatable): endpoint=URL, region=R, path-style, profile=P, access-key-env=VAR, ' +
        'secret-key-env=VAR, session-token-env=VAR, role-arn=ARN, external-id=ID, sts-endpoint=URL, credentials-file=F, project-id=P, ' +
        'sas-token-env=VAR, connection-string-env=VAR, account-key-env=VAR (see docs/storage.md)',
      collect,
      [],
    )
    .option(
      '--work-storage <key=value>',
      'how to reach the work location (default: like the input, on the same provider)',
      collect,
      [],
    );
}

export interface SelectionOptions {
  all?: boolean;
  tag?: string;
  filter?: string;
  sql?: string;
  files?: string;
  run?: string;
}

/** The options that choose samples, shared by tag and export. */
export function addSelectionOptions(command: Command): Command {
  return command
    .option('--all', 'all samples of the dataset')
    .option('--tag <name>', 'the samples of a tag')
    .option('--filter <json>', 'a structured filter as JSON (see docs/query.md), or @file.json')
    .option('--sql <select>', 'read-only SQL returning sample_id or filename')
    .option('--files <file>', 'a text file with one filename per line (relative or absolute; - for stdin)')
    .option('--run <run_id>', 'the samples a run produced');
}

export function selectionFrom(options: SelectionOptions): Selection {
  const { all, tag, sql, run } = options;
  const selection: Selection = { all, tag, sql, run };
  if (options.filter !== undefined) selection.filter = parseJsonOption('--filter', options.filter) as Filter;
  if (options.files !== undefined) {
    const text = readFileSync(options.files === '-' ? 0 : options.files, 'utf8');
    selection.files = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  }
  selectionSource(selection);
  return selection;
}

/**
 * `path` as the server must get it: absolute when it names a file or folder here (a server runs
 * in a folder of its own), as given otherwise (a model's name, a bucket URL).
 */
export function localFile(path: string): string {
  return existsSync(path) ? resolve(path) : path;
}

export function parseJsonOption(option: string, value: string): unknown {
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WinnowError('invalid_argument', `${option}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The workspace is held by its own Winnow server, and this command does not go through it: a
 * WorkspaceInUse (serve's race for the workspace still recognises it) that names the server and
 * how to stop it, rather than DuckDB's lock.
 */
export class WorkspaceServed extends WorkspaceInUse {
  constructor(dir: string, server: RuntimeInfo) {
    super(dir, server.pid, undefined);
    this.message = `workspace ${dir} is served by a Winnow server (pid ${server.pid}, ${server.url}) and this command cannot run through it: stop it with \`winnow serve --stop\` (or close the notebook's kernel) and run it again`;
  }
}
