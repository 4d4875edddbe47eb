//! Near-duplicate groups: every pair of rows closer than a threshold (exact range search), the
//! connected components of those pairs, and one representative per component.

use std::sync::atomic::{AtomicU32, Ordering};

use napi::Result;
use rayon::prelude::*;

use crate::kernels::dots_block;
use crate::knn::{build_lists, Metric, Space};
use crate::validate::Cancel;
use crate::Progress;

/// Above this many rows the pairs are searched list by list (k-means lists, exact pruning by the
/// triangle inequality); below, every block pair is compared.
pub(crate) const LISTS_MIN_ROWS: usize = 20_000;
const BLOCK: usize = 96;

pub(crate) struct Groups {
    /// Per row: group id, or −1 when the row has no near-duplicate.
    pub group_of: Vec<i32>,
    /// Per group id: the representative row.
    pub representatives: Vec<u32>,
}

/// Lock-free union-find: a root always links to the smaller root, so the components (and the
/// smallest member, the root) do not depend on the order in which pairs arrive.
struct UnionFind(Vec<AtomicU32>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n as u32).map(AtomicU32::new).collect())
    }
    fn find(&self, mut x: u32) -> u32 {
        loop {
            let p = self.0[x as usize].load(Ordering::Acquire);
            if p == x {
                return x;
            }
            let gp = self.0[p as usize].load(Ordering::Acquire);
            // Path halving; a failed exchange only means someone else shortened it.
            let _ = self.0[x as usize].compare_exchange(p, gp, Ordering::AcqRel, Ordering::Relaxed);
            x = gp;
        }
    }
    fn union(&self, a: u32, b: u32) {
        loop {
            let ra = self.find(a);
            let rb = self.find(b);
            if ra == rb {
                return;
            }
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            if self.0[hi as usize]
                .compare_exchange(hi, lo, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
        }
    }
}

/// Tests every pair (i, j) of `qrows` × `crows` whose approximate distance is near the threshold
/// exactly, and records the close ones. `pair_ok` filters pairs (i < j, no zero rows).
#[allow(clippy::too_many_arguments)]
fn scan_pairs(
    s: &Space<'_>,
    qidx: &[u32],
    qrows: &[f32],
    cidx: &[u32],
    crows: &[f32],
    limit: f64,
    key_limit: f32,
    tol_factor: f32,
    tile: &mut Vec<f32>,
    uf: &UnionFind,
    degree: &[AtomicU32],
) {
    let dim = s.dim;
    let (qn, cn) = (qidx.len(), cidx.len());
    tile.resize(qn * cn, 0.0);
    dots_block(qrows, qn, crows, cn, dim, tile, cn);
    let scale = s.scale();
    for (r, &i) in qidx.iter().enumerate() {
        let qt = s.query_term(i as usize);
        let qa = s.add[i as usize];
        for (c, &j) in cidx.iter().enumerate() {
            if j <= i {
                continue;
            }
            let approx = qt + s.add[j as usize] + scale * tile[r * cn + c];
            // float32 rounding of the key is at most about dim·ε·(‖a‖² + ‖b‖²): a margin of that.
            let tol = tol_factor * (qa + s.add[j as usize] + 1.0);
            if approx - tol >= key_limit {
                continue;
            }
            if s.exact(i as usize, s, j as usize) < limit {
                uf.union(i, j);
                degree[i as usize].fetch_add(1, Ordering::Relaxed);
                degree[j as usize].fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Inputs must already be validated (finite, n ≥ 1, threshold ≥ 0).
pub(crate) fn duplicate_groups(
    data: &[f32],
    dim: usize,
    threshold: f64,
    metric: Metric,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Groups> {
    let s = Space::new(data, dim, metric);
    let n = s.n;
    let uf = UnionFind::new(n);
    let degree: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    // Approximate-key limit: d² for euclidean, 1 − cos for cosine.
    let key_limit = match metric {
        Metric::Euclidean => (threshold * threshold) as f32,
        Metric::Cosine => threshold as f32,
    };
    let tol_factor = (dim as f32 + 8.0) * f32::EPSILON * 2.0;
    // Cosine: a zero row is at distance 1 from every row, so it joins everything when the
    // threshold is above 1 and nothing otherwise; the search itself skips zero rows.
    let zero: Vec<u32> = match metric {
        Metric::Cosine => (0..n as u32)
            .filter(|&i| s.norms[i as usize] == 0.0)
            .collect(),
        Metric::Euclidean => Vec::new(),
    };
    let active: Vec<u32> = if zero.is_empty() {
        (0..n as u32).collect()
    } else {
        (0..n as u32)
            .filter(|&i| s.norms[i as usize] > 0.0)
            .collect()
    };
    let done = std::sync::atomic::AtomicU64::new(0);
    let report = |rows: usize| {
        let d = done.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        progress.report(d, active.len() as u64);
    };
    let rows = s.rows();
    let gather = |idx: &[u32], out: &mut Vec<f32>| {
        out.clear();
        for &i in idx {
            out.extend_from_slice(&rows[i as usize * dim..(i as usize + 1) * dim]);
        }
    };
    if active.len() <= LISTS_MIN_ROWS {
        // Every block pair (a, b) with b ≥ a.
        let blocks: Vec<&[u32]> = active.chunks(BLOCK).collect();
        (0..blocks.len()).into_par_iter().for_each(|a| {
            if cancel.is_set() {
                return;
            }
            let (mut qrows, mut crows, mut tile) = (Vec::new(), Vec::new(), Vec::new());
            gather(blocks[a], &mut qrows);
            for b in blocks.iter().skip(a) {
                gather(b, &mut crows);
                scan_pairs(
                    &s, blocks[a], &qrows, b, &crows, threshold, key_limit, tol_factor, &mut tile,
                    &uf, &degree,
                );
            }
            report(blocks[a].len());
        });
    } else {
        // k-means lists over the kernel rows; lists A ≤ B are compared only when
        // ‖c_A − c_B‖ − r_A − r_B < t (kernel-space radius r = farthest member from the centroid),
        // which no pair closer than t can fail: the search stays exact.
        let mut act_rows = Vec::new();
        gather(&active, &mut act_rows);
        let lists = build_lists(
            &act_rows,
            dim,
            (active.len() as f64).sqrt().round() as usize,
            0,
            cancel,
        )?;
        let c = lists.count();
        let radius: Vec<f64> = (0..c)
            .into_par_iter()
            .map(|l| {
                let cen = &lists.centroids[l * dim..(l + 1) * dim];
                lists
                    .members(l)
                    .iter()
                    .map(|&m| {
                        let row = &act_rows[m as usize * dim..(m as usize + 1) * dim];
                        crate::kernels::exact_dist(row, cen)
                    })
                    .fold(0.0, f64::max)
            })
            .collect();
        let cen = |l: usize| &lists.centroids[l * dim..(l + 1) * dim];
        // The threshold in kernel space: euclidean as is; cosine on unit rows ‖a − b‖ = √(2t).
        let kernel_t = match metric {
            Metric::Euclidean => threshold,
            Metric::Cosine => (2.0 * threshold).sqrt(),
        };
        let slack = 1e-4 * (1.0 + radius.iter().cloned().fold(0.0, f64::max));
        // Global indices of each list's members.
        let global: Vec<Vec<u32>> = (0..c)
            .map(|l| {
                lists
                    .members(l)
                    .iter()
                    .map(|&m| active[m as usize])
                    .collect()
            })
            .collect();
        (0..c).into_par_iter().for_each(|a| {
            if cancel.is_set() || global[a].is_empty() {
                return;
            }
            let (mut qrows, mut crows, mut tile) = (Vec::new(), Vec::new(), Vec::new());
            for b in a..c {
                if global[b].is_empty() {
                    continue;
                }
                let gap = crate::kernels::exact_dist(cen(a), cen(b)) - radius[a] - radius[b];
                if gap >= kernel_t + slack {
                    continue;
                }
                for qb in global[a].chunks(BLOCK) {
                    gather(qb, &mut qrows);
                    for cb in global[b].chunks(BLOCK * 4) {
                        gather(cb, &mut crows);
                        scan_pairs(
                            &s, qb, &qrows, cb, &crows, threshold, key_limit, tol_factor,
                            &mut tile, &uf, &degree,
                        );
                    }
                }
            }
            report(global[a].len());
        });
    }
    cancel.check()?;
    if !zero.is_empty() && threshold > 1.0 && n > 1 {
        for &z in &zero {
            for j in 0..n as u32 {
                if j != z {
                    uf.union(z, j);
                }
            }
            // A zero row is a near-duplicate of every other row.
            degree[z as usize].store(n as u32 - 1, Ordering::Relaxed);
        }
        // ...and every other row gains one near-duplicate per zero row.
        for (j, d) in degree.iter().enumerate() {
            if s.norms[j] > 0.0 {
                d.fetch_add(zero.len() as u32, Ordering::Relaxed);
            }
        }
    }
    // Group ids in order of each group's lowest member (the union-find root); rows without a
    // near-duplicate (degree 0) get −1. Representative: most near-duplicates, then lowest index.
    let mut group_of = vec![-1i32; n];
    let mut representatives: Vec<u32> = Vec::new();
    let mut best_degree: Vec<u32> = Vec::new();
    let mut id_of_root = vec![-1i32; n];
    for i in 0..n {
        let d = degree[i].load(Ordering::Relaxed);
        if d == 0 {
            continue;
        }
        let root = uf.find(i as u32) as usize;
        let id = if id_of_root[root] < 0 {
            id_of_root[root] = representatives.len() as i32;
            representatives.push(i as u32);
            best_degree.push(d);
            id_of_root[root]
        } else {
            let id = id_of_root[root];
            if d > best_degree[id as usize] {
                best_degree[id as usize] = d;
                representatives[id as usize] = i as u32;
            }
            id
        };
        group_of[i] = id;
    }
    Ok(Groups {
        group_of,
        representatives,
    })
}
