/**
 * A workspace of N synthetic image samples (dataset `bench`) with a 2-D projection of all of them,
 * generated with SQL and cached under bench/out/server-<N>/: what the server and notebook
 * benchmarks read.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT } from './common.mjs';

const GENERATOR_VERSION = 1;

/** The workspace folder, generated on first use. */
export async function syntheticWorkspace(N) {
  const DIR = join(OUT, `server-${N}`, '.winnow');
  const stamp = join(DIR, `generated-v${GENERATOR_VERSION}`);
  if (existsSync(stamp)) return DIR;
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const { Workspace } = await import(new URL('../core/dist/index.js', import.meta.url).href);
  const ws = await Workspace.open(DIR);
  try {
    const dataset = await ws.createDataset('bench', {
      kind: 'local',
      uri: join(OUT, `server-${N}`, 'images'),
    });
    console.error(`[bench] generating ${N} samples and their projection`);
    await ws.db.run(
      `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, format, size, mtime, width, height, status)
       SELECT i + 1, ?, 'image', printf('class-%02d/%08d.jpg', i % 20, i), 'jpeg', 20000 + (i * 7919) % 200000,
              TIMESTAMP '2026-01-01' + to_seconds(i), 320 + (i * 31) % 961, 240 + (i * 17) % 721, 'ok'
       FROM range(${N}) t(i)`,
      [dataset.id],
    );
    await ws.db.run(`SELECT setval('winnow.sample_ids', ${N})`).catch(() => undefined);
    const projection = await ws.db.value(
      `INSERT INTO winnow.projections (projection_id, dataset_id, model_id, name, method)
       VALUES (nextval('winnow.projection_ids'), ?, 0, 'bench-layout', 'synthetic') RETURNING projection_id`,
      [dataset.id],
    );
    await ws.db.run(
      `INSERT INTO winnow.coordinates SELECT ?, i + 1, (cos(i) * (i % 997) / 997)::FLOAT, (sin(i) * (i % 991) / 991)::FLOAT
       FROM range(${N}) t(i)`,
      [projection],
    );
    await ws.db.run('CHECKPOINT');
  } finally {
    ws.close();
  }
  writeFileSync(stamp, '');
  return DIR;
}
