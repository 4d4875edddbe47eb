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

use rayon::prelude::*;

use crate::kernels::{norm2, scaled_dist2};

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
/// `group_of` value of a centre (it belongs to no cell).
const NO_GROUP: u32 = u32::MAX;

#[derive(Clone, Copy)]
pub(crate) struct Member {
    pub(crate) idx: u32,
    /// Squared distance to the cell's centre, which is the sample's nearest centre.
    pub(crate) d2: f32,
}

/// The cell of one centre: the non-centre samples nearest to it.
pub(crate) struct Group {
    pub(crate) members: Vec<Member>,
    /// (largest member distance², its lowest index); (−∞, u32::MAX) when empty.
    pub(crate) far: (f32, u32),
}

impl Group {
    pub(crate) fn new(members: Vec<Member>) -> Self {
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
            .iter()
            .fold((f32::NEG_INFINITY, u32::MAX), |best, m| {
                farther(best, (m.d2, m.idx))
            });
    }
}

/// The larger distance wins, ties go to the lower index: a total order, so reductions do not
/// depend on how work is split.
pub(crate) fn farther(a: (f32, u32), b: (f32, u32)) -> (f32, u32) {
    if a.0 > b.0 || (a.0 == b.0 && a.1 <= b.1) {
        a
    } else {
        b
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
            let group = &mut self.groups[old as usize];
            group.members.retain(|m| m.idx as usize != q);
            group.refresh();
            changed.push(old as usize);
        }
        self.group_of[q] = NO_GROUP;
        self.d2[q] = 0.0;

        let moved: Vec<Member> = if self.groups.is_empty() {
            self.first_cell(q, &qrow, taken)
        } else {
            self.steal(&qrow, &mut changed)
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
    fn steal(&mut self, qrow: &[f32], changed: &mut Vec<usize>) -> Vec<Member> {
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

        let scanned: Vec<bool> = self
            .groups
            .iter()
            .zip(&delta2)
            .map(|(g, &d)| !g.members.is_empty() && !self.cannot_move(d, g.far.0))
            .collect();
        let to_scan: usize = self
            .groups
            .iter()
            .zip(&scanned)
            .filter(|(_, &s)| s)
            .map(|(g, _)| g.members.len())
            .sum();
        let moved = if to_scan * SWEEP_FRACTION > self.d2.len() {
            self.sweep(qrow, &delta2, &scanned)
        } else {
            self.scan_cells(qrow, &delta2, &scanned)
        };
        let new_group = self.groups.len() as u32;
        for m in &moved {
            self.group_of[m.idx as usize] = new_group;
        }
        let group_of = &self.group_of;
        let shrunk: Vec<bool> = self
            .groups
            .par_iter_mut()
            .enumerate()
            .map(|(g, group)| {
                if !scanned[g] {
                    return false;
                }
                let before = group.members.len();
                group
                    .members
                    .retain(|m| group_of[m.idx as usize] == g as u32);
                let shrunk = group.members.len() != before;
                if shrunk {
                    group.refresh();
                }
                shrunk
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

    /// The members of the scanned cells that the new centre takes over, in index order.
    fn scan_cells(&self, qrow: &[f32], delta2: &[f32], scanned: &[bool]) -> Vec<Member> {
        let tasks: Vec<(f32, &[Member])> = self
            .groups
            .iter()
            .enumerate()
            .filter(|(g, _)| scanned[*g])
            .flat_map(|(g, group)| {
                group
                    .members
                    .chunks(MEMBERS_PER_TASK)
                    .map(move |chunk| (delta2[g], chunk))
            })
            .collect();
        let mut moved: Vec<Member> = tasks
            .into_par_iter()
            .flat_map_iter(|(delta2, chunk)| {
                chunk
                    .iter()
                    .filter_map(move |m| self.steals(qrow, delta2, m.idx as usize, m.d2))
            })
            .collect();
        // Cells scanned later read the rows of this one in index order.
        moved.par_sort_unstable_by_key(|m| m.idx);
        moved
    }

    /// Same result as `scan_cells`, by one pass over all samples in index order.
    fn sweep(&self, qrow: &[f32], delta2: &[f32], scanned: &[bool]) -> Vec<Member> {
        (0..self.d2.len())
            .into_par_iter()
            .with_min_len(MEMBERS_PER_TASK)
            .filter_map(|i| {
                let g = self.group_of[i];
                if g == NO_GROUP || !scanned[g as usize] {
                    return None;
                }
                self.steals(qrow, delta2[g as usize], i, self.d2[i])
            })
            .collect()
    }

    /// Sample `i`, at squared distance `d2` from its centre, with its new distance when the new
    /// centre `qrow` (at squared distance `delta2` from that centre) is nearer.
    fn steals(&self, qrow: &[f32], delta2: f32, i: usize, d2: f32) -> Option<Member> {
        if self.cannot_move(delta2, d2) {
            return None;
        }
        let new = self.dist2(i, qrow);
        (new < d2).then_some(Member {
            idx: i as u32,
            d2: new,
        })
    }
}
