/**
 * Starting JupyterLab for the end-to-end test and the notebook benchmark: on 127.0.0.1 at a free
 * port with a fresh token, its settings, data and workspaces in the given folder (nothing of the
 * user's own Jupyter set-up leaks in), and the app exposed to the page as `window.jupyterapp` so
 * that cells can be run through its commands.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort, waitForPort } from './loopback.mjs';

/** JupyterLab refuses to run as root unless told; containers often run as root. */
export const ALLOW_ROOT = process.getuid?.() === 0 ? ['--allow-root'] : [];

/**
 * Starts `jupyter lab` (or, with `app: 'notebook'`, Notebook 7) of the Python environment `venvBin`
 * serving `root`; `env` is added to the kernel's environment. Resolves once it listens: `{child,
 * url, token, log}` (`log()` answers the last lines it wrote, for error messages).
 */
export async function startJupyterLab({ venvBin, root, env = {}, app = 'lab' }) {
  const appClass = app === 'lab' ? 'LabApp' : 'JupyterNotebookApp';
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const child = spawn(
    join(venvBin, 'jupyter'),
    [
      app,
      '--no-browser',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${root}`,
      `--LabServerApp.workspaces_dir=${join(root, 'lab-workspaces')}`,
      `--${appClass}.expose_app_in_browser=True`,
      ...ALLOW_ROOT,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PATH: `${venvBin}:${process.env.PATH}`,
        JUPYTER_CONFIG_DIR: join(root, 'jupyter-config'),
        JUPYTER_DATA_DIR: join(root, 'jupyter-data'),
        JUPYTER_RUNTIME_DIR: join(root, 'jupyter-runtime'),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let tail = '';
  child.stderr.on('data', (chunk) => {
    tail = (tail + chunk).slice(-4000);
  });
  try {
    await waitForPort(port, child, 60_000);
  } catch (error) {
    throw new Error(`${error.message}\n${tail}`);
  }
  return { child, url: `http://127.0.0.1:${port}`, token, log: () => tail };
}
