import { ILabShell, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { LabIcon } from '@jupyterlab/ui-components';
import type { Widget } from '@lumino/widgets';
import { type KernelHolder, WinnowSidePanel } from './side-panel';

/** A funnel: what winnowing keeps of a dataset. */
const winnowIcon = new LabIcon({
  name: '@winnow-curate/jupyterlab:winnow',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">
  <g class="jp-icon3" fill="#616161"><path d="M3 5h18l-7 8v6l-4 2v-8z"/></g></svg>`,
});

function hasSession(widget: Widget | null): widget is Widget & KernelHolder {
  return !!widget && 'sessionContext' in widget;
}

/**
 * The Winnow side panel (left area): what only JupyterLab offers. The views themselves render
 * through anywidget in any host (the kernel package's `View`); they need no extension.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: '@winnow-curate/jupyterlab:side-panel',
  description:
    "Winnow's side panel: the workspace's datasets, tags and runs, read through the notebook's kernel.",
  // Notebook 7 loads the extension too but has no ILabShell: the side panel is JupyterLab's only.
  optional: [ILabShell],
  autoStart: true,
  activate(_app: JupyterFrontEnd, shell: ILabShell | null): void {
    if (!shell) return;
    const panel = new WinnowSidePanel();
    panel.title.icon = winnowIcon;
    shell.add(panel, 'left', { rank: 600 });
    // The notebook last in focus stays the one read through while the panel itself has the focus.
    const follow = () => {
      const current = shell.currentWidget;
      if (hasSession(current)) panel.follow(current);
    };
    shell.currentChanged.connect(follow);
    follow();
  },
};

export default plugin;
