//! JavaScript bindings of the neighbour-based functions: `nearestNeighbors`, `typicality` and
//! `duplicateGroups`. Options are checked on the worker thread, so every problem rejects the
//! promise (never a synchronous throw).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::duplicates::{duplicate_groups, Groups};
use crate::job::{spawn, Job};
use crate::knn::{knn, knn_query, KnnMethod, Metric, Neighbours};
use crate::typicality::Definition;
use crate::validate::{finite, invalid, rows, Cancel};
use crate::{Progress, ProgressCallback};

fn seed_of(what: &str, seed: Option<f64>) -> Result<u64> {
    match seed {
        None => Ok(0),
        Some(s)
            if s.is_finite() && s >= 0.0 && s.fract() == 0.0 && s <= 9_007_199_254_740_991.0 =>
        {
            Ok(s as u64)
        }
        Some(s) => Err(invalid(format!(
            "{what}: options.seed must be an integer between 0 and 2^53 - 1, got {s}"
        ))),
    }
}

/// Checks the matrix and k (1 ≤ k < n) and returns (n, dim, k).
fn check_knn(what: &str, data: &[f32], dim: u32, k: f64) -> Result<(usize, usize, usize)> {
    let n = rows(what, data.len(), dim)?;
    if !(k.is_finite() && k.fract() == 0.0 && k >= 1.0) {
        return Err(invalid(format!(
            "{what}: k must be an integer >= 1, got {k}"
        )));
    }
    let k = k as usize;
    if k >= n {
        return Err(invalid(format!(
            "{what}: k ({k}) must be less than the number of samples ({n})"
        )));
    }
    finite(what, data, dim as usize)?;
    Ok((n, dim as usize, k))
}

// ------------------------------------------------------------------------------------------------
// nearestNeighbors
// ------------------------------------------------------------------------------------------------

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct NearestNeighborsOptions {
    /// 'euclidean' (default) or 'cosine' (1 − cosine similarity; a row of norm 0 is at distance 1
    /// from every row).
    #[napi(ts_type = "'euclidean' | 'cosine'")]
    pub metric: Option<String>,
    /// 'exact', 'approximate' (inverted lists over k-means, recall@10 ≥ 0.95 on clustered data),
    /// or 'auto' (default): exact up to 20,000 rows, approximate above.
    #[napi(ts_type = "'exact' | 'approximate' | 'auto'")]
    pub method: Option<String>,
    /// Seed of the approximate search (default 0): the same seed gives the same result.
    pub seed: Option<f64>,
    /// Called with (rows done, rows) as the search advances, at most every 100 ms and once at
    /// the end. Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

#[napi(object, object_from_js = false)]
pub struct NearestNeighborsResult {
    /// n × k neighbour indices, row-major, nearest first (ties: lower index first).
    pub indices: Uint32Array,
    /// n × k distances matching `indices`.
    pub distances: Float32Array,
}

const KNN: &str = "nearestNeighbors";

fn neighbours_to_js(nb: Neighbours) -> NearestNeighborsResult {
    NearestNeighborsResult {
        indices: Uint32Array::new(nb.indices),
        distances: Float32Array::new(nb.distances),
    }
}

/// The `k` nearest neighbours of every sample (the sample itself excluded), euclidean or cosine.
/// Exact search is blocked and multithreaded (AVX2 + FMA where the processor has them); the
/// approximate one is seeded and deterministic. Distances are recomputed exactly (float64) for
/// the neighbours returned.
#[napi(
    ts_args_type = "embeddings: Float32Array, dim: number, k: number, options?: NearestNeighborsOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<NearestNeighborsResult>"
)]
pub fn nearest_neighbors(
    env: Env,
    embeddings: Float32Array,
    dim: u32,
    k: f64,
    options: Option<NearestNeighborsOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<Neighbours, NearestNeighborsResult>>> {
    let mut o = options.unwrap_or_default();
    let on_progress = o.on_progress.take();
    let work = move |cancel: &Cancel, progress: &Progress| {
        let metric = Metric::parse(KNN, o.metric.as_deref(), Metric::Euclidean)?;
        let method = KnnMethod::parse(KNN, "method", o.method.as_deref(), seed_of(KNN, o.seed)?)?;
        let (_, dim, k) = check_knn(KNN, &embeddings, dim, k)?;
        cancel.check()?;
        knn(&embeddings, dim, k, metric, method, cancel, progress)
    };
    spawn(&env, signal, on_progress, work, neighbours_to_js)
}

// ------------------------------------------------------------------------------------------------
// nearestNeighborsOf (queries against the embeddings; exact)
// ------------------------------------------------------------------------------------------------

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct NearestNeighborsOfOptions {
    /// 'euclidean' (default) or 'cosine'.
    #[napi(ts_type = "'euclidean' | 'cosine'")]
    pub metric: Option<String>,
    /// Called with (queries done, queries). Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

const KNN_OF: &str = "nearestNeighborsOf";

/// For each row of `queries` (m × dim), its `k` nearest samples of `embeddings` (exact; nothing
/// excluded, so a query that is also a sample finds itself at distance 0).
#[napi(
    ts_args_type = "embeddings: Float32Array, dim: number, queries: Float32Array, k: number, options?: NearestNeighborsOfOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<NearestNeighborsResult>"
)]
pub fn nearest_neighbors_of(
    env: Env,
    embeddings: Float32Array,
    dim: u32,
    queries: Float32Array,
    k: f64,
    options: Option<NearestNeighborsOfOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<Neighbours, NearestNeighborsResult>>> {
    let mut o = options.unwrap_or_default();
    let on_progress = o.on_progress.take();
    let work = move |cancel: &Cancel, progress: &Progress| {
        let metric = Metric::parse(KNN_OF, o.metric.as_deref(), Metric::Euclidean)?;
        let n = rows(KNN_OF, embeddings.len(), dim)?;
        let dim = dim as usize;
        if !queries.len().is_multiple_of(dim) {
            return Err(invalid(format!(
                "{KNN_OF}: queries length {} is not a multiple of dim {dim}",
                queries.len()
            )));
        }
        if !(k.is_finite() && k.fract() == 0.0 && k >= 1.0 && k <= n as f64) {
            return Err(invalid(format!(
                "{KNN_OF}: k must be an integer from 1 to the number of samples ({n}), got {k}"
            )));
        }
        finite(KNN_OF, &embeddings, dim)?;
        finite(KNN_OF, &queries, dim)?;
        if queries.is_empty() {
            return Ok(Neighbours {
                k: k as usize,
                indices: Vec::new(),
                distances: Vec::new(),
            });
        }
        cancel.check()?;
        knn_query(
            &embeddings,
            &queries,
            dim,
            k as usize,
            metric,
            cancel,
            progress,
        )
    };
    spawn(&env, signal, on_progress, work, neighbours_to_js)
}

/// Which dot-product kernel this processor runs: 'avx2+fma' or 'portable'.
#[napi]
pub fn simd_kernel() -> String {
    crate::kernels::simd_kernel().to_string()
}

// ------------------------------------------------------------------------------------------------
// typicality
// ------------------------------------------------------------------------------------------------

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct TypicalityOptions {
    /// Neighbours per sample (default 20).
    pub k: Option<f64>,
    /// 'lightly' (default): LightlyStudio's mean of exp(−d/σ); 'typiclust': TypiClust's
    /// 1 / (mean k-NN distance + 1e-5).
    #[napi(ts_type = "'lightly' | 'typiclust'")]
    pub definition: Option<String>,
    /// 'euclidean' (default) or 'cosine'.
    #[napi(ts_type = "'euclidean' | 'cosine'")]
    pub metric: Option<String>,
    /// 'exact', 'approximate' or 'auto' (default: exact up to 20,000 rows).
    #[napi(ts_type = "'exact' | 'approximate' | 'auto'")]
    pub method: Option<String>,
    /// Seed of the approximate search (default 0).
    pub seed: Option<f64>,
    /// Called with (rows done, rows) during the neighbour search. Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

const TYP: &str = "typicality";

/// Typicality of every sample from its `k` nearest neighbours (itself excluded).
///
/// 'lightly' (LightlyStudio's definition, the default): the mean over the k nearest of
/// exp(−d/σ), σ the mean k-NN distance over all samples; 1 everywhere when σ is 0.
/// 'typiclust' (Hacohen et al. 2022): 1 / (mean distance to the k nearest + 1e-5).
#[napi(
    ts_args_type = "embeddings: Float32Array, dim: number, options?: TypicalityOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<Float32Array>"
)]
pub fn typicality(
    env: Env,
    embeddings: Float32Array,
    dim: u32,
    options: Option<TypicalityOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<Vec<f32>, Float32Array>>> {
    let mut o = options.unwrap_or_default();
    let on_progress = o.on_progress.take();
    let work = move |cancel: &Cancel, progress: &Progress| {
        let definition = match o.definition.as_deref() {
            None | Some("lightly") => Definition::Lightly,
            Some("typiclust") => Definition::TypiClust,
            Some(other) => {
                return Err(invalid(format!(
                    "{TYP}: options.definition must be 'lightly' or 'typiclust', got '{other}'"
                )))
            }
        };
        let metric = Metric::parse(TYP, o.metric.as_deref(), Metric::Euclidean)?;
        let method = KnnMethod::parse(TYP, "method", o.method.as_deref(), seed_of(TYP, o.seed)?)?;
        let (_, dim, k) = check_knn(TYP, &embeddings, dim, o.k.unwrap_or(20.0))?;
        cancel.check()?;
        crate::typicality::typicality(
            &embeddings,
            dim,
            k,
            definition,
            metric,
            method,
            cancel,
            progress,
        )
    };
    spawn(&env, signal, on_progress, work, Float32Array::new)
}

// ------------------------------------------------------------------------------------------------
// duplicateGroups
// ------------------------------------------------------------------------------------------------

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct DuplicateGroupsOptions {
    /// 'cosine' (default) or 'euclidean'.
    #[napi(ts_type = "'euclidean' | 'cosine'")]
    pub metric: Option<String>,
    /// Called with (rows done, rows) during the pair search. Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

#[napi(object, object_from_js = false)]
pub struct DuplicateGroupsResult {
    /// Per sample: its group id, or −1 when no other sample is closer than the threshold.
    pub group_of: Int32Array,
    /// Per group id: the representative sample (the member with the most near-duplicates; ties
    /// to the lowest index).
    pub representatives: Uint32Array,
}

const DUP: &str = "duplicateGroups";

/// Near-duplicate groups: every pair of samples at distance < `threshold` (exact), joined into
/// connected components. Group ids follow each group's lowest member; samples with no
/// near-duplicate get −1.
#[napi(
    js_name = "duplicateGroups",
    ts_args_type = "embeddings: Float32Array, dim: number, threshold: number, options?: DuplicateGroupsOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<DuplicateGroupsResult>"
)]
pub fn duplicate_groups_js(
    env: Env,
    embeddings: Float32Array,
    dim: u32,
    threshold: f64,
    options: Option<DuplicateGroupsOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<Groups, DuplicateGroupsResult>>> {
    let mut o = options.unwrap_or_default();
    let on_progress = o.on_progress.take();
    let work = move |cancel: &Cancel, progress: &Progress| {
        let metric = Metric::parse(DUP, o.metric.as_deref(), Metric::Cosine)?;
        rows(DUP, embeddings.len(), dim)?;
        if !(threshold.is_finite() && threshold >= 0.0) {
            return Err(invalid(format!(
                "{DUP}: threshold must be a finite number >= 0, got {threshold}"
            )));
        }
        finite(DUP, &embeddings, dim as usize)?;
        cancel.check()?;
        duplicate_groups(
            &embeddings,
            dim as usize,
            threshold,
            metric,
            cancel,
            progress,
        )
    };
    let to_js = |g: Groups| DuplicateGroupsResult {
        group_of: Int32Array::new(g.group_of),
        representatives: Uint32Array::new(g.representatives),
    };
    spawn(&env, signal, on_progress, work, to_js)
}
