//! Node bindings of the selection engine (`selectSamples`) and of `similarityWeights`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::select::{self, Named, Request, Stop, Strategy};
use crate::similarity;
use crate::{attach_signal, reject_with, Cancel, Progress, ProgressCallback};

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

pub struct SelectSamplesTask {
    n: u32,
    count: u32,
    /// The strategies, or the (status, message) of the first one that could not be read: reported
    /// by the promise like every other input error.
    strategies: std::result::Result<Vec<SelectionStrategy>, (Status, String)>,
    preselected: Vec<u32>,
    cancel: Cancel,
    progress: Progress,
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

impl Task for SelectSamplesTask {
    type Output = select::Selection;
    type JsValue = SelectionResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let strategies = match &self.strategies {
            Ok(s) => s,
            Err((status, message)) => return Err(Error::new(*status, message.clone())),
        };
        let request = Request {
            what: SELECT,
            n: self.n as usize,
            count: self.count,
            strategies: strategies
                .iter()
                .enumerate()
                .map(|(i, s)| borrow(i, s))
                .collect(),
            preselected: &self.preselected,
            samples: format!("n = {}", self.n),
            strict_count: false,
        };
        select::select(request, &self.cancel, &self.progress)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(SelectionResult {
            indices: Uint32Array::new(output.indices),
            stopped_by: match output.stopped_by {
                Stop::Count => "count",
                Stop::MinDistance => "minDistance",
                Stop::Exhausted => "exhausted",
            }
            .to_string(),
        })
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        reject_with(&env, err)
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
) -> Result<AsyncTask<SelectSamplesTask>> {
    let (abort_signal, cancel) = attach_signal(&env, signal)?;
    let (preselected, on_progress) = match options {
        Some(o) => (
            o.preselected.map(|p| p.to_vec()).unwrap_or_default(),
            o.on_progress,
        ),
        None => (Vec::new(), None),
    };
    let task = SelectSamplesTask {
        n,
        count,
        strategies: read_strategies(&env, strategies),
        preselected,
        cancel,
        progress: Progress::new(on_progress),
    };
    Ok(AsyncTask::with_optional_signal(task, abort_signal))
}

#[napi(object, object_to_js = false)]
pub struct SimilarityWeightsOptions {
    /// L2-normalize samples and queries before measuring distances (default true).
    pub normalize: Option<bool>,
}

pub struct SimilarityWeightsTask {
    embeddings: Float32Array,
    queries: Float32Array,
    dim: u32,
    normalize: bool,
    cancel: Cancel,
}

impl Task for SimilarityWeightsTask {
    type Output = Vec<f32>;
    type JsValue = Float32Array;

    fn compute(&mut self) -> Result<Self::Output> {
        similarity::similarity_weights(
            &self.embeddings,
            &self.queries,
            self.dim,
            self.normalize,
            &self.cancel,
        )
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Float32Array::new(output))
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        reject_with(&env, err)
    }
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
) -> Result<AsyncTask<SimilarityWeightsTask>> {
    let (abort_signal, cancel) = attach_signal(&env, signal)?;
    let task = SimilarityWeightsTask {
        embeddings,
        queries,
        dim,
        normalize: options.and_then(|o| o.normalize).unwrap_or(true),
        cancel,
    };
    Ok(AsyncTask::with_optional_signal(task, abort_signal))
}
