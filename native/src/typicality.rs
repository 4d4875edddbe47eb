//! Typicality on k-nearest neighbours: LightlyStudio's definition and TypiClust's.

use napi::Result;
use rayon::prelude::*;

use crate::knn::{knn, KnnMethod, Metric};
use crate::validate::Cancel;
use crate::Progress;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Definition {
    /// LightlyStudio: mean over the k nearest of exp(−d/σ), σ the mean k-NN distance.
    Lightly,
    /// TypiClust (Hacohen et al. 2022): 1 / (mean k-NN distance + 1e-5).
    TypiClust,
}

/// TypiClust's reference code adds this to the mean distance (so that duplicates stay finite).
pub(crate) const TYPICLUST_EPSILON: f64 = 1e-5;

/// Typicality of every row. Inputs must already be validated (finite, n > k ≥ 1).
#[allow(clippy::too_many_arguments)]
pub(crate) fn typicality(
    data: &[f32],
    dim: usize,
    k: usize,
    definition: Definition,
    metric: Metric,
    method: KnnMethod,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Vec<f32>> {
    let nb = knn(data, dim, k, metric, method, cancel, progress)?;
    cancel.check()?;
    let dists = &nb.distances;
    let n = dists.len() / k;
    Ok(match definition {
        Definition::Lightly => {
            // Fixed-size chunks summed in order: the same σ whatever the number of threads.
            let sigma = dists
                .par_chunks(k * 1024)
                .map(|c| c.iter().map(|&d| d as f64).sum::<f64>())
                .collect::<Vec<f64>>()
                .iter()
                .sum::<f64>()
                / (n * k) as f64;
            dists
                .par_chunks(k)
                .map(|ds| {
                    if sigma > 0.0 {
                        (ds.iter().map(|&d| (-(d as f64) / sigma).exp()).sum::<f64>() / k as f64)
                            as f32
                    } else {
                        1.0
                    }
                })
                .collect()
        }
        Definition::TypiClust => dists
            .par_chunks(k)
            .map(|ds| {
                let mean = ds.iter().map(|&d| d as f64).sum::<f64>() / k as f64;
                (1.0 / (mean + TYPICLUST_EPSILON)) as f32
            })
            .collect(),
    })
}
