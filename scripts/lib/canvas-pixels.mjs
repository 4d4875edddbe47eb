/**
 * Whether a screenshot of a canvas shows a drawing: enough of its pixels unlike its background
 * (its most frequent colour, since a border or a label is never the most). How the notebook and
 * VS Code benchmarks and tests tell points from an empty or loading plot, whatever the theme.
 */
import sharp from 'sharp';

/** Whether at least `share` (0–1) of the PNG's pixels differ from its background. */
export async function showsDrawing(png, share) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  const background = mostFrequentColor(data, channels);
  const enough = share * info.width * info.height;
  let unlike = 0;
  for (let i = 0; i < data.length; i += channels) {
    const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    if (colorDistance(rgb, background) > 30 && ++unlike >= enough) return true;
  }
  return false;
}

/** The colour most pixels of the PNG have, as 0xRRGGBB. */
export async function backgroundColor(png) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return mostFrequentColor(data, info.channels);
}

function mostFrequentColor(data, channels) {
  const counts = new Map();
  for (let i = 0; i < data.length; i += channels * 7) {
    const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

function colorDistance(a, b) {
  return (
    Math.abs((a >> 16) - (b >> 16)) +
    Math.abs(((a >> 8) & 255) - ((b >> 8) & 255)) +
    Math.abs((a & 255) - (b & 255))
  );
}
