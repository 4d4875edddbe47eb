//! Winnow's Rust core, bound to Node with napi-rs: the image path and the numeric algorithms.
//!
//! The image path (bind_image.rs: decode, orient, resize, normalise, thumbnails, crops) is called
//! synchronously from the embedding's decoder threads, one image per call.
//!
//! Every numeric function takes row-major `f32` embeddings (n × dim) as a `Float32Array` that is
//! read in place (no copy), runs on the libuv thread pool (the Node event loop is never blocked)
//! and uses rayon for the data-parallel parts. Results are deterministic: every reduction breaks
//! ties by the lowest sample index and does not depend on how work is split between threads.
//!
//! The embeddings must not be modified from JavaScript while a call that reads them is running.

#![deny(clippy::all)]
// The bindings are called from JavaScript alone, so `cargo test` sees them as unused.
#![cfg_attr(test, allow(dead_code))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

mod bind_image;
mod bind_knn;
mod bind_projection;
mod bind_select;
mod cover;
mod decode_image;
mod decode_jpeg;
mod decode_tiff;
mod duplicates;
mod job;
mod kcenter;
mod kernels;
mod knn;
mod model_input;
mod pacmap;
mod progress;
mod rng;
mod select;
mod similarity;
mod thumbnail;
mod typicality;
mod validate;

pub(crate) use progress::{Progress, ProgressCallback};
pub(crate) use validate::{invalid, Cancel};

/// Turns an optional JavaScript `AbortSignal` into a cancellation flag that the computation polls.
///
/// napi-rs cancels work that has not started yet by itself (the promise then rejects with an
/// `AbortError`); work that is already running is stopped through the flag. A signal that is
/// already aborted when the call is made sets the flag immediately.
fn attach_signal(env: &Env, signal: Option<Unknown<'_>>) -> Result<(Option<AbortSignal>, Cancel)> {
    let flag = Arc::new(AtomicBool::new(false));
    let Some(value) = signal else {
        return Ok((None, Cancel(flag)));
    };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok((None, Cancel(flag))),
        ValueType::Object => {}
        _ => return Err(invalid("signal must be an AbortSignal")),
    }
    let object: Object<'_> = unsafe { Object::from_napi_value(env.raw(), value.raw())? };
    let aborted: Option<bool> = object.get("aborted")?;
    if aborted.unwrap_or(false) {
        flag.store(true, Ordering::SeqCst);
    }
    let abort_signal = unsafe { AbortSignal::from_napi_value(env.raw(), value.raw())? };
    let on_abort_flag = flag.clone();
    abort_signal.on_abort(move || on_abort_flag.store(true, Ordering::SeqCst));
    Ok((Some(abort_signal), Cancel(flag)))
}

/// Rejects with an `Error` whose `name` is `AbortError` (as napi-rs does for work cancelled before
/// it started), so both paths look the same to JavaScript.
fn reject_with<T>(env: &Env, err: Error) -> Result<T> {
    if err.status == Status::Cancelled {
        let mut js_error = env.create_error(err)?;
        js_error.set_named_property("name", "AbortError")?;
        return Err(Error::from(js_error.to_unknown()));
    }
    Err(err)
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct KCenterGreedyOptions {
    /// Indices already selected: they count as centres but are not returned.
    pub preselected: Option<Uint32Array>,
    /// Stop early when the farthest remaining sample is closer than this (euclidean distance, in the
    /// normalized space when `normalize` is true). Default 0: never stop early.
    pub min_distance: Option<f64>,
    /// L2-normalize every row before measuring distances (default true). Rows of norm 0 stay 0.
    pub normalize: Option<bool>,
    /// Called with (picks done, picks requested) as the selection advances, at most every 100 ms
    /// and once at the end. Must not throw.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<ProgressCallback>,
}

/// Diversity selection by farthest-point (k-center) greedy, Sener & Savarese 2018.
///
/// Picks `count` samples one at a time, each the sample farthest (euclidean) from every sample
/// already chosen or preselected; ties go to the lowest index. With no preselected samples the
/// first pick is index 0. Returns the picked indices in pick order, without the preselected ones;
/// fewer than `count` when `minDistance` stops it early.
#[napi(
    ts_args_type = "embeddings: Float32Array, dim: number, count: number, options?: KCenterGreedyOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<Uint32Array>"
)]
pub fn k_center_greedy(
    env: Env,
    embeddings: Float32Array,
    dim: u32,
    count: u32,
    options: Option<KCenterGreedyOptions>,
    signal: Option<Unknown<'_>>,
) -> Result<AsyncTask<job::Job<Vec<u32>, Uint32Array>>> {
    let mut o = options.unwrap_or_default();
    let on_progress = o.on_progress.take();
    let work = move |cancel: &Cancel, progress: &Progress| {
        let preselected = o.preselected.map(|p| p.to_vec()).unwrap_or_default();
        kcenter::k_center_greedy(
            &embeddings,
            dim,
            count,
            &preselected,
            o.min_distance.unwrap_or(0.0),
            o.normalize.unwrap_or(true),
            cancel,
            progress,
        )
    };
    job::spawn(&env, signal, on_progress, work, Uint32Array::new)
}
