/**
 * The ES module the kernel package's `View` sends as its anywidget `_esm`: one of Winnow's views in
 * an output cell, in any host that runs anywidget (JupyterLab, Notebook 7, VS Code, Colab) without
 * a JupyterLab extension. Its requests go over the widget's comm and the kernel relays them, so the
 * browser never reaches the server and the token stays in the kernel.
 */
import { type MountedView, mountView, type ViewName } from '@winnow-curate/widgets';
import { CommTransport } from './comm-transport';

/** The part of anywidget's model (its `AnyModel`) the view uses, with the traits `View` syncs. */
interface ViewModel {
  get(name: 'view' | 'dataset' | 'where'): string;
  set(name: 'where', value: string): void;
  set(name: 'selected_ids', value: DataView): void;
  save_changes(): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
  on(event: 'msg:custom', callback: (content: unknown, buffers: DataView[]) => void): void;
  on(event: `change:${string}`, callback: () => void): void;
  off(event: string, callback: (...args: never[]) => void): void;
}

/** Each rendering of a model gets its own request ids: two views of one model both get every answer. */
let renderings = 0;

function render({ model, el }: { model: ViewModel; el: HTMLElement }): () => void {
  // Its size comes from the widget's layout (560 px high, full width, set by the kernel's `View`).
  el.classList.add('winnow-widget');
  const transport = new CommTransport((content) => model.send(content), `view-${++renderings}`);
  let mounted: MountedView | undefined;

  const mount = () => {
    mounted?.dispose();
    const where = model.get('where');
    mounted = mountView(
      el,
      { view: model.get('view') as ViewName, dataset: model.get('dataset'), ...(where ? { where } : {}) },
      {
        transport,
        onSelection: (ids) => {
          model.set('selected_ids', selectionBytes(ids));
          model.save_changes();
        },
        onWhere: (changed) => {
          model.set('where', changed);
          model.save_changes();
        },
      },
    );
  };
  const receive = (content: unknown, buffers: DataView[]) => transport.receive(content, buffers);
  const setWhere = () => mounted?.setWhere(model.get('where'));
  model.on('msg:custom', receive);
  model.on('change:view', mount);
  model.on('change:dataset', mount);
  model.on('change:where', setWhere);
  mount();

  return () => {
    model.off('msg:custom', receive);
    model.off('change:view', mount);
    model.off('change:dataset', mount);
    model.off('change:where', setWhere);
    mounted?.dispose();
    transport.close('the Winnow view was removed');
  };
}

/**
 * The selection as Int32 little-endian bytes: anywidget keeps a DataView as it is (structuredClone)
 * and ipywidgets sends it as one binary buffer, which the kernel's `Bytes` trait takes (not JSON).
 */
function selectionBytes(ids: Int32Array): DataView {
  const bytes = new DataView(new ArrayBuffer(ids.length * Int32Array.BYTES_PER_ELEMENT));
  ids.forEach((id, index) => {
    bytes.setInt32(index * Int32Array.BYTES_PER_ELEMENT, id, true);
  });
  return bytes;
}

export default { render };
