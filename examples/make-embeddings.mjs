// Writes examples/embeddings.csv, the README's embeddings to import: for each image of a folder
// (default ../shared/datasets/coco128/images), the mean colour of each cell of a 4 × 8 grid laid
// over it, as 96 numbers from 0 to 1 (red, green, blue of each cell, row by row). A crude but
// real and reproducible embedding: images alike in layout and colour end up near each other.
// The CSV is the one Lightly writes (filenames, embedding_0 … embedding_95, labels), with
// filenames relative to the folder, as `winnow import --embeddings` matches them.
//   node examples/make-embeddings.mjs [FOLDER] [OUT.csv]
import { readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = 4;
const COLUMNS = 8;
const DIMENSIONS = ROWS * COLUMNS * 3;
const IMAGE = /\.(jpe?g|png|bmp|tiff?|gif)$/i;

const folder = resolve(process.argv[2] ?? join(REPOSITORY, '../shared/datasets/coco128/images'));
const out = resolve(process.argv[3] ?? join(REPOSITORY, 'examples/embeddings.csv'));

const files = (await readdir(folder, { recursive: true })).filter((name) => IMAGE.test(name)).sort();
const embeddingColumns = Array.from({ length: DIMENSIONS }, (_, i) => `embedding_${i}`);
const lines = [['filenames', ...embeddingColumns, 'labels'].join(',')];
for (const file of files) {
  const vector = await gridColours(join(folder, file));
  // Lightly writes 0 as the label of unlabeled images; three decimals keep the file small.
  lines.push([file.split(sep).join('/'), ...vector.map((v) => v.toFixed(3)), 0].join(','));
}
await writeFile(out, `${lines.join('\n')}\n`);
console.log(`${out}: ${files.length} images, ${DIMENSIONS} dimensions`);

/** The mean red, green and blue (0–1) of each grid cell, the image upright as EXIF says. */
async function gridColours(path) {
  const { data, info } = await sharp(path)
    .rotate()
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const sums = new Float64Array(DIMENSIONS);
  const counts = new Float64Array(ROWS * COLUMNS);
  for (let y = 0; y < height; y++) {
    const row = Math.floor((y * ROWS) / height);
    for (let x = 0; x < width; x++) {
      const cell = row * COLUMNS + Math.floor((x * COLUMNS) / width);
      const at = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) sums[cell * 3 + c] += data[at + c];
      counts[cell]++;
    }
  }
  return Array.from(sums, (sum, i) => sum / counts[Math.floor(i / 3)] / 255);
}
