import { parseRequest } from '../contract/parse.js';
import { CombineRequest, ExportRequest, RenameRequest, TagSelectionRequest } from '../contract/requests.js';
import { WinnowError } from '../errors.js';
import { runExport } from '../export/run.js';
import type { QuerySlots } from '../query/slots.js';
import type { openDatasetStorage } from '../storage/open.js';
import { verifyDataset } from '../storage/verify.js';
import { workspaceInfo } from '../store/info.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { tagDetail } from '../tags/detail.js';
import { Tags } from '../tags/tags.js';
import { type RequestContext, type Route, route } from './http.js';
import { fromView } from './origin.js';
import { answerQuery } from './query-answer.js';

/** What the command routes share with the rest of the API: user-query turns and opened storage. */
export interface CommandRouteNeeds {
  userQueries: QuerySlots;
  inTurn<T>(sql: unknown, work: () => Promise<T>): Promise<T>;
  storageOf(dataset: Dataset): ReturnType<typeof openDatasetStorage>;
}

/**
 * The routes the `winnow` command uses when a server holds the workspace (a command of its own
 * for each: info, query without a dataset, the tag subcommands, export, datasource verify). Each
 * answers the very result the command computes in its own process, so its printing is the same.
 */
export function commandRoutes(ws: Workspace, needs: CommandRouteNeeds): Route[] {
  const dataset = (context: RequestContext) => ws.dataset(decodeURIComponent(context.params.dataset!));
  const tags = async (context: RequestContext) => new Tags(ws, await dataset(context));
  const tagName = (context: RequestContext) => decodeURIComponent(context.params.tag!);
  return [
    route('GET', '/api/info', async () => workspaceInfo(ws)),
    route('GET', '/api/datasets/:dataset/info', async (context) =>
      workspaceInfo(ws, (await dataset(context)).name),
    ),
    route('POST', '/api/query', async (context) =>
      answerQuery(ws, context, needs.userQueries, async (named) =>
        named === undefined ? undefined : ws.dataset(named),
      ),
    ),
    route('GET', '/api/datasets/:dataset/tags/:tag', async (context) =>
      tagDetail(await tags(context), tagName(context), {
        at: context.query.get('at') ?? undefined,
        files: context.query.get('files') === 'true',
      }),
    ),
    ...(['add', 'remove'] as const).map((verb) =>
      route('POST', `/api/datasets/:dataset/tags/:tag/${verb}`, async (context) => {
        const { selection } = parseRequest(TagSelectionRequest, await context.json());
        return needs.inTurn(selection?.sql, async () =>
          (await tags(context))[verb](tagName(context), selection),
        );
      }),
    ),
    route('POST', '/api/datasets/:dataset/tags/:tag/combine', async (context) => {
      const { operation, sources } = parseRequest(CombineRequest, await context.json());
      return (await tags(context)).combine(tagName(context), operation, sources);
    }),
    route('POST', '/api/datasets/:dataset/tags/:tag/rename', async (context) =>
      (await tags(context)).rename(tagName(context), parseRequest(RenameRequest, await context.json()).name),
    ),
    route('DELETE', '/api/datasets/:dataset/tags/:tag', async (context) =>
      (await tags(context)).delete(tagName(context)),
    ),
    route('POST', '/api/datasets/:dataset/export', async (context) => {
      const request = parseRequest(ExportRequest, await context.json());
      // An export writes files where it is told: the user's own clients may ask, a page in the browser may not.
      if (fromView(context.request) && request.out !== undefined) {
        throw new WinnowError('permission_denied', 'out: a view cannot have the server write files');
      }
      return needs.inTurn(request.selection?.sql, async () => runExport(ws, await dataset(context), request));
    }),
    route('POST', '/api/datasets/:dataset/verify', async (context) => {
      const { input, work } = await needs.storageOf(await dataset(context));
      return verifyDataset(input, work.storage);
    }),
  ];
}
