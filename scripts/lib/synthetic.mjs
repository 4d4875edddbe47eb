/**
 * Synthetic samples for the benchmarks and the views' tests: `n` image samples (20 class
 * folders, sizes and dimensions spread deterministically) and a 2-D projection of all of them
 * (a spiral-ish cloud), written with SQL alone: a million take a few seconds.
 */
export async function fillSynthetic(ws, dataset, n, projectionName = 'synthetic-layout') {
  const first = Number(await ws.db.value('SELECT coalesce(max(sample_id), 0) FROM winnow.samples')) + 1;
  await ws.db.run(
    `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, format, size, mtime, width, height, status)
     SELECT ${first} + i, ?, 'image', printf('class-%02d/%08d.jpg', i % 20, i), 'jpeg', 20000 + (i * 7919) % 200000,
            TIMESTAMP '2026-01-01' + to_seconds(i), 320 + (i * 31) % 961, 240 + (i * 17) % 721, 'ok'
     FROM range(${n}) t(i)`,
    [dataset.id],
  );
  await ws.db.run(`SELECT setval('winnow.sample_ids', ${first + n - 1})`).catch(() => undefined);
  const projection = await ws.db.value(
    `INSERT INTO winnow.projections (projection_id, dataset_id, model_id, name, method)
     VALUES (nextval('winnow.projection_ids'), ?, 0, ?, 'synthetic') RETURNING projection_id`,
    [dataset.id, projectionName],
  );
  await ws.db.run(
    `INSERT INTO winnow.coordinates SELECT ?, ${first} + i, (cos(i) * (i % 997) / 997)::FLOAT, (sin(i) * (i % 991) / 991)::FLOAT
     FROM range(${n}) t(i)`,
    [projection],
  );
}
