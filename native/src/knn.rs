//! Stand-in k-nearest-neighbour search (exact, blocked, rayon) with the crate-internal API of the
//! knn branch, which replaces this file at merge. `Approximate` and `Auto` fall back to exact.

use napi::Result;
use rayon::prelude::*;

use crate::kernels::{dot, dot4, exact_dist, norm2};
use crate::validate::Cancel;
use crate::Progress;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum Metric {
    Euclidean,
    /// 1 − cosine similarity (a zero row is treated as orthogonal to everything).
    Cosine,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum KnnMethod {
    Exact,
    Approximate { seed: u64 },
    Auto { seed: u64 },
}

/// n × k row-major neighbour lists, each ascending by distance, the row itself excluded.
pub(crate) struct Neighbours {
    pub k: usize,
    pub indices: Vec<u32>,
    pub distances: Vec<f32>,
}

/// Query rows handled together by one rayon task: they stay in cache while all data rows stream by.
const QUERY_BLOCK: usize = 128;

struct TopK {
    k: usize,
    items: Vec<(f32, u32)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    #[inline]
    fn push(&mut self, d2: f32, j: u32) {
        if self.items.len() == self.k {
            if d2 >= self.items[self.k - 1].0 {
                return;
            }
            self.items.pop();
        }
        let pos = self.items.partition_point(|&(d, _)| d <= d2);
        self.items.insert(pos, (d2, j));
    }
}

fn unit_rows(data: &[f32], dim: usize) -> Vec<f32> {
    let mut out = data.to_vec();
    out.par_chunks_mut(dim).for_each(|row| {
        let s = norm2(row);
        let inv = if s > 0.0 { 1.0 / s.sqrt() } else { 0.0 };
        row.iter_mut().for_each(|v| *v *= inv);
    });
    out
}

#[inline]
fn row(x: &[f32], dim: usize, i: usize) -> &[f32] {
    &x[i * dim..(i + 1) * dim]
}

/// Exact search of `queries` against `data`; with `exclude_self`, query row i skips data row i.
fn search(
    data: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
    exclude_self: bool,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Neighbours> {
    let m = queries.len() / dim;
    let norms: Vec<f32> = data.par_chunks(dim).map(norm2).collect();
    let qnorms: Vec<f32> = queries.par_chunks(dim).map(norm2).collect();
    let blocks = m.div_ceil(QUERY_BLOCK) as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut indices = vec![0u32; m * k];
    let mut distances = vec![0f32; m * k];
    indices
        .par_chunks_mut(QUERY_BLOCK * k)
        .zip(distances.par_chunks_mut(QUERY_BLOCK * k))
        .enumerate()
        .for_each(|(b, (idx_block, dist_block))| {
            if cancel.is_set() {
                return;
            }
            let q0 = b * QUERY_BLOCK;
            let qn = idx_block.len() / k;
            let mut tops: Vec<TopK> = (0..qn).map(|_| TopK::new(k)).collect();
            for (j, (x, &nj)) in data.chunks_exact(dim).zip(&norms).enumerate() {
                let mut q = 0;
                while q < qn {
                    let i = q0 + q;
                    let (dots, take) = if q + 4 <= qn {
                        let qs = [0, 1, 2, 3].map(|r| row(queries, dim, i + r));
                        (dot4(qs, x), 4)
                    } else {
                        ([dot(row(queries, dim, i), x), 0.0, 0.0, 0.0], 1)
                    };
                    for (r, d) in dots.iter().enumerate().take(take) {
                        if !(exclude_self && i + r == j) {
                            let d2 = (qnorms[i + r] + nj - 2.0 * d).max(0.0);
                            tops[q + r].push(d2, j as u32);
                        }
                    }
                    q += take;
                }
            }
            for (q, top) in tops.iter().enumerate() {
                let a = row(queries, dim, q0 + q);
                let mut kept: Vec<(f32, u32)> = top
                    .items
                    .iter()
                    .map(|&(_, j)| (exact_dist(a, row(data, dim, j as usize)) as f32, j))
                    .collect();
                kept.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                for (t, (d, j)) in kept.into_iter().enumerate() {
                    dist_block[q * k + t] = d;
                    idx_block[q * k + t] = j;
                }
            }
            let now = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.report(now, blocks);
        });
    cancel.check()?;
    Ok(Neighbours {
        k,
        indices,
        distances,
    })
}

/// Cosine search is euclidean search on unit rows, with ‖a − b‖² / 2 = 1 − cos(a, b).
fn to_cosine(mut nb: Neighbours) -> Neighbours {
    nb.distances.iter_mut().for_each(|d| *d = *d * *d / 2.0);
    nb
}

/// The k nearest other rows of every row of `data` (n × dim), k < n.
pub(crate) fn knn(
    data: &[f32],
    dim: usize,
    k: usize,
    metric: Metric,
    _method: KnnMethod,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Neighbours> {
    match metric {
        Metric::Euclidean => search(data, data, dim, k, true, cancel, progress),
        Metric::Cosine => {
            let unit = unit_rows(data, dim);
            search(&unit, &unit, dim, k, true, cancel, progress).map(to_cosine)
        }
    }
}

/// For each row of `queries`, its k nearest rows of `data` (nothing excluded), k ≤ n.
pub(crate) fn knn_query(
    data: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
    metric: Metric,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Neighbours> {
    match metric {
        Metric::Euclidean => search(data, queries, dim, k, false, cancel, progress),
        Metric::Cosine => {
            let (ud, uq) = (unit_rows(data, dim), unit_rows(queries, dim));
            search(&ud, &uq, dim, k, false, cancel, progress).map(to_cosine)
        }
    }
}
