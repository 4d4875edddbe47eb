import { chip, h } from '../panel-dom.js';

export interface TagActions {
  add(name: string): void;
  remove(name: string): void;
}

/** The sample's tags as removable chips, and an input that adds one (Enter), suggesting the dataset's tags. */
export class TagChips {
  readonly element: HTMLElement;
  private readonly chips = h('span', { class: 'winnow-row', 'data-role': 'tags' });
  private readonly known = h('datalist', { id: `winnow-tags-${Math.random().toString(36).slice(2)}` });
  private readonly input = h('input', {
    type: 'text',
    placeholder: 'add tag…',
    'aria-label': 'Add a tag',
    'data-role': 'tag-input',
    list: this.known.id,
    size: 12,
  });

  constructor(private readonly actions: TagActions) {
    this.input.addEventListener('keydown', (event) => {
      const name = this.input.value.trim();
      if (event.key !== 'Enter' || !name) return;
      this.input.value = '';
      this.actions.add(name);
    });
    this.element = h(
      'div',
      { class: 'winnow-row winnow-label-tags' },
      'Tags:',
      this.chips,
      this.input,
      this.known,
    );
  }

  show(tags: readonly string[]): void {
    this.chips.replaceChildren(
      ...tags.map((name) => chip(name, () => this.actions.remove(name), { 'data-tag': name })),
    );
  }

  suggest(names: readonly string[]): void {
    this.known.replaceChildren(...names.map((value) => h('option', { value })));
  }
}
