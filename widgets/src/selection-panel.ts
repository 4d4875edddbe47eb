import type { Job } from './api.js';
import { Cleanup, errorLine, guarded, h, selectOf, setOptions } from './panel-dom.js';
import { ensurePanelStyles } from './panel-style.js';
import {
  parseConfigText,
  type Scope,
  type SelectionForm,
  scopeCondition,
  selectionConfig,
} from './selection-config.js';
import type { Mounted, ViewContext } from './state.js';

export const selectionStyles = `
.winnow-selection { display: flex; flex-direction: column; gap: 6px; padding: 6px; }
.winnow-selection fieldset { border: 1px solid var(--winnow-border); border-radius: 3px; display: flex; flex-direction: column; gap: 4px; }
.winnow-selection input[type='number'] { width: 6em; }
.winnow-selection-config { display: flex; flex-direction: column; gap: 2px; }
.winnow-selection textarea {
  width: 100%; min-height: 140px; resize: vertical;
  font-family: var(--jp-code-font-family, var(--vscode-editor-font-family, monospace));
}
.winnow-selection progress { flex: 1 1 160px; }
.winnow-selection-status { color: var(--winnow-fg-muted); }
.winnow-selection-result { font-weight: 600; }
`;

/**
 * The selection panel: a small form that composes a selection config (shown as editable JSON),
 * runs it as a `select` job with a progress bar and Cancel, and when it is done selects the new
 * tag's samples in the shared state, so the scatter and the grid highlight them.
 */
export function mountSelectionPanel(element: HTMLElement, context: ViewContext): Mounted {
  ensurePanelStyles('winnow-selection-styles', selectionStyles);
  const panel = new SelectionPanel(context);
  element.append(panel.root);
  return { dispose: () => panel.dispose() };
}

class SelectionPanel {
  readonly root = h('div', { class: 'winnow-panel winnow-selection' });
  private readonly errors = errorLine();
  private readonly strategy = {
    diversity: checkbox('diversity', true),
    typicality: checkbox('typicality', false),
    balance: checkbox('balance', false),
    random: checkbox('random', false),
  };
  private readonly model = h('select', { 'aria-label': 'Embedding model', 'data-role': 'model' });
  private readonly balanceTask = h('select', {
    'aria-label': 'Prediction task',
    'data-role': 'balance-task',
  });
  private readonly seed = h('input', { type: 'number', value: 42, 'aria-label': 'Random seed' });
  private readonly n = h('input', {
    type: 'number',
    min: 1,
    value: 100,
    'aria-label': 'Samples',
    'data-role': 'n',
  });
  private readonly scope = selectOf(['all', 'query', 'selection'], 'all', {
    'aria-label': 'Within',
    'data-role': 'scope',
  });
  private readonly tag = h('input', {
    type: 'text',
    placeholder: 'tag name (an existing one gets a new version)',
    'aria-label': 'Tag',
    'data-role': 'tag',
  });
  private readonly preview = h('textarea', {
    spellcheck: 'false',
    'aria-label': 'Selection config',
    'data-role': 'config',
  });
  private readonly run = h('button', { type: 'button', 'data-action': 'run' }, 'Run');
  private readonly cancel = h(
    'button',
    { type: 'button', 'data-action': 'cancel', disabled: true },
    'Cancel',
  );
  private readonly progress = h('progress', { max: 1, value: 0 });
  private readonly status = h('span', { class: 'winnow-selection-status', 'data-role': 'status' });
  private readonly result = h('div', { class: 'winnow-selection-result', 'data-role': 'result' });
  private readonly cleanup = new Cleanup();
  private jobId: string | null = null;
  private disposed = false;

  constructor(private readonly context: ViewContext) {
    this.root.append(
      h(
        'fieldset',
        {},
        h('legend', {}, 'Strategies'),
        option(this.strategy.diversity, 'Diversity on embeddings', this.model),
        option(this.strategy.typicality, 'Typicality on embeddings'),
        option(this.strategy.balance, 'Class balance on predicted classes', this.balanceTask),
        option(this.strategy.random, 'Random, seed', this.seed),
      ),
      h(
        'div',
        { class: 'winnow-row' },
        h('label', { class: 'winnow-row' }, 'Samples', this.n),
        h('label', { class: 'winnow-row' }, 'Within', this.scope),
        h('label', { class: 'winnow-row' }, 'Into tag', this.tag),
      ),
      h('label', { class: 'winnow-selection-config' }, 'Config (JSON, editable)', this.preview),
      h('div', { class: 'winnow-row' }, this.run, this.cancel, this.progress, this.status),
      this.result,
      this.errors.element,
    );
    this.cleanup.listen(this.root, 'change', (event) => {
      if (event.target !== this.preview) this.updatePreview();
    });
    this.cleanup.listen(this.run, 'click', () => this.start());
    this.cleanup.listen(this.cancel, 'click', () => this.stop());
    this.cleanup.add(
      context.state.on('where', () => this.updatePreview()),
      context.state.on('selection', () => this.updatePreview()),
    );
    this.loadChoices();
  }

  dispose(): void {
    this.disposed = true;
    this.cleanup.run();
    this.root.remove();
  }

  /** The embedding models and prediction tasks a strategy can name; a choice shows only when there is one to make. */
  private async loadChoices(): Promise<void> {
    const { api, dataset } = this.context;
    await guarded(this.errors, async () => {
      const { models, predictionTasks } = await api.vocabulary(dataset);
      setOptions(this.model, models);
      this.model.hidden = models.length < 2;
      setOptions(this.balanceTask, predictionTasks);
      this.balanceTask.hidden = predictionTasks.length < 2;
      this.strategy.balance.disabled = predictionTasks.length === 0;
    });
    this.updatePreview();
  }

  private form(): SelectionForm {
    const { state } = this.context;
    return {
      diversity: this.strategy.diversity.checked,
      typicality: this.strategy.typicality.checked,
      balance: this.strategy.balance.checked,
      random: this.strategy.random.checked,
      n: Number(this.n.value),
      model: this.model.hidden ? undefined : this.model.value,
      balanceTask: this.balanceTask.value || undefined,
      randomSeed: Number(this.seed.value) || 0,
      where: scopeCondition(this.scope.value as Scope, state.where, state.selection),
    };
  }

  private updatePreview(): void {
    try {
      this.preview.value = JSON.stringify(selectionConfig(this.form()), null, 2);
      this.errors.clear();
    } catch (error) {
      this.errors.show(error);
    }
  }

  private async start(): Promise<void> {
    const { api, dataset } = this.context;
    const tag = this.tag.value.trim();
    await guarded(this.errors, async () => {
      if (!tag) throw new Error('tag: name the tag the selection goes into');
      const config = parseConfigText(this.preview.value);
      const job = await api.startJob({ kind: 'select', dataset, config, tag });
      this.running(job.id);
      await this.finished(await api.followJob(job.id, (update) => this.showProgress(update)), tag);
    }).finally(() => this.running(null));
  }

  private running(jobId: string | null): void {
    this.jobId = jobId;
    this.run.disabled = jobId !== null;
    this.cancel.disabled = jobId === null;
    if (!jobId) return;
    this.result.textContent = '';
    this.status.textContent = 'queued';
    this.progress.max = 1;
    this.progress.value = 0;
  }

  private stop(): void {
    const id = this.jobId;
    if (id) guarded(this.errors, () => this.context.api.cancelJob(id));
  }

  private showProgress(job: Job): void {
    // Throwing ends followJob's polling: a disposed panel has no bar to move.
    if (this.disposed) throw new Error('the selection panel was closed');
    const progress = job.progress;
    if (!progress) {
      this.status.textContent = job.state;
      return;
    }
    if (progress.total) {
      this.progress.max = progress.total;
      this.progress.value = progress.done;
    } else this.progress.removeAttribute('value');
    this.status.textContent = `${progress.phase} ${progress.done}${progress.total ? ` / ${progress.total}` : ''}`;
  }

  /** A done job's tag becomes the selection; a failed or cancelled one says why. */
  private async finished(job: Job, tag: string): Promise<void> {
    if (job.state === 'cancelled') {
      this.status.textContent = 'cancelled';
      return;
    }
    if (job.state !== 'done') throw new Error(job.error ?? `the selection ${job.state}`);
    const { api, dataset, state } = this.context;
    const ids = await api.tagIds(dataset, tag);
    this.progress.max = 1;
    this.progress.value = 1;
    this.status.textContent = 'done';
    this.result.textContent = `Tag ${tag}: ${ids.length.toLocaleString('en-US')} samples, now selected`;
    this.result.dataset.tag = tag;
    this.result.dataset.count = String(ids.length);
    state.set('selection', ids);
  }
}

function checkbox(strategy: string, checked: boolean): HTMLInputElement {
  return h('input', { type: 'checkbox', checked, 'data-strategy': strategy });
}

function option(box: HTMLInputElement, text: string, extra?: HTMLElement): HTMLElement {
  return h('div', { class: 'winnow-row' }, h('label', { class: 'winnow-row' }, box, text), extra);
}
