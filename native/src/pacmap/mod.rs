//! 2-D projection by PaCMAP (Wang, Huang, Rudin & Shaposhnik, JMLR 2021), following the reference
//! `pacmap` 0.9.1 Python package: its preprocessing, pair choice, loss, schedule and optimizer.

mod optimize;
mod pairs;
mod pca;
mod tiles;

use napi::Result;

use crate::knn::{knn, knn_query, KnnMethod, Metric};
use crate::validate::{finite, invalid, rows, Cancel};
use crate::Progress;
use optimize::{Pairs, Phases};

/// Candidates per row for the neighbour pairs beyond n_neighbors (the reference's `+ 50`).
const EXTRA_CANDIDATES: usize = 50;
/// Progress units before the iterations: principal components, neighbours, pairs.
const PREPARE_STEPS: u64 = 3;

pub(crate) struct PacmapParams {
    /// `None`: 10, or round(10 + 15 · (log10 n − 4)) above 10,000 rows.
    pub n_neighbors: Option<usize>,
    pub mn_ratio: f64,
    pub fp_ratio: f64,
    pub iterations: usize,
    pub learning_rate: f32,
    pub seed: u64,
    /// Reduce to this many principal components first when the rows have more; 0: never.
    pub pca_dims: usize,
    pub knn: KnnMethod,
}

pub(crate) struct PlaceParams {
    pub n_neighbors: Option<usize>,
    pub iterations: usize,
    pub learning_rate: f32,
    pub pca_dims: usize,
}

/// The n × 2 PaCMAP layout of `data` (n × dim row-major).
pub(crate) fn pacmap(
    data: &[f32],
    dim: usize,
    params: &PacmapParams,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Vec<f32>> {
    const WHAT: &str = "pacmap";
    let n = rows(WHAT, data.len(), dim as u32)?;
    let counts = pairs::counts(
        WHAT,
        n,
        params.n_neighbors,
        params.mn_ratio,
        params.fp_ratio,
    )?;
    finite(WHAT, data, dim)?;
    cancel.check()?;
    let total = PREPARE_STEPS + params.iterations as u64;

    let prepared = pca::prepare(data, dim, params.pca_dims, cancel)?;
    let (space, space_dim) = match &prepared.reduced {
        Some(reduced) => (reduced.as_slice(), params.pca_dims),
        None => (data, dim),
    };
    progress.report(1, total);

    let candidates = (counts.nb + EXTRA_CANDIDATES).min(n - 1);
    let neighbours = knn(
        space,
        space_dim,
        candidates,
        Metric::Euclidean,
        params.knn,
        cancel,
        &Progress::none(),
    )?;
    progress.report(2, total);

    let nb = pairs::neighbour_pairs(&neighbours, counts.nb);
    drop(neighbours);
    cancel.check()?;
    let mn = pairs::mid_near_pairs(space, space_dim, counts.mn, params.seed);
    cancel.check()?;
    let fp = pairs::further_pairs(n, &nb, counts.nb, counts.fp, params.seed);
    let pairs = Pairs { counts, nb, mn, fp };
    progress.report(PREPARE_STEPS, total);

    let mut layout = prepared.init;
    drop(prepared.reduced);
    optimize::optimize(
        &mut layout,
        pairs,
        Phases::new(params.iterations),
        params.learning_rate,
        cancel,
        (progress, PREPARE_STEPS, total),
    )?;
    Ok(layout)
}

/// Places the rows of `new_data` (m × dim) into the layout `coordinates` (n × 2) of `data`
/// (n × dim) without moving it; returns m × 2.
pub(crate) fn place_points(
    data: &[f32],
    coordinates: &[f32],
    new_data: &[f32],
    dim: usize,
    params: &PlaceParams,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Vec<f32>> {
    const WHAT: &str = "placePoints";
    let n = rows(WHAT, data.len(), dim as u32)?;
    if coordinates.len() != 2 * n {
        return Err(invalid(format!(
            "{WHAT}: coordinates length {} is not 2 × the {n} rows of embeddings",
            coordinates.len()
        )));
    }
    if !new_data.len().is_multiple_of(dim) {
        return Err(invalid(format!(
            "{WHAT}: newEmbeddings length {} is not a multiple of dim {dim}",
            new_data.len()
        )));
    }
    finite(WHAT, data, dim)?;
    finite(&format!("{WHAT} (newEmbeddings)"), new_data, dim)?;
    if let Some(i) = coordinates.iter().position(|v| !v.is_finite()) {
        return Err(invalid(format!(
            "{WHAT}: coordinates row {} holds a non-finite value ({})",
            i / 2,
            coordinates[i]
        )));
    }
    if new_data.is_empty() {
        return Ok(Vec::new());
    }
    let k = params
        .n_neighbors
        .unwrap_or_else(|| pairs::default_neighbours(n))
        .min(n);
    cancel.check()?;

    let reduce = params.pca_dims > 0 && dim > params.pca_dims;
    let neighbours = if reduce {
        let components = pca::Components::fit(data, dim, params.pca_dims, cancel)?;
        let basis = components.project(data, cancel)?;
        let queries = components.project(new_data, cancel)?;
        let p = components.p();
        knn_query(
            &basis,
            &queries,
            p,
            k,
            Metric::Euclidean,
            cancel,
            &Progress::none(),
        )?
    } else {
        knn_query(
            data,
            new_data,
            dim,
            k,
            Metric::Euclidean,
            cancel,
            &Progress::none(),
        )?
    };
    optimize::place(
        coordinates,
        &neighbours.indices,
        k,
        Phases::new(params.iterations),
        params.learning_rate,
        cancel,
        progress,
    )
}
