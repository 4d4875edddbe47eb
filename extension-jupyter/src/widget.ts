import { DOMWidgetModel, DOMWidgetView, type ISerializers } from '@jupyter-widgets/base';
import { type MountedView, mountView, type ViewName } from '@winnow/widgets';
import { CommTransport } from './comm-transport';
import { MODULE_NAME, MODULE_VERSION } from './version';

/** The state the kernel package's `View` syncs: which view of which dataset, its filter, the selection. */
export class WinnowModel extends DOMWidgetModel {
  static override serializers: ISerializers = {
    ...DOMWidgetModel.serializers,
    // As it is: ipywidgets then sends it as a binary buffer (its default deep-copies through JSON).
    selected_ids: { serialize: (bytes: DataView) => bytes },
  };

  override defaults() {
    return {
      ...super.defaults(),
      _model_name: 'WinnowModel',
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: 'WinnowView',
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      view: 'scatter',
      dataset: '',
      where: '',
      selected_ids: new DataView(new ArrayBuffer(0)),
    };
  }
}

/** One of Winnow's views in an output cell, its requests relayed to the server by the kernel. */
export class WinnowView extends DOMWidgetView {
  private transport?: CommTransport;
  private mounted?: MountedView;

  override render(): void {
    // Its size comes from the widget's layout (560 px high, full width, set by the kernel's
    // `View`): the layout view would remove any size set here.
    this.el.classList.add('winnow-widget');
    this.transport = new CommTransport((content) => this.send(content), this.cid);
    this.listenTo(this.model, 'msg:custom', (content, buffers) => this.transport?.receive(content, buffers));
    this.listenTo(this.model, 'change:view change:dataset', () => this.mount());
    this.listenTo(this.model, 'change:where', () => this.mounted?.setWhere(this.model.get('where')));
    this.mount();
  }

  override remove(): void {
    this.mounted?.dispose();
    this.transport?.close('the Winnow view was removed');
    super.remove();
  }

  private mount(): void {
    this.mounted?.dispose();
    const where: string = this.model.get('where');
    this.mounted = mountView(
      this.el,
      {
        view: this.model.get('view') as ViewName,
        dataset: this.model.get('dataset'),
        ...(where ? { where } : {}),
      },
      {
        transport: this.transport!,
        onSelection: (ids) => this.select(ids),
        onWhere: (changed) => {
          this.model.set('where', changed);
          this.model.save_changes();
        },
      },
    );
  }

  /** Sends the selection to the kernel as Int32 little-endian bytes, one binary buffer (not JSON). */
  private select(ids: Int32Array): void {
    const bytes = new DataView(new ArrayBuffer(ids.length * Int32Array.BYTES_PER_ELEMENT));
    ids.forEach((id, index) => {
      bytes.setInt32(index * Int32Array.BYTES_PER_ELEMENT, id, true);
    });
    this.model.set('selected_ids', bytes);
    this.model.save_changes();
  }
}
