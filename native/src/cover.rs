//! Exact farthest-point bookkeeping: every sample's squared distance to its nearest centre, kept
//! up to date as centres are added, without reading every row for every new centre.
//!
//! Samples are grouped by their nearest centre (a Voronoi cell with its radius, the largest member
//! distance). When centre `q` arrives, a member `x` of the cell of centre `c` can only get closer
//! to `q` than to `c` if `d(c, q) < 2·d(x, c)` (triangle inequality: `d(x, q) ≥ d(c, q) − d(x, c)`).
//! So a whole cell is skipped when `d(c, q) ≥ 2·radius`, and inside a scanned cell a member is
//! skipped without reading its row when `d(c, q) ≥ 2·d(x, c)`. Every distance that is computed is
//! computed exactly as the plain algorithm does (same kernel, same operands), so the distances —
//! and therefore the picks — are bit-identical to a full scan. The skip tests carry a safety margin
//! far above float32 rounding, so rounding can never make a skipped member move.
//!
//! Members are kept sorted by distance, so the members that pass the triangle test are a suffix of
//! their cell. A second, quantized test rules out most of those without reading their float32 row:
//! an int8 copy of the scaled rows with each row's quantization-error norm gives the lower bound
//! `‖x − q‖ ≥ ‖x̃ − q̃‖ − ‖x − x̃‖ − ‖q − q̃‖` from an exact integer dot product (same margins).

use rayon::prelude::*;

use crate::kernels::{dot_i8, norm2, scaled_dist2};

/// Members scanned by one rayon task.
const MEMBERS_PER_TASK: usize = 4096;
/// Relative and absolute (times the largest squared row norm) margins of the skip tests. Float32
/// rounding of a squared distance is below 1e-5 relative for any dimension up to ~10^4 and below
/// 1e-6·R² absolute; the margins are 100 times that.
const REL_MARGIN: f32 = 1e-3;
const ABS_MARGIN: f32 = 1e-4;
/// When the cells to scan hold more than this fraction of the samples, one sweep over all samples
/// in index order (which streams the rows from memory) replaces the cell-by-cell scan (which
/// reads them in scattered order).
const SWEEP_FRACTION: usize = 4;
/// How many members ahead the scan of a cell prefetches quantized rows.
const PREFETCH: usize = 8;
/// `group_of` value of a centre (it belongs to no cell).
const NO_GROUP: u32 = u32::MAX;

#[derive(Clone, Copy)]
pub(crate) struct Member {
    pub(crate) idx: u32,
    /// Squared distance to the cell's centre, which is the sample's nearest centre.
    pub(crate) d2: f32,
}

/// The cell of one centre: the non-centre samples nearest to it, sorted by increasing distance
/// (equal distances by decreasing index), so the farthest member is the last one and the members
/// that a new centre may take over are a suffix.
pub(crate) struct Group {
    pub(crate) members: Vec<Member>,
    /// (largest member distance², its lowest index); (−∞, u32::MAX) when empty.
    pub(crate) far: (f32, u32),
}

/// The members' order: increasing distance, then decreasing index.
fn member_order(a: &Member, b: &Member) -> std::cmp::Ordering {
    a.d2.total_cmp(&b.d2).then(b.idx.cmp(&a.idx))
}

impl Group {
    pub(crate) fn new(mut members: Vec<Member>) -> Self {
        if members.len() > MEMBERS_PER_TASK {
            members.par_sort_unstable_by(member_order);
        } else {
            members.sort_unstable_by(member_order);
        }
        let mut group = Group {
            members,
            far: (f32::NEG_INFINITY, u32::MAX),
        };
        group.refresh();
        group
    }

    fn refresh(&mut self) {
        self.far = self
            .members
            .last()
            .map_or((f32::NEG_INFINITY, u32::MAX), |m| (m.d2, m.idx));
    }

    /// Removes sample `i` from the cell (it must be a member).
    pub(crate) fn remove(&mut self, i: usize) {
        if self.members.last().is_some_and(|m| m.idx as usize == i) {
            self.members.pop();
        } else {
            self.members.retain(|m| m.idx as usize != i);
        }
        self.refresh();
    }
}

pub(crate) struct Cover<'a> {
    data: &'a [f32],
    dim: usize,
    /// 1 / ‖row‖ when normalizing (0 for a zero row), empty otherwise.
    inv_norm: Vec<f32>,
    slack: f32,
    /// One cell per centre, in the order the centres were added.
    pub(crate) groups: Vec<Group>,
    /// Scaled centre rows, one per cell.
    centres: Vec<f32>,
    /// Per centre: squared distance to the nearest other centre (∞ while it is alone).
    pub(crate) centre_nn2: Vec<f32>,
    /// Per sample: squared distance to the nearest centre (∞ before the first centre).
    pub(crate) d2: Vec<f32>,
    group_of: Vec<u32>,
    /// int8 copy of the scaled rows, for the quantized lower bound.
    quant: Quant,
}

/// Per row of the quantized copy: `x̃ = step · code` (codes in −127..=127), `Σ code²` and an
/// upper bound of `‖x − x̃‖` (x the scaled float32 row the exact kernel reads).
#[derive(Clone, Copy, Default)]
struct QRow {
    step: f32,
    err: f32,
    sumsq: u32,
}

/// Above this dimension the quantized bound is not used (its integer sums could overflow).
const MAX_QUANT_DIM: usize = 65536;

struct Quant {
    codes: Vec<i8>,
    rows: Vec<QRow>,
}

impl Quant {
    fn new(data: &[f32], dim: usize, inv_norm: &[f32]) -> Self {
        let n = data.len() / dim;
        let mut codes = vec![0i8; n * dim];
        let mut rows = vec![QRow::default(); n];
        codes
            .par_chunks_mut(dim)
            .zip(rows.par_iter_mut())
            .enumerate()
            .with_min_len(1024)
            .for_each(|(i, (code, meta))| {
                let scale = if inv_norm.is_empty() {
                    1.0
                } else {
                    inv_norm[i]
                };
                *meta = quantize(&data[i * dim..(i + 1) * dim], scale, code);
            });
        Quant { codes, rows }
    }

    fn code(&self, i: usize, dim: usize) -> &[i8] {
        &self.codes[i * dim..(i + 1) * dim]
    }
}

/// Quantizes the scaled row `row · scale` (each element computed in float32 exactly as the exact
/// kernel computes it) into `code`; the error norm is computed in f64 and rounded up.
fn quantize(row: &[f32], scale: f32, code: &mut [i8]) -> QRow {
    let max = row.iter().fold(0f32, |m, &v| m.max((v * scale).abs()));
    let step = max / 127.0;
    if step <= 0.0 || !step.is_finite() {
        // A zero row is its own code; an overflowing one (never for normalized rows) gets an
        // infinite error, so its bound never skips anything.
        code.fill(0);
        let err = if max == 0.0 { 0.0 } else { f32::INFINITY };
        return QRow {
            step: 0.0,
            err,
            sumsq: 0,
        };
    }
    let (mut e2, mut sumsq) = (0f64, 0u32);
    for (c, &v) in code.iter_mut().zip(row) {
        let x = (v * scale) as f64;
        let q = (x / step as f64).round().clamp(-127.0, 127.0);
        *c = q as i8;
        sumsq += (q * q) as u32;
        let t = x - q * step as f64;
        e2 += t * t;
    }
    QRow {
        step,
        // Rounded up: f64 rounding of the sum is far below 1e-6 relative.
        err: (e2.sqrt() * (1.0 + 1e-6)) as f32,
        sumsq,
    }
}

impl<'a> Cover<'a> {
    pub(crate) fn new(data: &'a [f32], dim: usize, normalize: bool) -> Self {
        let n = data.len() / dim;
        let inv_norm: Vec<f32> = if normalize {
            data.par_chunks(dim)
                .map(|row| {
                    let s = norm2(row);
                    if s > 0.0 {
                        1.0 / (s as f64).sqrt() as f32
                    } else {
                        0.0
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let max_norm2 = if normalize {
            1.0
        } else {
            data.par_chunks(dim).map(norm2).reduce(|| 0.0, f32::max)
        };
        let quant = if dim <= MAX_QUANT_DIM {
            Quant::new(data, dim, &inv_norm)
        } else {
            Quant {
                codes: Vec::new(),
                rows: Vec::new(),
            }
        };
        Cover {
            data,
            dim,
            inv_norm,
            slack: ABS_MARGIN * max_norm2,
            groups: Vec::new(),
            centres: Vec::new(),
            centre_nn2: Vec::new(),
            d2: vec![f32::INFINITY; n],
            group_of: vec![NO_GROUP; n],
            quant,
        }
    }

    pub(crate) fn has_centres(&self) -> bool {
        !self.groups.is_empty()
    }

    fn scale(&self, i: usize) -> f32 {
        if self.inv_norm.is_empty() {
            1.0
        } else {
            self.inv_norm[i]
        }
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Squared distance of sample `i` to the scaled centre row `q`, exactly as a full scan does.
    fn dist2(&self, i: usize, q: &[f32]) -> f32 {
        scaled_dist2(self.row(i), self.scale(i), q)
    }

    /// Whether a member at squared distance `d2` from its centre can be skipped for a new centre
    /// at squared distance `delta2` from that centre.
    fn cannot_move(&self, delta2: f32, d2: f32) -> bool {
        delta2 > 4.0 * d2 * (1.0 + REL_MARGIN) + self.slack
    }

    /// Makes sample `q` a centre (it must not be one already; `taken` marks samples that must stay
    /// out of every cell). Returns the indices of the cells whose members changed, the new cell
    /// last.
    pub(crate) fn add_centre(&mut self, q: usize, taken: &[bool]) -> Vec<usize> {
        let dim = self.dim;
        let s = self.scale(q);
        let qrow: Vec<f32> = self.row(q).iter().map(|v| v * s).collect();
        let mut changed = Vec::new();
        let old = self.group_of[q];
        if old != NO_GROUP {
            self.groups[old as usize].remove(q);
            changed.push(old as usize);
        }
        self.group_of[q] = NO_GROUP;
        self.d2[q] = 0.0;

        let moved: Vec<Member> = if self.groups.is_empty() {
            self.first_cell(q, &qrow, taken)
        } else {
            self.steal(q, &qrow, &mut changed)
        };
        let new_group = self.groups.len() as u32;
        for m in &moved {
            self.d2[m.idx as usize] = m.d2;
            self.group_of[m.idx as usize] = new_group;
        }
        self.groups.push(Group::new(moved));
        self.centres.extend_from_slice(&qrow);
        debug_assert_eq!(self.centres.len(), self.groups.len() * dim);
        changed.push(new_group as usize);
        changed
    }

    /// The first centre's cell holds every sample that is not taken.
    fn first_cell(&mut self, q: usize, qrow: &[f32], taken: &[bool]) -> Vec<Member> {
        self.centre_nn2.push(f32::INFINITY);
        let n = self.d2.len();
        (0..n)
            .into_par_iter()
            .with_min_len(MEMBERS_PER_TASK)
            .filter(|&i| i != q && !taken[i])
            .map(|i| Member {
                idx: i as u32,
                d2: self.dist2(i, qrow),
            })
            .collect()
    }

    /// Moves to the new centre every member that is now nearer to it, scanning only the cells and
    /// members that the triangle inequality does not rule out. Updates the centre-to-centre nearest
    /// distances on the way.
    fn steal(&mut self, q: usize, qrow: &[f32], changed: &mut Vec<usize>) -> Vec<Member> {
        let dim = self.dim;
        let delta2: Vec<f32> = self
            .centres
            .par_chunks(dim)
            .map(|c| scaled_dist2(c, 1.0, qrow))
            .collect();
        for (nn, &d) in self.centre_nn2.iter_mut().zip(&delta2) {
            *nn = nn.min(d);
        }
        self.centre_nn2
            .push(delta2.iter().copied().fold(f32::INFINITY, f32::min));

        // Members that the triangle inequality does not rule out: a suffix of each cell (the test
        // is monotone in the member's distance).
        let starts: Vec<usize> = self
            .groups
            .iter()
            .zip(&delta2)
            .map(|(g, &d)| {
                if g.members.is_empty() || self.cannot_move(d, g.far.0) {
                    g.members.len()
                } else {
                    g.members.partition_point(|m| self.cannot_move(d, m.d2))
                }
            })
            .collect();
        let to_scan: usize = self
            .groups
            .iter()
            .zip(&starts)
            .map(|(g, &s)| g.members.len() - s)
            .sum();
        let moved = if to_scan * SWEEP_FRACTION > self.d2.len() {
            self.sweep(q, qrow, &delta2)
        } else {
            self.scan_cells(q, qrow, &delta2, &starts)
        };
        let new_group = self.groups.len() as u32;
        for m in &moved {
            self.group_of[m.idx as usize] = new_group;
        }
        let group_of = &self.group_of;
        let shrunk: Vec<bool> = self
            .groups
            .par_iter_mut()
            .zip(&starts)
            .enumerate()
            .map(|(g, (group, &start))| {
                let len = group.members.len();
                if start == len {
                    return false;
                }
                // Only members of the scanned suffix can have moved.
                let mut kept = start;
                for r in start..len {
                    let m = group.members[r];
                    if group_of[m.idx as usize] == g as u32 {
                        group.members[kept] = m;
                        kept += 1;
                    }
                }
                group.members.truncate(kept);
                group.refresh();
                kept != len
            })
            .collect();
        changed.extend(
            shrunk
                .iter()
                .enumerate()
                .filter(|(_, &s)| s)
                .map(|(g, _)| g),
        );
        moved
    }

    /// The members of the scanned suffixes that the new centre takes over. Late in a selection the
    /// cells are small: the suffixes are batched into tasks of about `MEMBERS_PER_TASK` members.
    fn scan_cells(&self, q: usize, qrow: &[f32], delta2: &[f32], starts: &[usize]) -> Vec<Member> {
        let mut batches: Vec<Vec<(f32, &[Member])>> = Vec::new();
        let mut batch = Vec::new();
        let mut size = 0;
        for (g, group) in self.groups.iter().enumerate() {
            for chunk in group.members[starts[g]..].chunks(MEMBERS_PER_TASK) {
                batch.push((delta2[g], chunk));
                size += chunk.len();
                if size >= MEMBERS_PER_TASK {
                    batches.push(std::mem::take(&mut batch));
                    size = 0;
                }
            }
        }
        if !batch.is_empty() {
            batches.push(batch);
        }
        batches
            .into_par_iter()
            .flat_map_iter(|batch| {
                let items: Vec<(f32, Member)> = batch
                    .iter()
                    .flat_map(|&(d, chunk)| chunk.iter().map(move |m| (d, *m)))
                    .collect();
                let mut moved = Vec::new();
                for (r, &(delta2, m)) in items.iter().enumerate() {
                    // The members are scattered in memory: fetch the quantized rows a few members
                    // ahead.
                    if let Some(ahead) = items.get(r + PREFETCH) {
                        self.prefetch(ahead.1.idx as usize);
                    }
                    moved.extend(self.steals(q, qrow, delta2, m.idx as usize, m.d2));
                }
                moved
            })
            .collect()
    }

    /// Same result as `scan_cells`, by one pass over all samples in index order.
    fn sweep(&self, q: usize, qrow: &[f32], delta2: &[f32]) -> Vec<Member> {
        (0..self.d2.len())
            .into_par_iter()
            .with_min_len(MEMBERS_PER_TASK)
            .filter_map(|i| {
                let g = self.group_of[i];
                if g == NO_GROUP {
                    return None;
                }
                self.steals(q, qrow, delta2[g as usize], i, self.d2[i])
            })
            .collect()
    }

    /// Hints the cache to load sample `i`'s quantized row and its per-row data.
    #[inline]
    fn prefetch(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        if !self.quant.rows.is_empty() {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let code = self.quant.code(i, self.dim);
            // SAFETY: prefetching has no memory effects; every address is inside the arrays.
            unsafe {
                let mut off = 0;
                while off < code.len() {
                    _mm_prefetch::<_MM_HINT_T0>(code.as_ptr().add(off));
                    off += 64;
                }
                _mm_prefetch::<_MM_HINT_T0>((&self.quant.rows[i] as *const QRow).cast());
            }
        }
    }

    /// Sample `i`, at squared distance `d2` from its centre, with its new distance when the new
    /// centre `q` (scaled row `qrow`, at squared distance `delta2` from that centre) is nearer.
    fn steals(&self, q: usize, qrow: &[f32], delta2: f32, i: usize, d2: f32) -> Option<Member> {
        if self.cannot_move(delta2, d2) {
            return None;
        }
        if self.quant_cannot_move(q, i, d2) {
            return None;
        }
        let new = self.dist2(i, qrow);
        (new < d2).then_some(Member {
            idx: i as u32,
            d2: new,
        })
    }

    /// Whether the quantized lower bound rules out that centre `q` is nearer to sample `i` than its
    /// current squared distance `d2`: `‖x − q‖ ≥ ‖x̃ − q̃‖ − ‖x − x̃‖ − ‖q − q̃‖` (triangle
    /// inequality), with `‖x̃ − q̃‖` from an exact integer dot product, the rest in f64, and the
    /// same margins as the triangle test against the float32 rounding of the exact distances.
    #[inline]
    fn quant_cannot_move(&self, q: usize, i: usize, d2: f32) -> bool {
        if self.quant.rows.is_empty() {
            return false;
        }
        let lower = self.quant_lower_bound(q, i);
        lower > 0.0 && lower * lower > d2 as f64 * (1.0 + REL_MARGIN as f64) + self.slack as f64
    }

    /// `‖x̃ − q̃‖ − ‖x − x̃‖ − ‖q − q̃‖ ≤ ‖x − q‖` for samples `i` and `q` (scaled rows).
    #[inline]
    fn quant_lower_bound(&self, q: usize, i: usize) -> f64 {
        let quant = &self.quant;
        let (a, b) = (quant.rows[i], quant.rows[q]);
        let dot = dot_i8(quant.code(i, self.dim), quant.code(q, self.dim)) as f64;
        let (sa, sb) = (a.step as f64, b.step as f64);
        let approx2 = sa * sa * a.sumsq as f64 + sb * sb * b.sumsq as f64 - 2.0 * sa * sb * dot;
        approx2.max(0.0).sqrt() - a.err as f64 - b.err as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(mut seed: u64) -> impl FnMut() -> f32 {
        move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
    }

    /// Adversarial data sets: (rows, dim, normalize).
    fn cases() -> Vec<(Vec<f32>, usize, bool)> {
        let mut out = Vec::new();
        for (dim, seed) in [(1usize, 1u64), (5, 2), (31, 3), (33, 4), (100, 5), (128, 6)] {
            let mut next = rng(seed);
            let n = 300;
            // Few clusters with tiny spread (near-ties), duplicates, zero rows, sign-flipped and
            // permuted copies (exactly equal distances), one dominant component (coarse codes).
            let centres: Vec<f32> = (0..4 * dim).map(|_| next()).collect();
            let mut x = Vec::with_capacity(n * dim);
            for i in 0..n {
                let row: Vec<f32> = match i % 10 {
                    0 => vec![0.0; dim],
                    1 if i > 10 => x[(i - 10) * dim..(i - 9) * dim].to_vec(),
                    2 if i > 10 => x[(i - 10) * dim..(i - 9) * dim]
                        .iter()
                        .map(|v| -v)
                        .collect(),
                    3 if i > 10 => {
                        let mut r = x[(i - 10) * dim..(i - 9) * dim].to_vec();
                        r.rotate_left(1);
                        r
                    }
                    4 => {
                        let mut r: Vec<f32> = (0..dim).map(|_| next() * 1e-3).collect();
                        r[i % dim] = 1e3;
                        r
                    }
                    _ => {
                        let c = (i / 10) % 4;
                        (0..dim)
                            .map(|k| centres[c * dim + k] + next() * 1e-6)
                            .collect()
                    }
                };
                x.extend(row);
            }
            out.push((x.clone(), dim, true));
            out.push((x, dim, false));
        }
        out
    }

    #[test]
    fn quantized_bound_never_exceeds_the_distance() {
        for (x, dim, normalize) in cases() {
            let cover = Cover::new(&x, dim, normalize);
            let n = x.len() / dim;
            let scaled = |i: usize| -> Vec<f64> {
                cover
                    .row(i)
                    .iter()
                    .map(|v| (v * cover.scale(i)) as f64)
                    .collect()
            };
            for q in 0..n {
                let qs: Vec<f32> = cover.row(q).iter().map(|v| v * cover.scale(q)).collect();
                let qd = scaled(q);
                for i in 0..n {
                    let exact: f64 = scaled(i)
                        .iter()
                        .zip(&qd)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                        .sqrt();
                    let lower = cover.quant_lower_bound(q, i);
                    // f64 cancellation in ‖x̃‖² + ‖q̃‖² − 2x̃·q̃ is below 1e-15 of the norms².
                    let norms: f64 = [&scaled(i), &qd]
                        .iter()
                        .map(|r| r.iter().map(|v| v * v).sum::<f64>())
                        .sum();
                    assert!(
                        lower <= exact + (1e-15 * norms).sqrt(),
                        "dim {dim}: bound {lower} > distance {exact} ({i}, {q})"
                    );
                    // A sample whose computed distance is the tiniest bit below its current one
                    // must never be skipped.
                    let computed = cover.dist2(i, &qs);
                    let current = computed.next_up();
                    assert!(
                        !cover.quant_cannot_move(q, i, current),
                        "dim {dim}: ({i}, {q})"
                    );
                }
            }
        }
    }

    /// Plain farthest-point greedy with the same kernel: every pick, ties to the lowest index.
    fn plain(x: &[f32], dim: usize, normalize: bool, count: usize) -> (Vec<usize>, Vec<f32>) {
        let cover = Cover::new(x, dim, normalize);
        let n = x.len() / dim;
        let mut d2 = vec![f32::INFINITY; n];
        let mut taken = vec![false; n];
        let mut picks = vec![0usize];
        while picks.len() <= count {
            let q = *picks.last().unwrap();
            taken[q] = true;
            d2[q] = 0.0;
            let qs: Vec<f32> = cover.row(q).iter().map(|v| v * cover.scale(q)).collect();
            let mut best = (f32::NEG_INFINITY, usize::MAX);
            for i in 0..n {
                if taken[i] {
                    continue;
                }
                let new = cover.dist2(i, &qs);
                if new < d2[i] {
                    d2[i] = new;
                }
                if d2[i] > best.0 {
                    best = (d2[i], i);
                }
            }
            if best.1 == usize::MAX || picks.len() == count {
                break;
            }
            picks.push(best.1);
        }
        (picks, d2)
    }

    #[test]
    fn cover_matches_plain_farthest_point_bit_for_bit() {
        for (x, dim, normalize) in cases() {
            let n = x.len() / dim;
            let (want, want_d2) = plain(&x, dim, normalize, n);
            let mut cover = Cover::new(&x, dim, normalize);
            let taken = vec![false; n];
            let mut got = vec![0usize];
            cover.add_centre(0, &taken);
            while got.len() < want.len() {
                let far = cover.groups.iter().map(|g| g.far).fold(
                    (f32::NEG_INFINITY, u32::MAX),
                    |a, b| {
                        if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) {
                            b
                        } else {
                            a
                        }
                    },
                );
                got.push(far.1 as usize);
                cover.add_centre(far.1 as usize, &taken);
            }
            assert_eq!(got, want, "dim {dim}, normalize {normalize}");
            for (i, (a, b)) in cover.d2.iter().zip(&want_d2).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "dim {dim}: d2[{i}]");
            }
        }
    }
}
