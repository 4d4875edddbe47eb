import type { WorkArea } from '../storage/work.js';
import type { Funnel } from './items.js';

/**
 * A selection's report: report.json (the figures) and report.html (the same, plotted, one file
 * with no script and nothing fetched), under `.winnow/runs/<run_id>/` in the work location.
 * For each strategy it shows the input among all items against the picked ones: a histogram
 * of the values, or the class shares beside the target.
 */
export interface StrategyReport {
  index: number;
  kind: string;
  describe: string;
  /** Per item (position order), the value a weighting ran on. */
  values?: Float32Array;
  classes?: { names: string[]; rows: Float32Array; target: Float32Array };
}

export interface ReportInput {
  runId: string;
  dataset: string;
  tag: string;
  config: unknown;
  fingerprint: string;
  funnel: Funnel;
  counts: { items: number; preselected: number; requested: number; selected: number };
  stoppedBy: string;
  timings: Record<string, number>;
  strategies: StrategyReport[];
  /** Picked positions, in pick order. */
  picked: Uint32Array;
}

const BINS = 20;

interface Histogram {
  edges: number[];
  all: number[];
  selected: number[];
  mean: { all: number; selected: number };
}

interface ClassShares {
  names: string[];
  all: number[];
  selected: number[];
  target: number[];
}

/** Writes both reports under the work location's `.winnow/runs/<run_id>/`; returns where they are. */
export async function writeReports(
  work: WorkArea,
  input: ReportInput,
): Promise<{ json: string; html: string }> {
  const chosen = new Uint8Array(input.counts.items);
  for (const p of input.picked) chosen[p] = 1;
  const strategies = input.strategies.map((s) => ({
    index: s.index,
    kind: s.kind,
    input: s.describe,
    ...(s.values ? { histogram: histogram(s.values, chosen) } : {}),
    ...(s.classes ? { classes: classShares(s.classes, chosen) } : {}),
  }));
  const report = {
    run_id: input.runId,
    dataset: input.dataset,
    tag: input.tag,
    config: input.config,
    fingerprint: input.fingerprint,
    funnel: input.funnel,
    counts: input.counts,
    stopped_by: input.stoppedBy,
    timings_seconds: input.timings,
    strategies,
  };
  const dir = `runs/${input.runId}`;
  const encode = (text: string) => new TextEncoder().encode(text);
  await Promise.all([
    work.write(`${dir}/report.json`, encode(`${JSON.stringify(report, null, 2)}\n`), 'application/json'),
    work.write(`${dir}/report.html`, encode(renderHtml(report, strategies)), 'text/html; charset=utf-8'),
  ]);
  return { json: work.uri(`${dir}/report.json`), html: work.uri(`${dir}/report.html`) };
}

function histogram(values: Float32Array, chosen: Uint8Array): Histogram {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo > hi) [lo, hi] = [0, 0];
  const width = hi > lo ? (hi - lo) / BINS : 1;
  const all = new Array<number>(BINS).fill(0);
  const selected = new Array<number>(BINS).fill(0);
  let sumAll = 0;
  let sumSel = 0;
  let nSel = 0;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const bin = Math.min(BINS - 1, Math.floor((v - lo) / width));
    all[bin]!++;
    sumAll += v;
    if (chosen[i]) {
      selected[bin]!++;
      sumSel += v;
      nSel++;
    }
  });
  return {
    edges: Array.from({ length: BINS + 1 }, (_, b) => lo + b * width),
    all,
    selected,
    mean: { all: sumAll / Math.max(1, values.length), selected: nSel ? sumSel / nSel : Number.NaN },
  };
}

function classShares(classes: NonNullable<StrategyReport['classes']>, chosen: Uint8Array): ClassShares {
  const width = classes.names.length;
  const all = new Array<number>(width).fill(0);
  const selected = new Array<number>(width).fill(0);
  for (let i = 0; i < chosen.length; i++) {
    for (let c = 0; c < width; c++) {
      const v = classes.rows[i * width + c]!;
      all[c]! += v;
      if (chosen[i]) selected[c]! += v;
    }
  }
  const share = (xs: number[]) => {
    const sum = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => (sum ? x / sum : 0));
  };
  return {
    names: classes.names,
    all: share(all),
    selected: share(selected),
    target: Array.from(classes.target),
  };
}

// ---------------------------------------------------------------------------------------------
// HTML

const COLORS = { all: '#9aa5b1', selected: '#2b6cb0', target: '#c05621' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderHtml(
  report: {
    run_id: string;
    dataset: string;
    tag: string;
    counts: ReportInput['counts'];
    stopped_by: string;
    fingerprint: string;
    funnel: Funnel;
    timings_seconds: Record<string, number>;
    config: unknown;
  },
  strategies: { index: number; kind: string; input: string; histogram?: Histogram; classes?: ClassShares }[],
): string {
  const rows = (pairs: [string, string | number][]) =>
    pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('');
  const funnel: [string, number][] = [
    ['items', report.funnel.items],
    ...(report.funnel.where !== undefined
      ? [['dropped by where', report.funnel.where] as [string, number]]
      : []),
    ...Object.entries(report.funnel.thresholds).map(
      ([k, v]) => [`dropped by threshold ${k}`, v] as [string, number],
    ),
    ...Object.entries(report.funnel.missing).map(
      ([k, v]) => [`left out, no input for ${k}`, v] as [string, number],
    ),
    ['preselected', report.funnel.preselected],
  ];
  const sections = strategies
    .map((s) => {
      const title = `<h2>strategies[${s.index}] · ${escapeHtml(s.kind)} · ${escapeHtml(s.input)}</h2>`;
      if (s.histogram) return `<section>${title}${histogramSvg(s.histogram)}</section>`;
      if (s.classes) return `<section>${title}${classesSvg(s.classes)}</section>`;
      return `<section>${title}<p>No per-item distribution to plot for this strategy.</p></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Selection ${escapeHtml(report.run_id)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#1a202c;max-width:960px}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{padding:2px 12px 2px 0;text-align:left}
th{font-weight:600}h2{font-size:16px;margin-top:2rem}.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}pre{background:#f7fafc;padding:1rem;overflow:auto}
</style></head><body>
<h1>Selection into tag “${escapeHtml(report.tag)}”</h1>
<table>${rows([
    ['run', report.run_id],
    ['dataset', report.dataset],
    ['selected', report.counts.selected],
    ['requested', report.counts.requested],
    ['stopped by', report.stopped_by],
    ['fingerprint', report.fingerprint],
    ...Object.entries(report.timings_seconds).map(([k, v]) => [`${k} (s)`, v.toFixed(3)] as [string, string]),
  ])}</table>
<h2>Items</h2><table>${rows(funnel)}</table>
<p class="legend"><span><i style="background:${COLORS.all}"></i>all items</span><span><i style="background:${COLORS.selected}"></i>selected</span><span><i style="background:${COLORS.target}"></i>target</span></p>
${sections}
<h2>Config</h2><pre>${escapeHtml(JSON.stringify(report.config, null, 2))}</pre>
</body></html>
`;
}

const W = 640;
const H = 180;

/** Both histograms as shares of their own totals, side by side per bin. */
function histogramSvg(h: Histogram): string {
  const totalAll = h.all.reduce((a, b) => a + b, 0) || 1;
  const totalSel = h.selected.reduce((a, b) => a + b, 0) || 1;
  const shares = h.all.map((a, b) => [a / totalAll, h.selected[b]! / totalSel] as const);
  const top = Math.max(...shares.flat(), 1e-9);
  const bw = W / h.all.length;
  const bars = shares
    .map(([a, s], b) => {
      const ha = (a / top) * (H - 20);
      const hs = (s / top) * (H - 20);
      return `<rect x="${(b * bw + 1).toFixed(1)}" y="${(H - ha).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${ha.toFixed(1)}" fill="${COLORS.all}"/><rect x="${(b * bw + bw / 2).toFixed(1)}" y="${(H - hs).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${hs.toFixed(1)}" fill="${COLORS.selected}"/>`;
    })
    .join('');
  const fmt = (v: number) =>
    Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
  return `<svg width="${W}" height="${H + 20}" role="img">${bars}<text x="0" y="${H + 15}">${fmt(h.edges[0]!)}</text><text x="${W}" y="${H + 15}" text-anchor="end">${fmt(h.edges.at(-1)!)}</text></svg>
<p>mean: all ${fmt(h.mean.all)}, selected ${fmt(h.mean.selected)}</p>`;
}

function classesSvg(c: ClassShares): string {
  const rowH = 18;
  const label = 160;
  const height = c.names.length * rowH * 3 + 10;
  const bar = (y: number, share: number, color: string) =>
    `<rect x="${label}" y="${y}" width="${((W - label - 60) * share).toFixed(1)}" height="${rowH - 4}" fill="${color}"/><text x="${(label + (W - label - 60) * share + 4).toFixed(1)}" y="${y + rowH - 6}">${(share * 100).toFixed(1)}%</text>`;
  const body = c.names
    .map((name, i) => {
      const y = i * rowH * 3;
      return `<text x="0" y="${y + rowH * 1.5}">${escapeHtml(name)}</text>${bar(y, c.all[i]!, COLORS.all)}${bar(y + rowH, c.selected[i]!, COLORS.selected)}${bar(y + rowH * 2, c.target[i] ?? 0, COLORS.target)}`;
    })
    .join('');
  return `<svg width="${W}" height="${height}" role="img">${body}</svg>`;
}
