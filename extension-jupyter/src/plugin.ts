import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { MODULE_NAME, MODULE_VERSION } from './version';
import { WinnowModel, WinnowView } from './widget';

/** Registers Winnow's widget model and view, so the kernel package's `View` renders in JupyterLab and Notebook 7. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: `${MODULE_NAME}:plugin`,
  description: "Winnow's views (scatter, grid, labeling) as Jupyter widgets.",
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate(_app: JupyterFrontEnd, registry: IJupyterWidgetRegistry): void {
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { WinnowModel, WinnowView },
    });
  },
};

export default plugin;
