import type { Api } from './api.js';

export interface StateChange {
  where: string;
  selection: Int32Array;
  focus: number | null;
  colorBy: string | null;
}

/**
 * What the views of one mounted widget share: the query, the selected samples, the sample open in
 * the detail panel and the colour field. Views listen for `change` events and read what they need.
 */
export class ViewState extends EventTarget {
  where = '';
  selection = new Int32Array(0);
  focus: number | null = null;
  colorBy: string | null = null;

  set<K extends keyof StateChange>(key: K, value: StateChange[K]): void {
    if (this[key] === value) return;
    (this as StateChange)[key] = value;
    this.dispatchEvent(new CustomEvent('change', { detail: key }));
  }

  /** Calls `listener` when `key` changes; returns the function that stops listening. */
  on(key: keyof StateChange, listener: () => void): () => void {
    const handler = (event: Event) => {
      if ((event as CustomEvent).detail === key) listener();
    };
    this.addEventListener('change', handler);
    return () => this.removeEventListener('change', handler);
  }
}

export interface ViewContext {
  api: Api;
  dataset: string;
  state: ViewState;
}

export interface Mounted {
  dispose(): void;
}
