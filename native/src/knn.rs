//! k-nearest neighbours (exact and approximate) and exact range search, euclidean or cosine.
//!
//! Every search ranks candidates with a blocked dot-product kernel (`kernels::dots_block`): for
//! euclidean distance the key is ‖b‖² − 2a·b (‖a‖² is the same for every candidate of a query),
//! for cosine distance it is −â·b̂ on L2-normalized rows. Keys are float32 and only rank: a few
//! more candidates than asked for are kept, their distances are recomputed from the raw rows in
//! float64, and the final order is by (exact distance, index). Rows of norm 0 have cosine
//! distance 1 to everything (their normalized row is 0, so their key is 0 = "cosine 0" as well).
//!
//! Approximate search is an inverted-file (IVF) self-join: k-means partitions the rows into about
//! √n lists, and the rows of each list are compared, with the same blocked kernel, against every
//! row of the lists whose centroids are nearest to that list's centroid (at least
//! `PROBE_LISTS` lists and `PROBE_ROWS_FACTOR`·√n rows). Everything is seeded and reduced in a
//! fixed order, so results do not depend on the number of threads.

use napi::Result;
use rayon::prelude::*;

use crate::kernels::{dots_block, exact_cosine, exact_dist, norm2, norm_f64};
use crate::rng::SplitMix64;
use crate::validate::{invalid, Cancel};
use crate::Progress;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Metric {
    Euclidean,
    Cosine,
}

impl Metric {
    pub(crate) fn parse(what: &str, s: Option<&str>, default: Metric) -> Result<Metric> {
        match s {
            None => Ok(default),
            Some("euclidean") => Ok(Metric::Euclidean),
            Some("cosine") => Ok(Metric::Cosine),
            Some(other) => Err(invalid(format!(
                "{what}: options.metric must be 'euclidean' or 'cosine', got '{other}'"
            ))),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KnnMethod {
    Exact,
    Approximate {
        seed: u64,
    },
    /// Exact up to `AUTO_EXACT_MAX_ROWS` rows, approximate above.
    Auto {
        seed: u64,
    },
}

impl KnnMethod {
    /// Reads the option `field` ('exact', 'approximate' or 'auto', the default).
    pub(crate) fn parse(what: &str, field: &str, s: Option<&str>, seed: u64) -> Result<KnnMethod> {
        match s {
            None | Some("auto") => Ok(KnnMethod::Auto { seed }),
            Some("exact") => Ok(KnnMethod::Exact),
            Some("approximate") => Ok(KnnMethod::Approximate { seed }),
            Some(other) => Err(invalid(format!(
                "{what}: options.{field} must be 'exact', 'approximate' or 'auto', got '{other}'"
            ))),
        }
    }
}

/// n × k neighbours, row-major; each row sorted by ascending distance, ties by lower index.
pub(crate) struct Neighbours {
    pub k: usize,
    pub indices: Vec<u32>,
    pub distances: Vec<f32>,
}

/// `auto` is exact up to this many rows (exact costs n²·d multiply-adds; at 20,000 × 512 that is
/// about 3 s on 2 cores) and approximate above.
pub(crate) const AUTO_EXACT_MAX_ROWS: usize = 20_000;
/// Approximate search probes at least this many lists per list...
const PROBE_LISTS: usize = 8;
/// ...and at least this many times √n candidate rows.
const PROBE_ROWS_FACTOR: f64 = 3.0;
/// k-means for the approximate search: Lloyd iterations, on at most this many rows per list.
const KMEANS_ITERATIONS: usize = 6;
const KMEANS_SAMPLE_PER_LIST: usize = 32;
/// Query rows per block (one rayon task in the exact search).
const QUERY_BLOCK: usize = 96;
/// Bytes of candidate rows per block: they stay in L2 while a query block streams over them.
const CANDIDATE_BLOCK_BYTES: usize = 256 * 1024;

fn candidate_block(dim: usize) -> usize {
    (CANDIDATE_BLOCK_BYTES / (4 * dim)).clamp(48, 2048) / 3 * 3
}

/// The rows as the kernel reads them, plus what turns dot products into keys and distances.
pub(crate) struct Space<'a> {
    pub raw: &'a [f32],
    pub dim: usize,
    pub n: usize,
    pub metric: Metric,
    /// L2-normalized rows (cosine only).
    normalized: Vec<f32>,
    /// ‖x‖² per row (euclidean), 0 (cosine).
    pub add: Vec<f32>,
    /// ‖x‖ per row in f64 (cosine), empty (euclidean).
    pub norms: Vec<f64>,
}

impl<'a> Space<'a> {
    pub(crate) fn new(raw: &'a [f32], dim: usize, metric: Metric) -> Self {
        let n = raw.len() / dim;
        match metric {
            Metric::Euclidean => Space {
                raw,
                dim,
                n,
                metric,
                normalized: Vec::new(),
                add: raw.par_chunks(dim).map(norm2).collect(),
                norms: Vec::new(),
            },
            Metric::Cosine => {
                let norms: Vec<f64> = raw.par_chunks(dim).map(norm_f64).collect();
                let mut normalized = vec![0f32; raw.len()];
                normalized
                    .par_chunks_mut(dim)
                    .zip(raw.par_chunks(dim))
                    .zip(norms.par_iter())
                    .for_each(|((dst, src), &nrm)| {
                        if nrm > 0.0 {
                            let inv = 1.0 / nrm;
                            for (d, s) in dst.iter_mut().zip(src) {
                                *d = (*s as f64 * inv) as f32;
                            }
                        }
                    });
                Space {
                    raw,
                    dim,
                    n,
                    metric,
                    normalized,
                    add: vec![0.0; n],
                    norms,
                }
            }
        }
    }

    /// The rows the kernel reads.
    pub(crate) fn rows(&self) -> &[f32] {
        match self.metric {
            Metric::Euclidean => self.raw,
            Metric::Cosine => &self.normalized,
        }
    }

    /// key = add[j] + scale · dot.
    pub(crate) fn scale(&self) -> f32 {
        match self.metric {
            Metric::Euclidean => -2.0,
            Metric::Cosine => -1.0,
        }
    }

    /// What turns a key into an approximate distance measure: euclidean ‖a‖² + key = d²,
    /// cosine 1 + key = 1 − cos.
    pub(crate) fn query_term(&self, i: usize) -> f32 {
        match self.metric {
            Metric::Euclidean => self.add[i],
            Metric::Cosine => 1.0,
        }
    }

    /// Exact distance (f64, from the raw rows) between row `i` of `self` and row `j` of `other`.
    pub(crate) fn exact(&self, i: usize, other: &Space<'_>, j: usize) -> f64 {
        let a = &self.raw[i * self.dim..(i + 1) * self.dim];
        let b = &other.raw[j * other.dim..(j + 1) * other.dim];
        match self.metric {
            Metric::Euclidean => exact_dist(a, b),
            Metric::Cosine => exact_cosine(a, self.norms[i], b, other.norms[j]),
        }
    }
}

/// The best `cap` candidates by (key, index): a max-heap on (key, index) (the worst kept
/// candidate on top), sorted when read.
pub(crate) struct TopK {
    cap: usize,
    heap: Vec<(f32, u32)>,
}

#[inline]
fn worse(a: (f32, u32), b: (f32, u32)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 > b.1)
}

impl TopK {
    pub(crate) fn new(cap: usize) -> Self {
        TopK {
            cap,
            heap: Vec::with_capacity(cap),
        }
    }

    #[inline]
    fn threshold(&self) -> f32 {
        if self.heap.len() < self.cap {
            f32::INFINITY
        } else {
            self.heap[0].0
        }
    }

    #[inline]
    fn push(&mut self, key: f32, j: u32) {
        let item = (key, j);
        let h = &mut self.heap;
        if h.len() < self.cap {
            // Sift up.
            h.push(item);
            let mut i = h.len() - 1;
            while i > 0 {
                let parent = (i - 1) / 2;
                if worse(h[i], h[parent]) {
                    h.swap(i, parent);
                    i = parent;
                } else {
                    break;
                }
            }
            return;
        }
        if !worse(h[0], item) {
            return;
        }
        // Replace the top and sift down.
        let n = h.len();
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let c = if r < n && worse(h[r], h[l]) { r } else { l };
            if worse(h[c], item) {
                h[i] = h[c];
                i = c;
            } else {
                break;
            }
        }
        h[i] = item;
    }

    /// The kept candidates, best first.
    fn sorted(&self) -> Vec<(f32, u32)> {
        let mut v = self.heap.clone();
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        v
    }
}

/// A block of candidate rows, contiguous, with their indices and key terms.
struct Candidates<'b> {
    rows: &'b [f32],
    /// Global index of each candidate; `None`: `base + position`.
    idx: Option<&'b [u32]>,
    base: u32,
    add: &'b [f32],
}

impl Candidates<'_> {
    #[inline]
    fn index(&self, c: usize) -> u32 {
        match self.idx {
            Some(idx) => idx[c],
            None => self.base + c as u32,
        }
    }
}

/// Ranks every candidate for each of the `qn` query rows (contiguous in `queries`) into `tops`,
/// skipping a candidate whose index equals the query's `exclude` index. `tile` is scratch.
#[allow(clippy::too_many_arguments)]
fn scan(
    queries: &[f32],
    qn: usize,
    exclude: &[u32],
    cands: &Candidates<'_>,
    dim: usize,
    scale: f32,
    tops: &mut [TopK],
    tile: &mut Vec<f32>,
) {
    let cn = cands.add.len();
    let block = candidate_block(dim);
    tile.resize(qn * block.min(cn), 0.0);
    let mut c0 = 0;
    while c0 < cn {
        let cb = block.min(cn - c0);
        dots_block(
            queries,
            qn,
            &cands.rows[c0 * dim..(c0 + cb) * dim],
            cb,
            dim,
            tile,
            cb,
        );
        let add = &cands.add[c0..c0 + cb];
        for (r, top) in tops.iter_mut().enumerate().take(qn) {
            let mut thr = top.threshold();
            let row = &tile[r * cb..(r + 1) * cb];
            let mut c = 0;
            while c < cb {
                let end = (c + 8).min(cb);
                // Most chunks hold no candidate under the threshold: one vectorized test skips them.
                if end - c == 8 {
                    let (a8, r8) = (&add[c..end], &row[c..end]);
                    let mut below = 0u32;
                    for t in 0..8 {
                        below |= u32::from(a8[t] + scale * r8[t] <= thr);
                    }
                    if below == 0 {
                        c = end;
                        continue;
                    }
                }
                for t in c..end {
                    let key = add[t] + scale * row[t];
                    // A NaN key (rows that overflow float32) also passes, as +inf.
                    if key <= thr || key.is_nan() {
                        let j = cands.index(c0 + t);
                        if j != exclude[r] {
                            top.push(if key.is_nan() { f32::INFINITY } else { key }, j);
                            thr = top.threshold();
                        }
                    }
                }
                c = end;
            }
        }
        c0 += cb;
    }
}

/// Turns ranked candidates into the final k: exact distances, sorted by (distance, index).
fn finish(
    query_space: &Space<'_>,
    qi: usize,
    data_space: &Space<'_>,
    top: &TopK,
    k: usize,
    out_idx: &mut [u32],
    out_dist: &mut [f32],
) {
    let mut exact: Vec<(f64, u32)> = top
        .sorted()
        .iter()
        .map(|&(_, j)| (query_space.exact(qi, data_space, j as usize), j))
        .collect();
    exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (t, &(d, j)) in exact.iter().take(k).enumerate() {
        out_idx[t] = j;
        out_dist[t] = d as f32;
    }
}

/// How many candidates are ranked for a final k: a margin for keys that float32 misorders.
fn ranked(k: usize, available: usize) -> usize {
    (k + k.clamp(4, 16)).min(available)
}

/// Exact k nearest rows of `data` for each row of `queries`; `self_index` says, for queries that
/// are rows of `data`, which index to exclude (`u32::MAX`: none).
#[allow(clippy::too_many_arguments)]
fn exact_search(
    qs: &Space<'_>,
    ds: &Space<'_>,
    k: usize,
    exclude_self: bool,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Neighbours> {
    let dim = ds.dim;
    let nq = qs.n;
    let nd = ds.n;
    let cap = ranked(k, if exclude_self { nd - 1 } else { nd });
    let mut indices = vec![0u32; nq * k];
    let mut distances = vec![0f32; nq * k];
    let done = std::sync::atomic::AtomicU64::new(0);
    let cands = Candidates {
        rows: ds.rows(),
        idx: None,
        base: 0,
        add: &ds.add,
    };
    let scale = ds.scale();
    indices
        .par_chunks_mut(QUERY_BLOCK * k)
        .zip(distances.par_chunks_mut(QUERY_BLOCK * k))
        .enumerate()
        .for_each(|(b, (oi, od))| {
            if cancel.is_set() {
                return;
            }
            let q0 = b * QUERY_BLOCK;
            let qn = oi.len() / k;
            let exclude: Vec<u32> = (0..qn)
                .map(|r| {
                    if exclude_self {
                        (q0 + r) as u32
                    } else {
                        u32::MAX
                    }
                })
                .collect();
            let mut tops: Vec<TopK> = (0..qn).map(|_| TopK::new(cap)).collect();
            let mut tile = Vec::new();
            // Data in slabs so that cancellation is noticed within a fraction of a second.
            let slab = candidate_block(dim) * 16;
            let mut s0 = 0;
            while s0 < nd {
                if cancel.is_set() {
                    return;
                }
                let sn = slab.min(nd - s0);
                let part = Candidates {
                    rows: &cands.rows[s0 * dim..(s0 + sn) * dim],
                    idx: None,
                    base: s0 as u32,
                    add: &cands.add[s0..s0 + sn],
                };
                scan(
                    &qs.rows()[q0 * dim..(q0 + qn) * dim],
                    qn,
                    &exclude,
                    &part,
                    dim,
                    scale,
                    &mut tops,
                    &mut tile,
                );
                s0 += sn;
            }
            for (r, top) in tops.iter().enumerate() {
                finish(
                    qs,
                    q0 + r,
                    ds,
                    top,
                    k,
                    &mut oi[r * k..(r + 1) * k],
                    &mut od[r * k..(r + 1) * k],
                );
            }
            let d = done.fetch_add(qn as u64, std::sync::atomic::Ordering::Relaxed) + qn as u64;
            progress.report(d, nq as u64);
        });
    cancel.check()?;
    Ok(Neighbours {
        k,
        indices,
        distances,
    })
}

// ---------------------------------------------------------------------------------------------
// k-means and inverted lists (approximate search, range search on large inputs).
// ---------------------------------------------------------------------------------------------

/// `m` distinct indices of 0..n, chosen at random, in increasing order.
fn sample_indices(n: usize, m: usize, rng: &mut SplitMix64) -> Vec<u32> {
    if m >= n {
        return (0..n as u32).collect();
    }
    let mut all: Vec<u32> = (0..n as u32).collect();
    for i in 0..m {
        let j = i + rng.below_53(n - i);
        all.swap(i, j);
    }
    all.truncate(m);
    all.sort_unstable();
    all
}

/// Nearest centroid (squared euclidean, ties to the lower centroid) of each of the `m` rows.
fn assign(rows: &[f32], dim: usize, centroids: &[f32], cnorm: &[f32], cancel: &Cancel) -> Vec<u32> {
    const BLOCK: usize = 64;
    let c = cnorm.len();
    let mut out = vec![0u32; rows.len() / dim];
    out.par_chunks_mut(BLOCK)
        .enumerate()
        .for_each_init(Vec::new, |tile, (b, dst)| {
            if cancel.is_set() {
                return;
            }
            let r0 = b * BLOCK;
            let rn = dst.len();
            tile.resize(rn * c, 0.0);
            dots_block(
                &rows[r0 * dim..(r0 + rn) * dim],
                rn,
                centroids,
                c,
                dim,
                tile,
                c,
            );
            for (r, slot) in dst.iter_mut().enumerate() {
                let mut best = (f32::INFINITY, 0u32);
                for (j, (&dot, &cn)) in tile[r * c..(r + 1) * c].iter().zip(cnorm).enumerate() {
                    let key = cn - 2.0 * dot;
                    if key < best.0 {
                        best = (key, j as u32);
                    }
                }
                *slot = best.1;
            }
        });
    out
}

/// Members of each list, by increasing index: `(start, members)` with list `l` at
/// `members[start[l]..start[l + 1]]`.
fn bucket(assignment: &[u32], lists: usize) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; lists + 1];
    for &a in assignment {
        start[a as usize + 1] += 1;
    }
    for l in 0..lists {
        start[l + 1] += start[l];
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; assignment.len()];
    for (i, &a) in assignment.iter().enumerate() {
        members[fill[a as usize]] = i as u32;
        fill[a as usize] += 1;
    }
    (start, members)
}

fn gather(rows: &[f32], dim: usize, idx: &[u32], out: &mut Vec<f32>) {
    out.clear();
    out.reserve(idx.len() * dim);
    for &i in idx {
        out.extend_from_slice(&rows[i as usize * dim..(i as usize + 1) * dim]);
    }
}

/// Inverted lists over the kernel rows of a space: k-means centroids (Lloyd on a seeded sample,
/// seeded initial centroids) and every row's list.
pub(crate) struct Lists {
    pub centroids: Vec<f32>,
    pub start: Vec<usize>,
    pub members: Vec<u32>,
}

impl Lists {
    pub(crate) fn count(&self) -> usize {
        self.start.len() - 1
    }
    pub(crate) fn members(&self, l: usize) -> &[u32] {
        &self.members[self.start[l]..self.start[l + 1]]
    }
}

pub(crate) fn build_lists(
    rows: &[f32],
    dim: usize,
    lists: usize,
    seed: u64,
    cancel: &Cancel,
) -> Result<Lists> {
    let n = rows.len() / dim;
    let lists = lists.clamp(1, n);
    let mut rng = SplitMix64::new(seed ^ 0x5851_F42D_4C95_7F2D);
    let sample = sample_indices(n, lists * KMEANS_SAMPLE_PER_LIST, &mut rng);
    let mut train = Vec::new();
    gather(rows, dim, &sample, &mut train);
    let m = sample.len();
    // Initial centroids: `lists` distinct training rows.
    let init = sample_indices(m, lists, &mut rng);
    let mut centroids = Vec::new();
    gather(&train, dim, &init, &mut centroids);
    for _ in 0..KMEANS_ITERATIONS {
        cancel.check()?;
        let cnorm: Vec<f32> = centroids.chunks(dim).map(norm2).collect();
        let a = assign(&train, dim, &centroids, &cnorm, cancel);
        let (start, members) = bucket(&a, lists);
        centroids
            .par_chunks_mut(dim)
            .enumerate()
            .for_each(|(l, cen)| {
                let mem = &members[start[l]..start[l + 1]];
                if mem.is_empty() {
                    return; // an empty list keeps its centroid
                }
                let mut sum = vec![0f64; dim];
                for &i in mem {
                    for (s, v) in sum
                        .iter_mut()
                        .zip(&train[i as usize * dim..(i as usize + 1) * dim])
                    {
                        *s += *v as f64;
                    }
                }
                let inv = 1.0 / mem.len() as f64;
                for (c, s) in cen.iter_mut().zip(&sum) {
                    *c = (s * inv) as f32;
                }
            });
    }
    cancel.check()?;
    let cnorm: Vec<f32> = centroids.chunks(dim).map(norm2).collect();
    let a = assign(rows, dim, &centroids, &cnorm, cancel);
    cancel.check()?;
    let (start, members) = bucket(&a, lists);
    Ok(Lists {
        centroids,
        start,
        members,
    })
}

/// Squared distances between all centroids (c × c).
pub(crate) fn centroid_distances(centroids: &[f32], dim: usize) -> Vec<f32> {
    let c = centroids.len() / dim;
    let cnorm: Vec<f32> = centroids.chunks(dim).map(norm2).collect();
    let mut d = vec![0f32; c * c];
    d.par_chunks_mut(c).enumerate().for_each(|(i, row)| {
        dots_block(
            &centroids[i * dim..(i + 1) * dim],
            1,
            centroids,
            c,
            dim,
            row,
            c,
        );
        for (j, v) in row.iter_mut().enumerate() {
            *v = (cnorm[i] + cnorm[j] - 2.0 * *v).max(0.0);
        }
        row[i] = 0.0;
    });
    d
}

fn approximate_search(
    s: &Space<'_>,
    k: usize,
    seed: u64,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Neighbours> {
    let n = s.n;
    let dim = s.dim;
    let root = (n as f64).sqrt();
    let lists = build_lists(s.rows(), dim, root.round() as usize, seed, cancel)?;
    let c = lists.count();
    let cdist = centroid_distances(&lists.centroids, dim);
    let min_rows = ((PROBE_ROWS_FACTOR * root) as usize).max(k + 1);
    let cap = ranked(k, n - 1);
    let scale = s.scale();
    let done = std::sync::atomic::AtomicU64::new(0);
    // Larger lists first, so the last tasks are short.
    let mut order: Vec<usize> = (0..c).filter(|&l| !lists.members(l).is_empty()).collect();
    order.sort_by_key(|&l| (std::cmp::Reverse(lists.members(l).len()), l));
    let parts: Vec<(Vec<u32>, Vec<u32>, Vec<f32>)> = order
        .par_iter()
        .map(|&l| {
            let queries = lists.members(l);
            if cancel.is_set() {
                return (Vec::new(), Vec::new(), Vec::new());
            }
            // Probed lists: nearest centroids first (ties by index), the list itself included.
            let row = &cdist[l * c..(l + 1) * c];
            let mut near: Vec<u32> = (0..c as u32).collect();
            near.sort_by(|&a, &b| row[a as usize].total_cmp(&row[b as usize]).then(a.cmp(&b)));
            let mut cand_idx: Vec<u32> = Vec::new();
            let mut probed = 0;
            for &m in &near {
                if probed >= PROBE_LISTS && cand_idx.len() >= min_rows {
                    break;
                }
                let mem = lists.members(m as usize);
                if mem.is_empty() {
                    continue;
                }
                cand_idx.extend_from_slice(mem);
                probed += 1;
            }
            // Fewer candidates than needed only when n is tiny: then take every row.
            if cand_idx.len() < cap + 1 {
                cand_idx = (0..n as u32).collect();
            }
            let mut cand_rows = Vec::new();
            gather(s.rows(), dim, &cand_idx, &mut cand_rows);
            let cand_add: Vec<f32> = cand_idx.iter().map(|&j| s.add[j as usize]).collect();
            let cands = Candidates {
                rows: &cand_rows,
                idx: Some(&cand_idx),
                base: 0,
                add: &cand_add,
            };
            let mut out_i = vec![0u32; queries.len() * k];
            let mut out_d = vec![0f32; queries.len() * k];
            let mut qrows = Vec::new();
            let mut tile = Vec::new();
            for (b, qb) in queries.chunks(QUERY_BLOCK).enumerate() {
                if cancel.is_set() {
                    break;
                }
                gather(s.rows(), dim, qb, &mut qrows);
                let mut tops: Vec<TopK> = (0..qb.len()).map(|_| TopK::new(cap)).collect();
                scan(
                    &qrows,
                    qb.len(),
                    qb,
                    &cands,
                    dim,
                    scale,
                    &mut tops,
                    &mut tile,
                );
                for (r, top) in tops.iter().enumerate() {
                    let o = (b * QUERY_BLOCK + r) * k;
                    finish(
                        s,
                        qb[r] as usize,
                        s,
                        top,
                        k,
                        &mut out_i[o..o + k],
                        &mut out_d[o..o + k],
                    );
                }
            }
            let d = done.fetch_add(queries.len() as u64, std::sync::atomic::Ordering::Relaxed)
                + queries.len() as u64;
            progress.report(d, n as u64);
            (queries.to_vec(), out_i, out_d)
        })
        .collect();
    cancel.check()?;
    let mut indices = vec![0u32; n * k];
    let mut distances = vec![0f32; n * k];
    for (queries, oi, od) in parts {
        for (r, &q) in queries.iter().enumerate() {
            let q = q as usize;
            indices[q * k..(q + 1) * k].copy_from_slice(&oi[r * k..(r + 1) * k]);
            distances[q * k..(q + 1) * k].copy_from_slice(&od[r * k..(r + 1) * k]);
        }
    }
    Ok(Neighbours {
        k,
        indices,
        distances,
    })
}

/// Whether a method runs the exact search on `n` rows.
pub(crate) fn is_exact(method: KnnMethod, n: usize) -> bool {
    match method {
        KnnMethod::Exact => true,
        KnnMethod::Approximate { .. } => false,
        KnnMethod::Auto { .. } => n <= AUTO_EXACT_MAX_ROWS,
    }
}

/// For each row, its k nearest other rows. Inputs must already be validated (finite, n > k ≥ 1).
pub(crate) fn knn(
    data: &[f32],
    dim: usize,
    k: usize,
    metric: Metric,
    method: KnnMethod,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Neighbours> {
    let n = data.len() / dim;
    debug_assert!(k >= 1 && k < n);
    let space = Space::new(data, dim, metric);
    cancel.check()?;
    match method {
        KnnMethod::Approximate { seed } | KnnMethod::Auto { seed } if !is_exact(method, n) => {
            approximate_search(&space, k, seed, cancel, progress)
        }
        _ => exact_search(&space, &space, k, true, cancel, progress),
    }
}

/// For each query row, its k nearest rows of `data` (nothing excluded); exact. Inputs must
/// already be validated (finite, 1 ≤ k ≤ rows of data).
pub(crate) fn knn_query(
    data: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
    metric: Metric,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Neighbours> {
    let ds = Space::new(data, dim, metric);
    let qs = Space::new(queries, dim, metric);
    cancel.check()?;
    exact_search(&qs, &ds, k, false, cancel, progress)
}
