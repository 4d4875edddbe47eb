import { ApiError } from './api.js';
import type { Mounted, ViewContext } from './state.js';

/** How long to wait before asking again when the server did not answer (restarting, the kernel reconnecting). */
const RETRY_MS = 2000;

/**
 * Keeps a view's selection and its dataset's live selection in the server the same
 * (docs/server.md, "The live selection"): the user's changes are PUT with the view's name as
 * their source, and the server's (another view's lasso, a notebook, the command line) are
 * followed with a long poll (`?after=VERSION`), since a view's transport carries requests only.
 * A view follows the changes made once it is open; it starts with nothing selected.
 */
export function syncSelection(ctx: ViewContext, source: string): Mounted {
  const { api, dataset, state } = ctx;
  let disposed = false;
  /** The newest version this view has shown or written. */
  let known = -1;
  /** PUTs in flight: a change the poll brings meanwhile is older than the user's own. */
  let writing = 0;
  let applying = false;

  const stop = state.on('selection', () => {
    if (applying) return;
    writing++;
    api
      .setSelection(dataset, state.selection, source)
      .then((answer) => {
        known = Math.max(known, answer.version);
      })
      // The view keeps its own selection; the next change, or the server's, is tried again.
      .catch(() => undefined)
      .finally(() => writing--);
  });

  const follow = async () => {
    let after: number | undefined;
    while (!disposed) {
      try {
        const answer = await api.selection(dataset, after);
        if (disposed) return;
        // The first answer only says where the view starts: it shows no selection made before it
        // opened. A version behind ours is a restarted server's count, to follow from now on.
        if (after === undefined || answer.version < known) known = answer.version;
        else if (writing === 0 && answer.version > known) {
          known = answer.version;
          show(answer.sample_ids);
        }
        after = Math.max(known, answer.version);
      } catch (error) {
        // A refusal (a server or relay without the route, a dataset gone) does not mend itself.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  };

  const show = (ids: number[]) => {
    if (sameIds(state.selection, ids)) return;
    applying = true;
    try {
      state.set('selection', Int32Array.from(ids));
    } finally {
      applying = false;
    }
  };

  void follow();
  return {
    dispose() {
      disposed = true;
      stop();
    },
  };
}

/** Whether the selection holds just the (sorted, distinct) `ids`, in whatever order. */
function sameIds(selection: Int32Array, ids: number[]): boolean {
  const sorted = [...new Set(selection)].sort((a, b) => a - b);
  return sorted.length === ids.length && sorted.every((id, i) => id === ids[i]);
}
