//! Farthest-point (k-center) greedy selection, Sener & Savarese 2018, exact.

use napi::Result;
use rayon::prelude::*;

use crate::kernels::{norm2, scaled_dist2};
use crate::validate::{finite, invalid, rows, Cancel};
use crate::Progress;

const WHAT: &str = "kCenterGreedy";
/// Rows per rayon task in the distance update.
const ROWS_PER_TASK: usize = 2048;
/// Marks a sample that is already a centre in the min-distance array.
const CHOSEN: f32 = -1.0;

/// (squared distance, index): the larger distance wins, ties go to the lower index. This is a total
/// order, so the parallel reduction gives the same answer however the work is split.
fn farther(a: (f32, usize), b: (f32, usize)) -> (f32, usize) {
    if a.0 > b.0 || (a.0 == b.0 && a.1 <= b.1) {
        a
    } else {
        b
    }
}

struct State<'a> {
    data: &'a [f32],
    dim: usize,
    /// 1 / ||row|| when normalizing (0 for a zero row), empty otherwise.
    inv_norm: Vec<f32>,
    /// Squared distance of each sample to its nearest centre; `CHOSEN` for centres.
    min_d2: Vec<f32>,
    center: Vec<f32>,
}

impl State<'_> {
    fn scale(&self, i: usize) -> f32 {
        if self.inv_norm.is_empty() {
            1.0
        } else {
            self.inv_norm[i]
        }
    }

    /// Makes sample `c` a centre, lowers every sample's distance to its nearest centre, and returns
    /// the farthest remaining sample (squared distance, index).
    fn add_center(&mut self, c: usize) -> (f32, usize) {
        let dim = self.dim;
        let s = self.scale(c);
        for (dst, src) in self
            .center
            .iter_mut()
            .zip(&self.data[c * dim..(c + 1) * dim])
        {
            *dst = src * s;
        }
        self.min_d2[c] = CHOSEN;
        let data = self.data;
        let inv_norm = &self.inv_norm;
        let center = &self.center;
        self.min_d2
            .par_chunks_mut(ROWS_PER_TASK)
            .enumerate()
            .map(|(t, chunk)| {
                let base = t * ROWS_PER_TASK;
                let mut best = (f32::NEG_INFINITY, usize::MAX);
                for (r, md) in chunk.iter_mut().enumerate() {
                    if *md == CHOSEN {
                        continue;
                    }
                    let i = base + r;
                    let scale = if inv_norm.is_empty() {
                        1.0
                    } else {
                        inv_norm[i]
                    };
                    let d2 = scaled_dist2(&data[i * dim..(i + 1) * dim], scale, center);
                    if d2 < *md {
                        *md = d2;
                    }
                    if *md > best.0 {
                        best = (*md, i);
                    }
                }
                best
            })
            .reduce(|| (f32::NEG_INFINITY, usize::MAX), farther)
    }
}

pub(crate) fn k_center_greedy(
    data: &[f32],
    dim: u32,
    count: u32,
    preselected: &[u32],
    min_distance: f64,
    normalize: bool,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Vec<u32>> {
    let n = rows(WHAT, data.len(), dim)?;
    let dim = dim as usize;
    if !min_distance.is_finite() || min_distance < 0.0 {
        return Err(invalid(format!(
            "{WHAT}: options.minDistance must be a finite number >= 0, got {min_distance}"
        )));
    }
    let mut is_pre = vec![false; n];
    let mut pre = Vec::with_capacity(preselected.len());
    for (pos, &p) in preselected.iter().enumerate() {
        let p = p as usize;
        if p >= n {
            return Err(invalid(format!(
        "{WHAT}: options.preselected[{pos}] = {p} is out of range (the embeddings have {n} rows)"
      )));
        }
        if !is_pre[p] {
            is_pre[p] = true;
            pre.push(p);
        }
    }
    drop(is_pre);
    let available = n - pre.len();
    if count as usize > available {
        return Err(invalid(if pre.is_empty() {
            format!("{WHAT}: count {count} exceeds the number of samples ({n})")
        } else {
            format!(
        "{WHAT}: count {count} exceeds the {available} samples left ({n} samples, {} preselected)",
        pre.len()
      )
        }));
    }
    finite(WHAT, data, dim)?;
    cancel.check()?;
    if count == 0 {
        return Ok(Vec::new());
    }

    let inv_norm = if normalize {
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
    let mut state = State {
        data,
        dim,
        inv_norm,
        min_d2: vec![f32::INFINITY; n],
        center: vec![0.0; dim],
    };

    let mut best = (f32::INFINITY, 0usize);
    for &p in &pre {
        cancel.check()?;
        best = state.add_center(p);
    }
    let count = count as usize;
    let mut picks = Vec::with_capacity(count);
    // With nothing preselected the first pick is sample 0 (`best` starts there, at infinite distance).
    while picks.len() < count {
        if ((best.0 as f64).sqrt()) < min_distance {
            break;
        }
        cancel.check()?;
        let next = best.1;
        picks.push(next as u32);
        progress.report(picks.len() as u64, count as u64);
        if picks.len() == count {
            break;
        }
        best = state.add_center(next);
    }
    Ok(picks)
}
