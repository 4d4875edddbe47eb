//! JavaScript bindings of the 2-D projection: `pacmap` and `placePoints`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::job::{spawn, Job};
use crate::knn::KnnMethod;
use crate::pacmap::{self, PacmapParams, PlaceParams};
use crate::{invalid, Cancel, Progress, ProgressCallback};

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// An optional whole-number option, at least `min`.
fn whole(what: &str, field: &str, value: Option<f64>, min: f64) -> Result<Option<usize>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v.fract() == 0.0 && v >= min && v <= MAX_SAFE_INTEGER => {
            Ok(Some(v as usize))
        }
        Some(v) => Err(invalid(format!(
            "{what}: options.{field} must be a whole number >= {min}, got {v}"
        ))),
    }
}

/// An optional number option, finite and above `above` (or equal to it when `or_equal`).
fn number(
    what: &str,
    field: &str,
    value: Option<f64>,
    default: f64,
    above: f64,
    or_equal: bool,
) -> Result<f64> {
    let v = value.unwrap_or(default);
    if v.is_finite() && (v > above || (or_equal && v == above)) {
        Ok(v)
    } else {
        let op = if or_equal { ">=" } else { ">" };
        Err(invalid(format!(
            "{what}: options.{field} must be a finite number {op} {above}, got {v}"
        )))
    }
}

fn pca_dims(what: &str, value: Option<f64>) -> Result<usize> {
    match whole(what, "pcaDims", value, 0.0)? {
        None => Ok(100),
        Some(1) => Err(invalid(format!(
            "{what}: options.pcaDims must be 0 (no reduction) or at least 2, got 1"
        ))),
        Some(p) => Ok(p),
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct PacmapOptions {
    /// Neighbour pairs per sample. Default: 10, or round(10 + 15 · (log10 n − 4)) above 10,000
    /// samples.
    pub n_neighbors: Option<f64>,
    /// Mid-near pairs per neighbour pair (default 0.5).
    pub mn_ratio: Option<f64>,
    /// Further pairs per neighbour pair (default 2).
    pub fp_ratio: Option<f64>,
    /// Total iterations (default 450): 100 in phase 1, 100 in phase 2, the rest in phase 3.
    pub iterations: Option<f64>,
    /// Adam's learning rate (default 1).
    pub learning_rate: Option<f64>,
    /// Seed of the random pair choice (default 0); the same seed gives the same layout.
    pub seed: Option<f64>,
    /// Reduce to this many principal components first when the embeddings have more dimensions
    /// (default 100); 0 never reduces.
    pub pca_dims: Option<f64>,
    /// Nearest-neighbour search: 'exact', 'approximate' or 'auto' (default: exact for small
    /// inputs, approximate for large ones).
    #[napi(ts_type = "'exact' | 'approximate' | 'auto'")]
    pub knn_method: Option<String>,
    /// Called with (steps done, total steps): three preparation steps, then one per iteration;
    /// at most every 100 ms and once at the end. Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

fn pacmap_params(options: &PacmapOptions) -> Result<PacmapParams> {
    const WHAT: &str = "pacmap";
    let seed = whole(WHAT, "seed", options.seed, 0.0)?.unwrap_or(0) as u64;
    let knn = KnnMethod::parse(WHAT, "knnMethod", options.knn_method.as_deref(), seed)?;
    Ok(PacmapParams {
        n_neighbors: whole(WHAT, "nNeighbors", options.n_neighbors, 1.0)?,
        mn_ratio: number(WHAT, "mnRatio", options.mn_ratio, 0.5, 0.0, true)?,
        fp_ratio: number(WHAT, "fpRatio", options.fp_ratio, 2.0, 0.0, false)?,
        iterations: whole(WHAT, "iterations", options.iterations, 1.0)?.unwrap_or(450),
        learning_rate: number(WHAT, "learningRate", options.learning_rate, 1.0, 0.0, false)? as f32,
        seed,
        pca_dims: pca_dims(WHAT, options.pca_dims)?,
        knn,
    })
}

/// 2-D layout by PaCMAP (Wang, Huang, Rudin & Shaposhnik, JMLR 2021) with the defaults of the
/// reference `pacmap` 0.9.1 package. Returns n × 2 row-major coordinates. Deterministic for a seed.
#[napi(
    ts_args_type = "embeddings: Float32Array, dim: number, options?: PacmapOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<Float32Array>"
)]
pub fn pacmap(
    env: Env,
    embeddings: Float32Array,
    dim: u32,
    options: Option<PacmapOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<Vec<f32>, Float32Array>>> {
    let mut options = options.unwrap_or_default();
    let on_progress = options.on_progress.take();
    let work = move |cancel: &Cancel, progress: &Progress| {
        let params = pacmap_params(&options)?;
        pacmap::pacmap(&embeddings, dim as usize, &params, cancel, progress)
    };
    spawn(&env, signal, on_progress, work, Float32Array::new)
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct PlacePointsOptions {
    /// Neighbours in the existing embeddings per new point. Default: as `pacmap` for the existing
    /// number of samples.
    pub n_neighbors: Option<f64>,
    /// Total iterations (default 450), with `pacmap`'s neighbour weights.
    pub iterations: Option<f64>,
    /// Adam's learning rate (default 1).
    pub learning_rate: Option<f64>,
    /// As `pacmap`'s (default 100): must match the value the layout was made with.
    pub pca_dims: Option<f64>,
    /// Called with (points placed, new points), at most every 100 ms and once at the end.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

fn place_params(options: &PlacePointsOptions) -> Result<PlaceParams> {
    const WHAT: &str = "placePoints";
    Ok(PlaceParams {
        n_neighbors: whole(WHAT, "nNeighbors", options.n_neighbors, 1.0)?,
        iterations: whole(WHAT, "iterations", options.iterations, 1.0)?.unwrap_or(450),
        learning_rate: number(WHAT, "learningRate", options.learning_rate, 1.0, 0.0, false)? as f32,
        pca_dims: pca_dims(WHAT, options.pca_dims)?,
    })
}

/// Places new samples into an existing PaCMAP layout without moving it (like the reference's
/// `transform`): each new point is pulled toward its nearest existing samples' positions.
/// `coordinates` is the n × 2 layout of `embeddings`; returns m × 2 for the m rows of
/// `newEmbeddings`.
#[napi(
    ts_args_type = "embeddings: Float32Array, coordinates: Float32Array, newEmbeddings: Float32Array, dim: number, options?: PlacePointsOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<Float32Array>"
)]
pub fn place_points(
    env: Env,
    embeddings: Float32Array,
    coordinates: Float32Array,
    new_embeddings: Float32Array,
    dim: u32,
    options: Option<PlacePointsOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<Vec<f32>, Float32Array>>> {
    let mut options = options.unwrap_or_default();
    let on_progress = options.on_progress.take();
    let work = move |cancel: &Cancel, progress: &Progress| {
        let params = place_params(&options)?;
        pacmap::place_points(
            &embeddings,
            &coordinates,
            &new_embeddings,
            dim as usize,
            &params,
            cancel,
            progress,
        )
    };
    spawn(&env, signal, on_progress, work, Float32Array::new)
}
