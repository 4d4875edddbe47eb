// The messages between the panel's webview and the extension host (postMessage). Types only:
// both sides import them, the webview bundle and the extension host's.

export type ViewKind = 'scatter' | 'grid' | 'label';

/** What the panel shows: a view of a dataset, over the samples of a tag when one is given. */
export interface Shown {
  dataset: string;
  view: ViewKind;
  tag?: string;
}

/** The webview's requests: the views' API requests to relay, and what the panel shows now. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'request'; id: number; method: string; path: string; body?: unknown }
  | { type: 'shown'; shown: Shown | null };

/** The extension host's: each relayed answer (its bytes as they came), the datasets, what to show. */
export type ToWebview =
  | { type: 'response'; id: number; status: number; contentType: string; body: Uint8Array }
  | { type: 'datasets'; names: string[]; error?: string }
  | { type: 'show'; shown: Shown };
