/** Small DOM helpers the panels share (no framework: the panels run in any host page). */

type Attributes = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

/** An element with attributes (`true` sets an empty one, `false`/undefined leaves it out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(
    ...children.filter(
      (child): child is Node | string => child !== null && child !== undefined && child !== false,
    ),
  );
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Node[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  element.append(...children);
  return element;
}

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
}

/** A removable chip: its text, and an × button that calls `onRemove`. */
export function chip(text: string, onRemove: () => void, attributes: Attributes = {}): HTMLElement {
  const remove = h(
    'button',
    { type: 'button', title: `Remove ${text}`, 'aria-label': `Remove ${text}` },
    '×',
  );
  remove.addEventListener('click', onRemove);
  return h('span', { class: 'winnow-chip', ...attributes }, h('span', {}, text), remove);
}

/** A `<select>` of these values, with `selected` chosen. */
export function selectOf(
  values: readonly string[],
  selected?: string,
  attributes: Attributes = {},
): HTMLSelectElement {
  const select = h('select', attributes, ...values.map((value) => h('option', { value }, value)));
  if (selected !== undefined) select.value = selected;
  return select;
}

/** Replaces a select's options, keeping the chosen value when it is still there. */
export function setOptions(select: HTMLSelectElement, values: readonly string[]): void {
  const chosen = select.value;
  select.replaceChildren(...values.map((value) => h('option', { value }, value)));
  if (values.includes(chosen)) select.value = chosen;
}

/** The one-line error of a panel: `show` an error (or a message), `clear` it. */
export interface ErrorLine {
  element: HTMLElement;
  show(error: unknown): void;
  clear(): void;
}

export function errorLine(): ErrorLine {
  const element = h('div', { class: 'winnow-error', role: 'alert', 'data-role': 'error' });
  return {
    element,
    show(error) {
      const message = messageOf(error);
      element.textContent = message;
      element.title = message;
    },
    clear() {
      element.textContent = '';
      element.title = '';
    },
  };
}

/** One line of an error, whatever was thrown. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Calls `work`, showing its failure on the error line instead of letting it escape. */
export async function guarded<T>(errors: ErrorLine, work: () => Promise<T>): Promise<T | undefined> {
  try {
    const result = await work();
    errors.clear();
    return result;
  } catch (error) {
    errors.show(error);
    return undefined;
  }
}

/** Whether a key press or click is in a field the user types in (the panels' shortcuts leave those alone). */
export function isTyping(event: Event): boolean {
  const target = event.target as HTMLElement | null;
  return !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/** What a panel undoes when it goes: its listeners, observers and state subscriptions. */
export class Cleanup {
  private readonly stops: (() => void)[] = [];

  listen(target: EventTarget, type: string, listener: (event: Event) => void): void {
    target.addEventListener(type, listener);
    this.stops.push(() => target.removeEventListener(type, listener));
  }

  add(...stops: (() => void)[]): void {
    this.stops.push(...stops);
  }

  run(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}
