/**
 * A workspace of N synthetic image samples (dataset `bench`) with a 2-D projection of all of them,
 * generated with SQL and cached under bench/out/server-<N>/: what the server and notebook
 * benchmarks read.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fillSynthetic } from '../../scripts/lib/synthetic.mjs';
import { OUT } from './common.mjs';

const GENERATOR_VERSION = 1;

/** The workspace folder, generated on first use. */
export async function syntheticWorkspace(N) {
  const DIR = join(OUT, `server-${N}`, '.winnow');
  const stamp = join(DIR, `generated-v${GENERATOR_VERSION}`);
  if (existsSync(stamp)) return DIR;
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const { Workspace } = await import(new URL('../../core/dist/index.js', import.meta.url).href);
  const ws = await Workspace.open(DIR);
  try {
    const dataset = await ws.createDataset('bench', {
      kind: 'local',
      uri: join(OUT, `server-${N}`, 'images'),
    });
    console.error(`[bench] generating ${N} samples and their projection`);
    await fillSynthetic(ws, dataset, N, 'bench-layout');
    await ws.db.run('CHECKPOINT');
  } finally {
    ws.close();
  }
  writeFileSync(stamp, '');
  return DIR;
}
