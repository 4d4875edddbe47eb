//! JavaScript bindings of the neighbour-based functions: `nearestNeighbors`, `typicality` and
//! `duplicateGroups`. Options are checked on the worker thread, so every problem rejects the
//! promise (never a synchronous throw).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::duplicates::duplicate_groups;
use crate::knn::{knn, KnnMethod, Metric};
use crate::typicality::Definition;
use crate::validate::{finite, invalid, rows, Cancel};
use crate::{attach_signal, reject_with, Progress, ProgressCallback};

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

pub struct NearestNeighborsTask {
    embeddings: Float32Array,
    dim: u32,
    k: f64,
    metric: Option<String>,
    method: Option<String>,
    seed: Option<f64>,
    cancel: Cancel,
    progress: Progress,
}

const KNN: &str = "nearestNeighbors";

impl Task for NearestNeighborsTask {
    type Output = (Vec<u32>, Vec<f32>);
    type JsValue = NearestNeighborsResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let metric = Metric::parse(KNN, self.metric.as_deref(), Metric::Euclidean)?;
        let method = KnnMethod::parse(KNN, self.method.as_deref(), seed_of(KNN, self.seed)?)?;
        let (_, dim, k) = check_knn(KNN, &self.embeddings, self.dim, self.k)?;
        self.cancel.check()?;
        let nb = knn(
            &self.embeddings,
            dim,
            k,
            metric,
            method,
            &self.cancel,
            &self.progress,
        )?;
        Ok((nb.indices, nb.distances))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NearestNeighborsResult {
            indices: Uint32Array::new(output.0),
            distances: Float32Array::new(output.1),
        })
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        reject_with(&env, err)
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
) -> Result<AsyncTask<NearestNeighborsTask>> {
    let (abort_signal, cancel) = attach_signal(&env, signal)?;
    let o = options.unwrap_or(NearestNeighborsOptions {
        metric: None,
        method: None,
        seed: None,
        on_progress: None,
    });
    let task = NearestNeighborsTask {
        embeddings,
        dim,
        k,
        metric: o.metric,
        method: o.method,
        seed: o.seed,
        cancel,
        progress: Progress::new(o.on_progress),
    };
    Ok(AsyncTask::with_optional_signal(task, abort_signal))
}

// ------------------------------------------------------------------------------------------------
// nearestNeighborsOf (queries against the embeddings; exact)
// ------------------------------------------------------------------------------------------------

#[napi(object, object_to_js = false)]
pub struct NearestNeighborsOfOptions {
    /// 'euclidean' (default) or 'cosine'.
    #[napi(ts_type = "'euclidean' | 'cosine'")]
    pub metric: Option<String>,
    /// Called with (queries done, queries). Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

pub struct NearestNeighborsOfTask {
    embeddings: Float32Array,
    dim: u32,
    queries: Float32Array,
    k: f64,
    metric: Option<String>,
    cancel: Cancel,
    progress: Progress,
}

const KNN_OF: &str = "nearestNeighborsOf";

impl Task for NearestNeighborsOfTask {
    type Output = (Vec<u32>, Vec<f32>);
    type JsValue = NearestNeighborsResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let metric = Metric::parse(KNN_OF, self.metric.as_deref(), Metric::Euclidean)?;
        let n = rows(KNN_OF, self.embeddings.len(), self.dim)?;
        let dim = self.dim as usize;
        if !self.queries.len().is_multiple_of(dim) {
            return Err(invalid(format!(
                "{KNN_OF}: queries length {} is not a multiple of dim {dim}",
                self.queries.len()
            )));
        }
        let k = self.k;
        if !(k.is_finite() && k.fract() == 0.0 && k >= 1.0 && k <= n as f64) {
            return Err(invalid(format!(
                "{KNN_OF}: k must be an integer from 1 to the number of samples ({n}), got {k}"
            )));
        }
        finite(KNN_OF, &self.embeddings, dim)?;
        finite(KNN_OF, &self.queries, dim)?;
        if self.queries.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        self.cancel.check()?;
        let nb = crate::knn::knn_query(
            &self.embeddings,
            &self.queries,
            dim,
            k as usize,
            metric,
            &self.cancel,
            &self.progress,
        )?;
        Ok((nb.indices, nb.distances))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NearestNeighborsResult {
            indices: Uint32Array::new(output.0),
            distances: Float32Array::new(output.1),
        })
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        reject_with(&env, err)
    }
}

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
) -> Result<AsyncTask<NearestNeighborsOfTask>> {
    let (abort_signal, cancel) = attach_signal(&env, signal)?;
    let (metric, on_progress) = match options {
        Some(o) => (o.metric, o.on_progress),
        None => (None, None),
    };
    let task = NearestNeighborsOfTask {
        embeddings,
        dim,
        queries,
        k,
        metric,
        cancel,
        progress: Progress::new(on_progress),
    };
    Ok(AsyncTask::with_optional_signal(task, abort_signal))
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

pub struct TypicalityTask {
    embeddings: Float32Array,
    dim: u32,
    k: Option<f64>,
    definition: Option<String>,
    metric: Option<String>,
    method: Option<String>,
    seed: Option<f64>,
    cancel: Cancel,
    progress: Progress,
}

const TYP: &str = "typicality";

impl Task for TypicalityTask {
    type Output = Vec<f32>;
    type JsValue = Float32Array;

    fn compute(&mut self) -> Result<Self::Output> {
        let definition = match self.definition.as_deref() {
            None | Some("lightly") => Definition::Lightly,
            Some("typiclust") => Definition::TypiClust,
            Some(other) => {
                return Err(invalid(format!(
                    "{TYP}: options.definition must be 'lightly' or 'typiclust', got '{other}'"
                )))
            }
        };
        let metric = Metric::parse(TYP, self.metric.as_deref(), Metric::Euclidean)?;
        let method = KnnMethod::parse(TYP, self.method.as_deref(), seed_of(TYP, self.seed)?)?;
        let (_, dim, k) = check_knn(TYP, &self.embeddings, self.dim, self.k.unwrap_or(20.0))?;
        self.cancel.check()?;
        crate::typicality::typicality(
            &self.embeddings,
            dim,
            k,
            definition,
            metric,
            method,
            &self.cancel,
            &self.progress,
        )
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Float32Array::new(output))
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        reject_with(&env, err)
    }
}

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
) -> Result<AsyncTask<TypicalityTask>> {
    let (abort_signal, cancel) = attach_signal(&env, signal)?;
    let o = options.unwrap_or(TypicalityOptions {
        k: None,
        definition: None,
        metric: None,
        method: None,
        seed: None,
        on_progress: None,
    });
    let task = TypicalityTask {
        embeddings,
        dim,
        k: o.k,
        definition: o.definition,
        metric: o.metric,
        method: o.method,
        seed: o.seed,
        cancel,
        progress: Progress::new(o.on_progress),
    };
    Ok(AsyncTask::with_optional_signal(task, abort_signal))
}

// ------------------------------------------------------------------------------------------------
// duplicateGroups
// ------------------------------------------------------------------------------------------------

#[napi(object, object_to_js = false)]
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

pub struct DuplicateGroupsTask {
    embeddings: Float32Array,
    dim: u32,
    threshold: f64,
    metric: Option<String>,
    cancel: Cancel,
    progress: Progress,
}

const DUP: &str = "duplicateGroups";

impl Task for DuplicateGroupsTask {
    type Output = (Vec<i32>, Vec<u32>);
    type JsValue = DuplicateGroupsResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let metric = Metric::parse(DUP, self.metric.as_deref(), Metric::Cosine)?;
        rows(DUP, self.embeddings.len(), self.dim)?;
        if !(self.threshold.is_finite() && self.threshold >= 0.0) {
            return Err(invalid(format!(
                "{DUP}: threshold must be a finite number >= 0, got {}",
                self.threshold
            )));
        }
        finite(DUP, &self.embeddings, self.dim as usize)?;
        self.cancel.check()?;
        let g = duplicate_groups(
            &self.embeddings,
            self.dim as usize,
            self.threshold,
            metric,
            &self.cancel,
            &self.progress,
        )?;
        Ok((g.group_of, g.representatives))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(DuplicateGroupsResult {
            group_of: Int32Array::new(output.0),
            representatives: Uint32Array::new(output.1),
        })
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        reject_with(&env, err)
    }
}

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
) -> Result<AsyncTask<DuplicateGroupsTask>> {
    let (abort_signal, cancel) = attach_signal(&env, signal)?;
    let o = options.unwrap_or(DuplicateGroupsOptions {
        metric: None,
        on_progress: None,
    });
    let task = DuplicateGroupsTask {
        embeddings,
        dim,
        threshold,
        metric: o.metric,
        cancel,
        progress: Progress::new(o.on_progress),
    };
    Ok(AsyncTask::with_optional_signal(task, abort_signal))
}
