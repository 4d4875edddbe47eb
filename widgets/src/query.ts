import { Cleanup, chip, errorLine, h, messageOf, selectOf, setOptions } from './panel-dom.js';
import { ensurePanelStyles } from './panel-style.js';
import {
  chipFromInput,
  chipText,
  FILTER_EVENT,
  FILTER_FIELDS,
  type FilterChip,
  type FilterOp,
  opsFor,
  sameChip,
} from './query-conditions.js';
import type { Mounted, ViewContext } from './state.js';

export const queryStyles = `
.winnow-query { display: flex; flex-direction: column; gap: 4px; padding: 6px; }
.winnow-query-sql { flex: 1 1 240px; min-width: 160px; font-family: var(--jp-code-font-family, var(--vscode-editor-font-family, monospace)); }
.winnow-query-count { color: var(--winnow-fg-muted); white-space: nowrap; }
`;

/**
 * The query bar: filter chips (added from the field/op/value row, or by other panels through the
 * `winnow-filter` event on the state, see query-conditions.ts) and a free SQL condition over the
 * `samples` view. `state.where` is their AND, set only once the server has accepted it; a refused
 * condition shows the server's message and leaves the query as it was.
 */
export function mountQueryBar(element: HTMLElement, context: ViewContext): Mounted {
  ensurePanelStyles('winnow-query-styles', queryStyles);
  const bar = new QueryBar(context);
  element.append(bar.root);
  return { dispose: () => bar.dispose() };
}

class QueryBar {
  readonly root = h('div', { class: 'winnow-panel winnow-query' });
  private readonly errors = errorLine();
  private readonly chipRow = h('span', { class: 'winnow-row', 'data-role': 'chips' });
  private readonly sql = h('input', {
    type: 'text',
    class: 'winnow-query-sql',
    placeholder: 'SQL condition over samples, e.g. width > 500 (Enter applies)',
    'aria-label': 'SQL condition',
    'data-role': 'sql',
    spellcheck: 'false',
  });
  private readonly count = h('span', { class: 'winnow-query-count', 'data-role': 'count' });
  private readonly field = selectOf(FILTER_FIELDS, 'width', { 'aria-label': 'Field', 'data-role': 'field' });
  private readonly op = selectOf(opsFor('width'), '>', { 'aria-label': 'Operator', 'data-role': 'op' });
  private readonly value = h('input', {
    type: 'text',
    size: 10,
    'aria-label': 'Value',
    'data-role': 'value',
  });
  private readonly add = h('button', { type: 'button', 'data-action': 'add-filter' }, 'Add filter');
  private chips: FilterChip[] = [];
  /** The SQL text of the applied query (the box may hold an edit not applied yet). */
  private appliedSql = '';
  /** The condition the applied chips and SQL text made (the server writes it). */
  private appliedWhere = '';
  private attempts = 0;
  private readonly cleanup = new Cleanup();

  constructor(private readonly context: ViewContext) {
    this.root.append(
      h('div', { class: 'winnow-row' }, this.chipRow, this.sql, this.count),
      h('div', { class: 'winnow-row' }, this.field, this.op, this.value, this.add),
      this.errors.element,
    );
    this.cleanup.listen(this.sql, 'keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Enter') this.apply(this.chips, this.sql.value);
    });
    this.cleanup.listen(this.field, 'change', () => setOptions(this.op, opsFor(this.field.value)));
    this.cleanup.listen(this.value, 'keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Enter') this.addFromRow();
    });
    this.cleanup.listen(this.add, 'click', () => this.addFromRow());
    this.cleanup.listen(context.state, FILTER_EVENT, (event) =>
      this.addChip((event as CustomEvent<FilterChip>).detail),
    );
    this.cleanup.add(context.state.on('where', () => this.adoptOutsideQuery()));
    this.sql.value = context.state.where;
    this.apply([], context.state.where);
  }

  dispose(): void {
    this.attempts++;
    this.cleanup.run();
    this.root.remove();
  }

  private addFromRow(): void {
    try {
      this.addChip(chipFromInput(this.field.value, this.op.value as FilterOp, this.value.value));
      this.value.value = '';
    } catch (error) {
      this.errors.show(error);
    }
  }

  private addChip(added: FilterChip): void {
    if (this.chips.some((c) => sameChip(c, added))) return;
    this.apply([...this.chips, added], this.appliedSql);
  }

  private removeChip(removed: FilterChip): void {
    this.apply(
      this.chips.filter((c) => c !== removed),
      this.appliedSql,
    );
  }

  /**
   * Asks the server for one sample under the new condition: a refused condition never reaches the
   * views, and the answer's total is the count shown.
   */
  private async apply(chips: FilterChip[], sql: string): Promise<void> {
    const attempt = ++this.attempts;
    const { api, dataset, state } = this.context;
    try {
      // Without chips the condition is the text itself: no round trip for the server to write it.
      const where = chips.length ? await api.condition(dataset, chips, sql) : sql.trim();
      const page = await api.samples(dataset, { where, limit: 1 });
      if (attempt !== this.attempts) return;
      this.chips = chips;
      this.appliedSql = sql.trim();
      this.appliedWhere = where;
      this.errors.clear();
      this.showCount(page.total);
      this.renderChips();
      state.set('where', where);
    } catch (error) {
      if (attempt === this.attempts) this.errors.show(`Not applied: ${messageOf(error)}`);
    }
  }

  /** A query set from outside (the kernel, another view) becomes the SQL text, without chips. */
  private adoptOutsideQuery(): void {
    const { where } = this.context.state;
    if (where === this.appliedWhere) return;
    this.chips = [];
    this.appliedSql = where;
    this.sql.value = where;
    this.renderChips();
    this.apply([], where);
  }

  private renderChips(): void {
    this.chipRow.replaceChildren(
      ...this.chips.map((c) =>
        chip(chipText(c), () => this.removeChip(c), { 'data-field': c.field, 'data-role': 'chip' }),
      ),
    );
  }

  private showCount(total: number): void {
    this.count.textContent = `${total.toLocaleString('en-US')} sample${total === 1 ? '' : 's'}`;
    this.count.dataset.total = String(total);
  }
}
