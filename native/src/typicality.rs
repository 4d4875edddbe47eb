//! Typicality (LightlyStudio's definition) on exact, blocked k-nearest neighbours.

use napi::Result;
use rayon::prelude::*;

use crate::kernels::{dot, dot4, exact_dist, norm2};
use crate::validate::{finite, invalid, rows, Cancel};

const WHAT: &str = "typicality";
/// Query rows handled together by one rayon task: they stay in cache while all data rows stream by.
const QUERY_BLOCK: usize = 128;

/// The k best (smallest squared distance) candidates, sorted ascending; ties keep the lower index
/// because candidates arrive in increasing index order and only a strictly smaller one displaces.
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

/// Exact k-nearest-neighbour distances (euclidean, the sample itself excluded), n × k row-major,
/// each row ascending. Candidates are ranked with ||a||² + ||b||² − 2a·b in f32; the distances of
/// the k kept neighbours are then recomputed from the differences in f64.
fn knn_distances(data: &[f32], n: usize, dim: usize, k: usize, cancel: &Cancel) -> Vec<f32> {
    let norms: Vec<f32> = data.par_chunks(dim).map(norm2).collect();
    let mut out = vec![0f32; n * k];
    out.par_chunks_mut(QUERY_BLOCK * k)
        .enumerate()
        .for_each(|(b, out_block)| {
            if cancel.is_set() {
                return;
            }
            let q0 = b * QUERY_BLOCK;
            let qn = out_block.len() / k;
            let mut tops: Vec<TopK> = (0..qn).map(|_| TopK::new(k)).collect();
            let row = |i: usize| &data[i * dim..(i + 1) * dim];
            for j in 0..n {
                if j % 8192 == 0 && cancel.is_set() {
                    return;
                }
                let x = row(j);
                let nj = norms[j];
                let mut q = 0;
                while q + 4 <= qn {
                    let i = q0 + q;
                    let dots = dot4([row(i), row(i + 1), row(i + 2), row(i + 3)], x);
                    for r in 0..4 {
                        if i + r != j {
                            let d2 = (norms[i + r] + nj - 2.0 * dots[r]).max(0.0);
                            tops[q + r].push(d2, j as u32);
                        }
                    }
                    q += 4;
                }
                while q < qn {
                    let i = q0 + q;
                    if i != j {
                        let d2 = (norms[i] + nj - 2.0 * dot(row(i), x)).max(0.0);
                        tops[q].push(d2, j as u32);
                    }
                    q += 1;
                }
            }
            for (q, top) in tops.iter().enumerate() {
                let a = row(q0 + q);
                let dst = &mut out_block[q * k..(q + 1) * k];
                for (slot, &(_, j)) in dst.iter_mut().zip(&top.items) {
                    *slot = exact_dist(a, row(j as usize)) as f32;
                }
                dst.sort_by(|x, y| x.total_cmp(y));
            }
        });
    out
}

pub(crate) fn typicality(data: &[f32], dim: u32, k: u32, cancel: &Cancel) -> Result<Vec<f32>> {
    let n = rows(WHAT, data.len(), dim)?;
    let dim = dim as usize;
    if k == 0 {
        return Err(invalid(format!("{WHAT}: k must be at least 1, got 0")));
    }
    let k = k as usize;
    if k >= n {
        return Err(invalid(format!(
            "{WHAT}: k ({k}) must be less than the number of samples ({n})"
        )));
    }
    finite(WHAT, data, dim)?;
    cancel.check()?;
    let dists = knn_distances(data, n, dim, k, cancel);
    cancel.check()?;
    let sigma = dists.par_iter().map(|&d| d as f64).sum::<f64>() / (n * k) as f64;
    let result = dists
        .par_chunks(k)
        .map(|ds| {
            if sigma > 0.0 {
                (ds.iter().map(|&d| (-(d as f64) / sigma).exp()).sum::<f64>() / k as f64) as f32
            } else {
                1.0
            }
        })
        .collect();
    Ok(result)
}
