//! Similarity to a set of query samples, as lightly-mundig's `Similarity` defines it.

use napi::Result;
use rayon::prelude::*;

use crate::kernels::{norm2, scaled_dist2};
use crate::validate::{finite, invalid, rows, Cancel};

const WHAT: &str = "similarityWeights";
/// Samples per rayon task (each reads every query row).
const ROWS_PER_TASK: usize = 256;

/// 1 / ‖row‖ (0 for a zero row) when normalizing, else 1.
fn scale(row: &[f32], normalize: bool) -> f32 {
    if !normalize {
        return 1.0;
    }
    let s = norm2(row);
    if s > 0.0 {
        1.0 / (s as f64).sqrt() as f32
    } else {
        0.0
    }
}

/// For each sample, exp(−d_i / σ) where d_i is its euclidean distance to the nearest query and
/// σ = mean_i d_i; every weight is 1 when σ = 0.
pub(crate) fn similarity_weights(
    data: &[f32],
    queries: &[f32],
    dim: u32,
    normalize: bool,
    cancel: &Cancel,
) -> Result<Vec<f32>> {
    let n = rows(WHAT, data.len(), dim)?;
    let dim = dim as usize;
    if !queries.len().is_multiple_of(dim) {
        return Err(invalid(format!(
            "{WHAT}: queries length {} is not a multiple of dim {dim}",
            queries.len()
        )));
    }
    if queries.is_empty() {
        return Err(invalid(format!("{WHAT}: queries are empty (0 rows)")));
    }
    finite(WHAT, data, dim)?;
    if let Some(i) = queries.iter().position(|v| !v.is_finite()) {
        return Err(invalid(format!(
            "{WHAT}: queries row {} holds a non-finite value ({} at column {})",
            i / dim,
            queries[i],
            i % dim
        )));
    }
    cancel.check()?;
    let scaled: Vec<f32> = queries
        .chunks_exact(dim)
        .flat_map(|q| {
            let s = scale(q, normalize);
            q.iter().map(move |v| v * s)
        })
        .collect();
    let mut nearest = vec![0f64; n];
    nearest
        .par_chunks_mut(ROWS_PER_TASK)
        .enumerate()
        .for_each(|(t, out)| {
            if cancel.is_set() {
                return;
            }
            for (r, slot) in out.iter_mut().enumerate() {
                let row = &data[(t * ROWS_PER_TASK + r) * dim..][..dim];
                let s = scale(row, normalize);
                let d2 = scaled
                    .chunks_exact(dim)
                    .map(|q| scaled_dist2(row, s, q))
                    .fold(f32::INFINITY, f32::min);
                *slot = (d2 as f64).sqrt();
            }
        });
    cancel.check()?;
    let sigma = nearest.iter().sum::<f64>() / n as f64;
    Ok(nearest
        .iter()
        .map(|&d| {
            if sigma > 0.0 {
                (-d / sigma).exp() as f32
            } else {
                1.0
            }
        })
        .collect())
}
