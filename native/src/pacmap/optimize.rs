//! PaCMAP's optimization of the 2-D layout: the reference's loss terms, three-phase weight schedule
//! and Adam, with the gradient summed in a fixed order whatever the number of threads.

use std::ops::Range;

use napi::Result;
use rayon::prelude::*;

use super::pairs::Counts;
use super::tiles::{Tiles, PARTNER_BLOCK, ROW_BLOCK};
use crate::validate::Cancel;
use crate::Progress;

/// The row blocks are split into this many fixed ranges; each range adds its pairs' gradient into
/// its own buffer and the buffers are summed in range order, so the result is the same on any
/// number of threads (and there is no write contention).
const CHUNKS: usize = 16;
/// Rows per rayon task in the Adam update.
const ROWS_PER_TASK: usize = 4096;
/// New points per rayon task when placing points.
const POINTS_PER_TASK: usize = 256;

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f32 = 1e-7;
/// The mid-near weight at the start of phase 1 (the reference's `w_MN_init`).
const W_MN_START: f32 = 1000.0;

/// Each row's partners: `nb`, `mn` and `fp` are n × count row-major lists of row indices.
pub(crate) struct Pairs {
    pub counts: Counts,
    pub nb: Vec<u32>,
    pub mn: Vec<u32>,
    pub fp: Vec<u32>,
}

/// Iterations of the three phases: 100, 100 and the rest of the total (a total under 200 ends
/// early in phase 1 or 2).
#[derive(Clone, Copy)]
pub(crate) struct Phases([usize; 3]);

/// Loss weights of one iteration.
#[derive(Clone, Copy)]
struct Weights {
    nb: f32,
    mn: f32,
    fp: f32,
}

impl Phases {
    pub(crate) fn new(total: usize) -> Self {
        let first = total.min(100);
        let second = (total - first).min(100);
        Phases([first, second, total - first - second])
    }

    pub(crate) fn total(&self) -> usize {
        self.0.iter().sum()
    }

    /// The reference's `find_weight`: w_MN falls linearly from 1000 to 3 over phase 1.
    fn weights(&self, t: usize) -> Weights {
        let [first, second, _] = self.0;
        if t < first {
            let f = t as f32 / first as f32;
            Weights {
                nb: 2.0,
                mn: (1.0 - f) * W_MN_START + f * 3.0,
                fp: 1.0,
            }
        } else if t < first + second {
            Weights {
                nb: 3.0,
                mn: 3.0,
                fp: 1.0,
            }
        } else {
            Weights {
                nb: 1.0,
                mn: 0.0,
                fp: 1.0,
            }
        }
    }
}

/// Adam's bias-corrected step size at iteration t (0-based).
fn step_size(learning_rate: f32, t: usize) -> f32 {
    let k = (t + 1) as i32;
    (learning_rate as f64 * (1.0 - BETA2.powi(k)).sqrt() / (1.0 - BETA1.powi(k))) as f32
}

#[inline]
fn adam(y: &mut f32, m: &mut f32, v: &mut f32, g: f32, step: f32) {
    *m += (1.0 - BETA1 as f32) * (g - *m);
    *v += (1.0 - BETA2 as f32) * (g * g - *v);
    *y -= step * *m / (v.sqrt() + EPSILON);
}

/// ∂/∂y_i of the loss terms, as a factor of (y_i − y_j), for d = 1 + ‖y_i − y_j‖²:
/// neighbour d/(10 + d), mid-near d/(10000 + d), further 1/(1 + d).
#[inline(always)]
fn nb_factor(d: f32) -> f32 {
    20.0 / ((10.0 + d) * (10.0 + d))
}

#[inline(always)]
fn mn_factor(d: f32) -> f32 {
    20000.0 / ((10000.0 + d) * (10000.0 + d))
}

#[inline(always)]
fn fp_factor(d: f32) -> f32 {
    -2.0 / ((1.0 + d) * (1.0 + d))
}

/// The gradient of a pair's loss term with respect to y_i, w · c(d̃) · (y_i − y_j); y_j's is its
/// negation.
#[inline(always)]
fn pair_term(yi: [f32; 2], yj: [f32; 2], weight: f32, factor: impl Fn(f32) -> f32) -> [f32; 2] {
    let (dx, dy) = (yi[0] - yj[0], yi[1] - yj[1]);
    let c = weight * factor(1.0 + dx * dx + dy * dy);
    [c * dx, c * dy]
}

/// Adds the gradient of one tile's pairs (rows from `r0`, partners from `c0`) into `grad`.
///
/// A tile lists each row's pairs one after another: the row's share is summed in registers over
/// the run and written once, instead of chaining every pair through a store and a load.
#[inline(always)]
fn tile_gradient(
    y: &[[f32; 2]],
    grad: &mut [[f32; 2]],
    pairs: &[[u16; 2]],
    (r0, c0): (usize, usize),
    weight: f32,
    factor: impl Fn(f32) -> f32 + Copy,
) {
    let Some(&[first, _]) = pairs.first() else {
        return;
    };
    let mut row = first;
    let mut yi = y[r0 + row as usize];
    let mut acc = [0f32; 2];
    for &[li, lj] in pairs {
        if li != row {
            let gi = &mut grad[r0 + row as usize];
            gi[0] += acc[0];
            gi[1] += acc[1];
            row = li;
            yi = y[r0 + li as usize];
            acc = [0.0; 2];
        }
        let j = c0 + lj as usize;
        let term = pair_term(yi, y[j], weight, factor);
        acc[0] += term[0];
        acc[1] += term[1];
        grad[j][0] -= term[0];
        grad[j][1] -= term[1];
    }
    let gi = &mut grad[r0 + row as usize];
    gi[0] += acc[0];
    gi[1] += acc[1];
}

/// The three pair sets, by tile.
struct TiledPairs {
    nb: Tiles,
    mn: Tiles,
    fp: Tiles,
}

impl TiledPairs {
    /// Buckets the lists, releasing each as soon as it is bucketed.
    fn new(pairs: Pairs, n: usize) -> Self {
        let Pairs { counts, nb, mn, fp } = pairs;
        let bucket = |list: Vec<u32>, k: usize| Tiles::new(&list, k, n);
        TiledPairs {
            nb: bucket(nb, counts.nb),
            mn: bucket(mn, counts.mn),
            fp: bucket(fp, counts.fp),
        }
    }
}

/// The gradient of the pairs of the rows of `row_blocks`, into `grad` (all n rows, zeroed first).
fn chunk_gradient(
    y: &[[f32; 2]],
    tiles: &TiledPairs,
    row_blocks: Range<usize>,
    w: Weights,
    grad: &mut [[f32; 2]],
) {
    grad.fill([0.0; 2]);
    // Partner blocks outermost: one block's positions and gradient stay cached while every row
    // block of the chunk visits it (rows are read in order, partners at random).
    for p in 0..tiles.nb.partner_blocks {
        for b in row_blocks.clone() {
            let origin = (b * ROW_BLOCK, p * PARTNER_BLOCK);
            tile_gradient(y, grad, tiles.nb.tile(b, p), origin, w.nb, nb_factor);
            if w.mn != 0.0 {
                tile_gradient(y, grad, tiles.mn.tile(b, p), origin, w.mn, mn_factor);
            }
            tile_gradient(y, grad, tiles.fp.tile(b, p), origin, w.fp, fp_factor);
        }
    }
}

/// Runs the optimization on the n × 2 layout `y` in place. Progress counts one unit per iteration
/// after `done_before` units of `total`.
pub(crate) fn optimize(
    y: &mut [f32],
    pairs: Pairs,
    phases: Phases,
    learning_rate: f32,
    cancel: &Cancel,
    progress: (&Progress, u64, u64),
) -> Result<()> {
    let n = y.len() / 2;
    let tiles = TiledPairs::new(pairs, n);
    let row_blocks = n.div_ceil(ROW_BLOCK);
    let chunks: Vec<Range<usize>> = (0..CHUNKS)
        .map(|c| row_blocks * c / CHUNKS..row_blocks * (c + 1) / CHUNKS)
        .filter(|r| !r.is_empty())
        .collect();
    let mut grads = vec![[0f32; 2]; chunks.len() * n];
    let mut m = vec![0f32; 2 * n];
    let mut v = vec![0f32; 2 * n];
    let (reporter, done_before, total) = progress;
    for t in 0..phases.total() {
        cancel.check()?;
        let w = phases.weights(t);
        {
            let (rows, _) = y.as_chunks::<2>();
            grads
                .par_chunks_mut(n)
                .zip(chunks.par_iter())
                .for_each(|(grad, range)| chunk_gradient(rows, &tiles, range.clone(), w, grad));
        }
        let step = step_size(learning_rate, t);
        let grads = grads.as_flattened();
        y.par_chunks_mut(2 * ROWS_PER_TASK)
            .zip(m.par_chunks_mut(2 * ROWS_PER_TASK))
            .zip(v.par_chunks_mut(2 * ROWS_PER_TASK))
            .enumerate()
            .for_each_init(Vec::new, |g, (b, ((yb, mb), vb))| {
                // Chunk buffers are added in chunk order, the same on any number of threads.
                let start = 2 * b * ROWS_PER_TASK;
                g.clear();
                g.extend_from_slice(&grads[start..start + yb.len()]);
                for c in 1..chunks.len() {
                    let part = &grads[2 * c * n + start..2 * c * n + start + yb.len()];
                    g.iter_mut().zip(part).for_each(|(s, p)| *s += p);
                }
                for (((yv, mv), vv), &gv) in yb.iter_mut().zip(mb).zip(vb).zip(g.iter()) {
                    adam(yv, mv, vv, gv, step);
                }
            });
        reporter.report(done_before + t as u64 + 1, total);
    }
    Ok(())
}

/// Places new points into a fixed layout: each new point starts at the mean of its neighbours'
/// positions and moves under the neighbour-pair loss alone (weights of the schedule), with Adam;
/// the layout does not move. `neighbours` is m × k row-major indices into `layout` (n × 2).
pub(crate) fn place(
    layout: &[f32],
    neighbours: &[u32],
    k: usize,
    phases: Phases,
    learning_rate: f32,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Vec<f32>> {
    let (fixed, _) = layout.as_chunks::<2>();
    let m = neighbours.len() / k;
    let mut out = vec![0f32; 2 * m];
    let done = std::sync::atomic::AtomicU64::new(0);
    out.par_chunks_mut(2 * POINTS_PER_TASK)
        .zip(neighbours.par_chunks(k * POINTS_PER_TASK))
        .for_each(|(dst, nbrs)| {
            if cancel.is_set() {
                return;
            }
            for (point, partners) in dst.chunks_exact_mut(2).zip(nbrs.chunks_exact(k)) {
                place_one(fixed, partners, phases, learning_rate, point);
            }
            let finished =
                done.fetch_add((dst.len() / 2) as u64, std::sync::atomic::Ordering::Relaxed);
            progress.report(finished + (dst.len() / 2) as u64, m as u64);
        });
    cancel.check()?;
    Ok(out)
}

fn place_one(
    fixed: &[[f32; 2]],
    partners: &[u32],
    phases: Phases,
    learning_rate: f32,
    point: &mut [f32],
) {
    let k = partners.len() as f32;
    let mut y = [0f32; 2];
    for &j in partners {
        y[0] += fixed[j as usize][0] / k;
        y[1] += fixed[j as usize][1] / k;
    }
    let (mut m, mut v) = ([0f32; 2], [0f32; 2]);
    for t in 0..phases.total() {
        let mut g = [0f32; 2];
        let w = phases.weights(t).nb;
        for &j in partners {
            let term = pair_term(y, fixed[j as usize], w, nb_factor);
            g[0] += term[0];
            g[1] += term[1];
        }
        let step = step_size(learning_rate, t);
        for a in 0..2 {
            adam(&mut y[a], &mut m[a], &mut v[a], g[a], step);
        }
    }
    point.copy_from_slice(&y);
}
