import type { Kernel } from '@jupyterlab/services';
import type { Transport } from '@winnow-curate/widgets';
import { CommTransport } from './comm-transport';

/** The comm target `%load_ext winnow` registers in the kernel (winnow/panel.py). */
export const PANEL_COMM_TARGET = 'winnow.panel';

export const NOT_LOADED = 'Run `%load_ext winnow` in a notebook, then refresh.';

/** A transport over one comm to the kernel, and how to close it. */
export interface KernelComm {
  transport: Transport;
  close(): void;
}

/**
 * Opens a comm to the panel's target in `kernel`: its requests are relayed to the server by the
 * kernel, so the browser never reaches the server (remote kernels work, the token stays there). A
 * kernel that did not load winnow closes the comm at once: what is waiting then fails with
 * NOT_LOADED.
 */
export function openKernelComm(kernel: Kernel.IKernelConnection): KernelComm {
  const comm = kernel.createComm(PANEL_COMM_TARGET);
  // The panel only reads (GET): its requests have no body to send.
  const transport = new CommTransport(
    ({ type, id, method, path }) => comm.send({ type, id, method, path }),
    PANEL_COMM_TARGET,
  );
  comm.onMsg = (message) => transport.receive(message.content.data, message.buffers);
  comm.onClose = () => transport.close(NOT_LOADED);
  comm.open();
  return {
    transport,
    close() {
      transport.close('the panel closed its comm');
      if (!comm.isDisposed) comm.close();
    },
  };
}
