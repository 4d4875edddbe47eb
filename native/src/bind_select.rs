//! Node bindings of the selection engine (`selectSamples`) and of `similarityWeights`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::job::{spawn, Job};
use crate::select::{self, Named, Request, Stop, Strategy};
use crate::similarity;
use crate::{Cancel, Progress, ProgressCallback};

const SELECT: &str = "selectSamples";

/// One selection strategy over the n candidates. `strength` (default 1, may be negative) is the
/// exponent of the strategy's objective in the product that each pick maximizes.
#[napi(
    discriminant = "type",
    discriminant_case = "lowercase",
    object_to_js = false
)]
pub enum SelectionStrategy {
    /// Static per-sample weights (n values); the objective is the sum of the selected samples'
    /// weights, floored at 1e-8.
    Weights {
        values: Float32Array,
        strength: Option<f64>,
    },
    /// Farthest-point diversity on n × dim embeddings (euclidean, on L2-normalized rows unless
    /// `normalize` is false). Selection stops when the chosen sample is closer than `minDistance`
    /// to the samples already selected.
    Diversity {
        embeddings: Float32Array,
        dim: u32,
        strength: Option<f64>,
        min_distance: Option<f64>,
        normalize: Option<bool>,
    },
    /// Class balance: `classes` is n × numClasses (a class distribution or one-hot row per
    /// sample), `target` the wanted class distribution of the selection (sums to 1).
    Balance {
        classes: Float32Array,
        num_classes: u32,
        target: Float32Array,
        strength: Option<f64>,
    },
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SelectSamplesOptions {
    /// Indices already selected: they count in every objective but are not returned.
    pub preselected: Option<Uint32Array>,
    /// Called with (picks done, picks requested) as the selection advances, at most every 100 ms
    /// and once at the end. Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

#[napi(object, object_from_js = false)]
pub struct SelectionResult {
    /// The new picks in pick order (preselected samples excluded).
    pub indices: Uint32Array,
    /// Why the selection ended: `count` picks made, a diversity `minDistance` reached, or no
    /// candidate left.
    #[napi(ts_type = "'count' | 'minDistance' | 'exhausted'")]
    pub stopped_by: String,
}

fn borrow(index: usize, strategy: &SelectionStrategy) -> Named<'_> {
    let strength = |s: Option<f64>| s.unwrap_or(1.0);
    let strategy = match strategy {
        SelectionStrategy::Weights {
            values,
            strength: s,
        } => Strategy::Weights {
            values,
            strength: strength(*s),
        },
        SelectionStrategy::Diversity {
            embeddings,
            dim,
            strength: s,
            min_distance,
            normalize,
        } => Strategy::Diversity {
            embeddings,
            dim: *dim,
            strength: strength(*s),
            min_distance: min_distance.unwrap_or(0.0),
            normalize: normalize.unwrap_or(true),
        },
        SelectionStrategy::Balance {
            classes,
            num_classes,
            target,
            strength: s,
        } => Strategy::Balance {
            classes,
            num_classes: *num_classes,
            target,
            strength: strength(*s),
        },
    };
    Named {
        label: format!("{SELECT}: strategies[{index}] ({})", kind(&strategy)),
        strategy,
    }
}

fn kind(strategy: &Strategy<'_>) -> &'static str {
    match strategy {
        Strategy::Weights { .. } => "weights",
        Strategy::Diversity { .. } => "diversity",
        Strategy::Balance { .. } => "balance",
    }
}

fn selection_to_js(selection: select::Selection) -> SelectionResult {
    SelectionResult {
        indices: Uint32Array::new(selection.indices),
        stopped_by: match selection.stopped_by {
            Stop::Count => "count",
            Stop::MinDistance => "minDistance",
            Stop::Exhausted => "exhausted",
        }
        .to_string(),
    }
}

/// Reads the strategies array, naming the element that is not a valid strategy.
fn read_strategies(
    env: &Env,
    value: Unknown<'_>,
) -> std::result::Result<Vec<SelectionStrategy>, (Status, String)> {
    let fail = |what: String| (Status::InvalidArg, format!("{SELECT}: {what}"));
    if !value.is_array().unwrap_or(false) {
        return Err(fail("strategies must be an array".to_string()));
    }
    let array: Array<'_> = unsafe { Array::from_napi_value(env.raw(), value.raw()) }
        .map_err(|e| fail(format!("strategies: {}", e.reason)))?;
    (0..array.len())
        .map(|i| {
            let item: Unknown<'_> = array
                .get(i)
                .ok()
                .flatten()
                .ok_or_else(|| fail(format!("strategies[{i}] is missing")))?;
            unsafe { SelectionStrategy::from_napi_value(env.raw(), item.raw()) }
                .map_err(|e| fail(format!("strategies[{i}]: {}", e.reason)))
        })
        .collect()
}

/// Greedy selection under the Lightly Worker combination rule: each pick is the candidate that
/// maximizes the product over strategies of objective^strength (ties: lowest index), the
/// preselected samples counting as already selected. Returns the `count` new picks in pick order,
/// fewer when a diversity `minDistance` stops it or no candidate is left. Exact definitions:
/// docs/algorithms.md.
#[napi(
    ts_args_type = "n: number, count: number, strategies: SelectionStrategy[], options?: SelectSamplesOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<SelectionResult>"
)]
pub fn select_samples(
    env: Env,
    n: u32,
    count: u32,
    strategies: Unknown<'_>,
    options: Option<SelectSamplesOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<select::Selection, SelectionResult>>> {
    let mut o = options.unwrap_or_default();
    let on_progress = o.on_progress.take();
    // Read here (they are JavaScript objects); a bad one rejects the promise like any input error.
    let strategies = read_strategies(&env, strategies);
    let work = move |cancel: &Cancel, progress: &Progress| {
        let strategies = strategies.map_err(|(status, message)| Error::new(status, message))?;
        let preselected = o.preselected.map(|p| p.to_vec()).unwrap_or_default();
        let request = Request {
            what: SELECT,
            n: n as usize,
            count,
            strategies: strategies
                .iter()
                .enumerate()
                .map(|(i, s)| borrow(i, s))
                .collect(),
            preselected: &preselected,
            samples: format!("n = {n}"),
            strict_count: false,
        };
        select::select(request, cancel, progress)
    };
    spawn(&env, signal, on_progress, work, selection_to_js)
}

#[napi(object, object_to_js = false)]
pub struct SimilarityWeightsOptions {
    /// L2-normalize samples and queries before measuring distances (default true).
    pub normalize: Option<bool>,
}

/// Similarity of every sample to a set of queries, as lightly-mundig's `Similarity`:
/// exp(−d_i / σ) with d_i the euclidean distance from sample i to its nearest query and σ the mean
/// of d_i over all samples (every weight is 1 when σ = 0). Feed it to a `weights` strategy.
#[napi(
    ts_args_type = "embeddings: Float32Array, queries: Float32Array, dim: number, options?: SimilarityWeightsOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<Float32Array>"
)]
pub fn similarity_weights(
    env: Env,
    embeddings: Float32Array,
    queries: Float32Array,
    dim: u32,
    options: Option<SimilarityWeightsOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<Job<Vec<f32>, Float32Array>>> {
    let normalize = options.and_then(|o| o.normalize).unwrap_or(true);
    let work = move |cancel: &Cancel, _: &Progress| {
        similarity::similarity_weights(&embeddings, &queries, dim, normalize, cancel)
    };
    spawn(&env, signal, None, work, Float32Array::new)
}
