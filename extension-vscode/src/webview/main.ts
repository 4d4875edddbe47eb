// The panel's page: a dataset picker and a view switch (VS Code Elements controls), and the
// notebook's views of @winnow-curate/widgets below them, every request through the extension host.
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { Api, type MountedView, mountView } from '@winnow-curate/widgets';
import type { FromWebview, Shown, ToWebview, ViewKind } from '../panel/messages.js';
import { PostMessageTransport } from './post-message-transport.js';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): Shown | undefined;
  setState(state: Shown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SelectElement extends HTMLElement {
  value: string;
}

const VIEWS: { value: ViewKind; label: string }[] = [
  { value: 'scatter', label: 'Scatter' },
  { value: 'grid', label: 'Grid' },
  { value: 'label', label: 'Label' },
];

const vscode = acquireVsCodeApi();
const transport = new PostMessageTransport((message) => vscode.postMessage(message));
const api = new Api(transport);
const root = document.getElementById('winnow-root')!;
const datasetPicker = select('dataset', 'Dataset');
const viewPicker = select('view', 'View');
const note = element('span', 'winnow-note');
const host = element('div', 'winnow-host');
root.append(element('div', 'winnow-bar', datasetPicker, viewPicker, note), host);
fillOptions(viewPicker, VIEWS);

let shown: Shown | null = vscode.getState() ?? null;
let mounted: MountedView | undefined;
/** Each mount's number: a tag's condition that arrives after another mount is dropped. */
let mounts = 0;

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  if (message.type === 'response') transport.receive(message);
  else if (message.type === 'datasets') showDatasets(message.names, message.error);
  else if (message.type === 'show') void mount(message.shown);
});
// Only the user's changes: setting a picker's value while mounting is no new choice.
datasetPicker.addEventListener('change', () => {
  if (datasetPicker.value && datasetPicker.value !== shown?.dataset) {
    void mount({ dataset: datasetPicker.value, view: shown?.view ?? 'scatter' });
  }
});
viewPicker.addEventListener('change', () => {
  if (shown && viewPicker.value !== shown.view) void mount({ ...shown, view: viewPicker.value as ViewKind });
});
vscode.postMessage({ type: 'ready' });

function showDatasets(names: string[], error: string | undefined): void {
  fillOptions(
    datasetPicker,
    names.map((name) => ({ value: name, label: name })),
  );
  note.textContent = error ?? (names.length ? '' : 'No datasets yet: Winnow: Ingest Folder… adds one.');
  note.toggleAttribute('data-error', error !== undefined);
  // A refresh leaves a shown view as it is (its zoom, its selection); a first list shows one.
  if (mounted) return;
  if (shown && names.includes(shown.dataset)) void mount(shown);
  else if (!shown && names.length === 1) void mount({ dataset: names[0]!, view: 'scatter' });
}

/** Shows a view of a dataset (over a tag's samples when given), replacing the one shown. */
async function mount(next: Shown): Promise<void> {
  const mine = ++mounts;
  mounted?.dispose();
  mounted = undefined;
  shown = next;
  vscode.setState(next);
  vscode.postMessage({ type: 'shown', shown: next });
  datasetPicker.value = next.dataset;
  viewPicker.value = next.view;
  let where: string | undefined;
  try {
    where = next.tag
      ? await api.condition(next.dataset, [{ field: 'tag', op: '=', value: next.tag }], '')
      : undefined;
  } catch (error) {
    note.textContent = (error as Error).message;
    return;
  }
  if (mine !== mounts) return;
  mounted = mountView(
    host,
    { view: next.view, dataset: next.dataset, ...(where ? { where } : {}) },
    { transport },
  );
}

function select(name: string, label: string): SelectElement {
  const picker = document.createElement('vscode-single-select') as SelectElement;
  picker.setAttribute('name', name);
  picker.setAttribute('aria-label', label);
  picker.dataset.control = name;
  return picker;
}

function fillOptions(picker: SelectElement, options: { value: string; label: string }[]): void {
  const value = picker.value;
  picker.replaceChildren(
    ...options.map((option) => {
      const item = document.createElement('vscode-option');
      item.setAttribute('value', option.value);
      item.textContent = option.label;
      return item;
    }),
  );
  if (options.some((option) => option.value === value)) picker.value = value;
}

function element(tag: string, className: string, ...children: Node[]): HTMLElement {
  const made = document.createElement(tag);
  made.className = className;
  made.append(...children);
  return made;
}
