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
//! Each cell stores its members' int8 rows next to each other, in member order, so scanning a
//! suffix streams memory; only the members that pass both tests read their float32 row.

use rayon::prelude::*;

use crate::kernels::{dot_i8, norm2, scaled_dist2};

/// Members scanned by one rayon task.
const MEMBERS_PER_TASK: usize = 4096;
/// Relative and absolute (times the largest squared row norm) margins of the skip tests. Float32
/// rounding of a squared distance is below 1e-5 relative for any dimension up to ~10^4 and below
/// 1e-6·R² absolute; the margins are 100 times that.
const REL_MARGIN: f32 = 1e-3;
const ABS_MARGIN: f32 = 1e-4;
/// Above this dimension the quantized bound is not used (its integer sums could overflow).
const MAX_QUANT_DIM: usize = 65536;
/// A new cell with more than this fraction of the samples quantizes its rows again instead of
/// copying them from the old cells (which would briefly hold both copies).
const REQUANTIZE_FRACTION: usize = 8;
/// `group_of` value of a centre (it belongs to no cell).
const NO_GROUP: u32 = u32::MAX;

#[derive(Clone, Copy)]
pub(crate) struct Member {
    pub(crate) idx: u32,
    /// Squared distance to the cell's centre, which is the sample's nearest centre.
    pub(crate) d2: f32,
}

/// Per row of the quantized copy: `x̃ = step · code` (codes in −127..=127), `Σ code²` and an
/// upper bound of `‖x − x̃‖` (x the scaled float32 row the exact kernel reads).
#[derive(Clone, Copy, Default)]
struct QRow {
    step: f32,
    err: f32,
    sumsq: u32,
}

/// The cell of one centre: the non-centre samples nearest to it, sorted by increasing distance
/// (equal distances by decreasing index), so the farthest member is the last one and the members
/// that a new centre may take over are a suffix.
pub(crate) struct Group {
    pub(crate) members: Vec<Member>,
    /// (largest member distance², its lowest index); (−∞, u32::MAX) when empty.
    pub(crate) far: (f32, u32),
    /// The members' int8 rows (`dim` codes each) and quantization data, in member order; empty
    /// when the group has no quantized copy.
    codes: Vec<i8>,
    qrows: Vec<QRow>,
}

/// The members' order: increasing distance, then decreasing index.
fn member_order(a: &Member, b: &Member) -> std::cmp::Ordering {
    a.d2.total_cmp(&b.d2).then(b.idx.cmp(&a.idx))
}

impl Group {
    /// A group of the given members, sorted, without a quantized copy.
    pub(crate) fn new(mut members: Vec<Member>) -> Self {
        if members.len() > MEMBERS_PER_TASK {
            members.par_sort_unstable_by(member_order);
        } else {
            members.sort_unstable_by(member_order);
        }
        Self::sorted(members, Vec::new(), Vec::new())
    }

    fn sorted(members: Vec<Member>, codes: Vec<i8>, qrows: Vec<QRow>) -> Self {
        let mut group = Group {
            members,
            far: (f32::NEG_INFINITY, u32::MAX),
            codes,
            qrows,
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

    fn dim(&self) -> usize {
        self.codes.len() / self.members.len().max(1)
    }

    /// Removes sample `i` from the cell (it must be a member).
    pub(crate) fn remove(&mut self, i: usize) {
        let dim = self.dim();
        let Some(pos) = self.members.iter().rposition(|m| m.idx as usize == i) else {
            return;
        };
        self.members.remove(pos);
        if !self.qrows.is_empty() {
            self.qrows.remove(pos);
            self.codes.drain(pos * dim..(pos + 1) * dim);
        }
        self.refresh();
    }

    /// Keeps, from position `start` on, only the members that `keep` accepts (earlier positions
    /// are all kept), with their quantized rows.
    fn retain_from(&mut self, start: usize, keep: impl Fn(u32) -> bool) -> bool {
        let dim = self.dim();
        let len = self.members.len();
        let quant = !self.qrows.is_empty();
        let mut kept = start;
        for r in start..len {
            let m = self.members[r];
            if keep(m.idx) {
                if kept != r {
                    self.members[kept] = m;
                    if quant {
                        self.qrows[kept] = self.qrows[r];
                        self.codes.copy_within(r * dim..(r + 1) * dim, kept * dim);
                    }
                }
                kept += 1;
            }
        }
        self.members.truncate(kept);
        if quant {
            self.qrows.truncate(kept);
            self.codes.truncate(kept * dim);
        }
        // Cells shrink a lot over a selection: give the memory back.
        if self.members.capacity() - kept > kept / 8 + 64 {
            self.members.shrink_to_fit();
            self.qrows.shrink_to_fit();
            self.codes.shrink_to_fit();
        }
        self.refresh();
        kept != len
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
    // Any codes are valid (the error below is measured for the codes chosen): round to nearest
    // by truncating `x/step ± 0.5`, which vectorizes without SSE4.1.
    let inv = 127.0 / max;
    for (c, &v) in code.iter_mut().zip(row) {
        let y = v * scale * inv;
        *c = (y + 0.5f32.copysign(y)).clamp(-127.0, 127.0) as i8;
    }
    let (mut e2, mut sumsq) = ([0f64; 4], 0u32);
    let step64 = step as f64;
    for (k, (&c, &v)) in code.iter().zip(row).enumerate() {
        let t = (v * scale) as f64 - c as f64 * step64;
        e2[k % 4] += t * t;
        sumsq += (c as i32 * c as i32) as u32;
    }
    let e2 = (e2[0] + e2[1]) + (e2[2] + e2[3]);
    QRow {
        step,
        // Rounded up: f64 rounding of the sum is far below 1e-6 relative.
        err: (e2.sqrt() * (1.0 + 1e-6)) as f32,
        sumsq,
    }
}

/// `‖x̃ − q̃‖ − ‖x − x̃‖ − ‖q − q̃‖ ≤ ‖x − q‖` for two quantized rows: `‖x̃ − q̃‖² = step_x² Σcode_x² +
/// step_q² Σcode_q² − 2 step_x step_q (code_x · code_q)`, the dot product exact in integers, the
/// rest in f64 (its rounding is below 1e-15 of the squared norms).
#[inline]
fn quant_lower_bound(code_x: &[i8], x: QRow, code_q: &[i8], q: QRow) -> f64 {
    let dot = dot_i8(code_x, code_q) as f64;
    let (sa, sb) = (x.step as f64, q.step as f64);
    let approx2 = sa * sa * x.sumsq as f64 + sb * sb * q.sumsq as f64 - 2.0 * sa * sb * dot;
    approx2.max(0.0).sqrt() - x.err as f64 - q.err as f64
}

/// A member that the new centre takes over: where it was (cell, position) and its new distance.
struct Moved {
    member: Member,
    group: u32,
    pos: u32,
}

pub(crate) struct Cover<'a> {
    data: &'a [f32],
    dim: usize,
    /// 1 / ‖row‖ when normalizing (0 for a zero row), empty otherwise.
    inv_norm: Vec<f32>,
    slack: f32,
    /// Whether the cells keep quantized rows (dim ≤ MAX_QUANT_DIM).
    quant: bool,
    /// One cell per centre, in the order the centres were added.
    pub(crate) groups: Vec<Group>,
    /// Scaled centre rows, one per cell.
    centres: Vec<f32>,
    /// Per centre: squared distance to the nearest other centre (∞ while it is alone).
    pub(crate) centre_nn2: Vec<f32>,
    /// Per sample: squared distance to the nearest centre (∞ before the first centre).
    pub(crate) d2: Vec<f32>,
    group_of: Vec<u32>,
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
        Cover {
            data,
            dim,
            inv_norm,
            slack: ABS_MARGIN * max_norm2,
            quant: dim <= MAX_QUANT_DIM,
            groups: Vec::new(),
            centres: Vec::new(),
            centre_nn2: Vec::new(),
            d2: vec![f32::INFINITY; n],
            group_of: vec![NO_GROUP; n],
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

    /// Sample `i`'s quantized row.
    fn quantize(&self, i: usize, code: &mut [i8]) -> QRow {
        quantize(self.row(i), self.scale(i), code)
    }

    /// Whether a member at squared distance `d2` from its centre can be skipped for a new centre
    /// at squared distance `delta2` from that centre.
    fn cannot_move(&self, delta2: f32, d2: f32) -> bool {
        delta2 > 4.0 * d2 * (1.0 + REL_MARGIN) + self.slack
    }

    /// Whether a lower bound of a member's distance to the new centre rules out that the new
    /// centre is nearer than its current squared distance `d2` (same margins as the triangle
    /// test, against the float32 rounding of the exact distances).
    #[inline]
    fn bound_cannot_move(&self, lower: f64, d2: f32) -> bool {
        lower > 0.0 && lower * lower > d2 as f64 * (1.0 + REL_MARGIN as f64) + self.slack as f64
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

        let group = if self.groups.is_empty() {
            self.first_cell(q, &qrow, taken)
        } else {
            self.steal(q, &qrow, &mut changed)
        };
        let new_group = self.groups.len() as u32;
        for m in &group.members {
            self.d2[m.idx as usize] = m.d2;
            self.group_of[m.idx as usize] = new_group;
        }
        self.groups.push(group);
        self.centres.extend_from_slice(&qrow);
        debug_assert_eq!(self.centres.len(), self.groups.len() * dim);
        changed.push(new_group as usize);
        changed
    }

    /// The first centre's cell holds every sample that is not taken.
    fn first_cell(&mut self, q: usize, qrow: &[f32], taken: &[bool]) -> Group {
        self.centre_nn2.push(f32::INFINITY);
        let n = self.d2.len();
        let mut members: Vec<Member> = (0..n)
            .into_par_iter()
            .with_min_len(MEMBERS_PER_TASK)
            .filter(|&i| i != q && !taken[i])
            .map(|i| Member {
                idx: i as u32,
                d2: self.dist2(i, qrow),
            })
            .collect();
        members.par_sort_unstable_by(member_order);
        self.quantized_group(members)
    }

    /// Moves to the new centre every member that is now nearer to it, scanning only the members
    /// that the triangle inequality does not rule out (a suffix of each cell). Updates the
    /// centre-to-centre nearest distances on the way. Returns the new cell.
    fn steal(&mut self, q: usize, qrow: &[f32], changed: &mut Vec<usize>) -> Group {
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

        // The triangle test is monotone in the member's distance: the members that pass it are a
        // suffix of the sorted cell.
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
        let mut qcode = vec![0i8; if self.quant { dim } else { 0 }];
        let qq = if self.quant {
            self.quantize(q, &mut qcode)
        } else {
            QRow::default()
        };
        let mut moved = self.scan_cells(qrow, &qcode, qq, &starts);

        // The new cell, sorted.
        moved.par_sort_unstable_by(|a, b| member_order(&a.member, &b.member));
        let new_group = self.groups.len() as u32;
        for m in &moved {
            self.group_of[m.member.idx as usize] = new_group;
        }

        // A small new cell copies its members' quantized rows from their old cells; a large one
        // (early in a selection) quantizes them again after the old cells have shrunk, which
        // keeps the peak memory at about one quantized copy.
        let members: Vec<Member> = moved.iter().map(|m| m.member).collect();
        let copied = (self.quant && moved.len() * REQUANTIZE_FRACTION <= self.d2.len())
            .then(|| self.copy_quantized(&moved));

        // Only cells that lost members change, and only in their scanned suffix.
        let mut lost = vec![false; self.groups.len()];
        for m in &moved {
            lost[m.group as usize] = true;
        }
        drop(moved);
        let group_of = &self.group_of;
        self.groups
            .par_iter_mut()
            .zip(&starts)
            .zip(&lost)
            .enumerate()
            .filter(|(_, (_, &lost))| lost)
            .for_each(|(g, ((group, &start), _))| {
                group.retain_from(start, |i| group_of[i as usize] == g as u32);
            });
        changed.extend(lost.iter().enumerate().filter(|(_, &l)| l).map(|(g, _)| g));
        match copied {
            Some((codes, qrows)) => Group::sorted(members, codes, qrows),
            None => self.quantized_group(members),
        }
    }

    /// The quantized rows of the moved members, copied from their cells.
    fn copy_quantized(&self, moved: &[Moved]) -> (Vec<i8>, Vec<QRow>) {
        let dim = self.dim;
        let mut codes = vec![0i8; moved.len() * dim];
        for (code, m) in codes.chunks_exact_mut(dim).zip(moved) {
            let p = m.pos as usize;
            code.copy_from_slice(&self.groups[m.group as usize].codes[p * dim..(p + 1) * dim]);
        }
        let qrows = moved
            .iter()
            .map(|m| self.groups[m.group as usize].qrows[m.pos as usize])
            .collect();
        (codes, qrows)
    }

    /// A cell of the given sorted members, with their quantized rows (quantizing is
    /// deterministic: the same codes as when they were in their old cells).
    fn quantized_group(&self, members: Vec<Member>) -> Group {
        if !self.quant {
            return Group::sorted(members, Vec::new(), Vec::new());
        }
        let dim = self.dim;
        let mut codes = vec![0i8; members.len() * dim];
        let mut qrows = vec![QRow::default(); members.len()];
        codes
            .par_chunks_mut(dim)
            .zip(qrows.par_iter_mut())
            .zip(members.par_iter())
            .with_min_len(256)
            .for_each(|((code, qr), m)| *qr = self.quantize(m.idx as usize, code));
        Group::sorted(members, codes, qrows)
    }

    /// The members of the scanned suffixes that the new centre takes over. Late in a selection the
    /// cells are small: the suffixes are batched into tasks of about `MEMBERS_PER_TASK` members.
    fn scan_cells(&self, qrow: &[f32], qcode: &[i8], qq: QRow, starts: &[usize]) -> Vec<Moved> {
        let mut batches: Vec<Vec<(usize, usize, usize)>> = Vec::new();
        let mut batch = Vec::new();
        let mut size = 0;
        for (g, group) in self.groups.iter().enumerate() {
            let len = group.members.len();
            let mut from = starts[g];
            while from < len {
                let to = len.min(from + MEMBERS_PER_TASK);
                batch.push((g, from, to));
                size += to - from;
                from = to;
                if size >= MEMBERS_PER_TASK {
                    batches.push(std::mem::take(&mut batch));
                    size = 0;
                }
            }
        }
        if !batch.is_empty() {
            batches.push(batch);
        }
        let dim = self.dim;
        batches
            .into_par_iter()
            .flat_map_iter(|batch| {
                let mut moved = Vec::new();
                for (g, from, to) in batch {
                    let group = &self.groups[g];
                    for pos in from..to {
                        let m = group.members[pos];
                        if self.quant {
                            let code = &group.codes[pos * dim..(pos + 1) * dim];
                            let lower = quant_lower_bound(code, group.qrows[pos], qcode, qq);
                            if self.bound_cannot_move(lower, m.d2) {
                                continue;
                            }
                        }
                        let new = self.dist2(m.idx as usize, qrow);
                        if new < m.d2 {
                            moved.push(Moved {
                                member: Member {
                                    idx: m.idx,
                                    d2: new,
                                },
                                group: g as u32,
                                pos: pos as u32,
                            });
                        }
                    }
                }
                moved
            })
            .collect()
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
                    let (mut ci, mut cq) = (vec![0i8; dim], vec![0i8; dim]);
                    let (qi, qq) = (cover.quantize(i, &mut ci), cover.quantize(q, &mut cq));
                    let lower = quant_lower_bound(&ci, qi, &cq, qq);
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
                        !cover.bound_cannot_move(lower, current),
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
