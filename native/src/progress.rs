//! Progress reports from the worker threads to a JavaScript callback `(done, total) => void`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use napi::bindgen_prelude::FnArgs;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;

/// A JavaScript `(done: number, total: number) => void`, callable from any thread. Weak, so a
/// pending report never keeps the Node process alive.
pub type ProgressCallback =
    ThreadsafeFunction<FnArgs<(f64, f64)>, (), FnArgs<(f64, f64)>, Status, false, true>;

/// Least time between two reports: the callback runs on the event loop, so reports are throttled.
const MIN_INTERVAL_MS: u64 = 100;

pub(crate) struct Progress {
    callback: Option<ProgressCallback>,
    start: Instant,
    /// Milliseconds since `start` of the last report (u64::MAX before the first).
    last_ms: AtomicU64,
}

impl Progress {
    pub(crate) fn new(callback: Option<ProgressCallback>) -> Self {
        Progress {
            callback,
            start: Instant::now(),
            last_ms: AtomicU64::new(u64::MAX),
        }
    }

    pub(crate) fn none() -> Self {
        Progress::new(None)
    }

    /// Reports `done` of `total` units. Cheap when no callback is set or when the last report is
    /// recent; the first report and the final one (`done == total`) are always delivered. Safe to
    /// call from many threads at once.
    pub(crate) fn report(&self, done: u64, total: u64) {
        let Some(callback) = &self.callback else {
            return;
        };
        let now = self.start.elapsed().as_millis() as u64;
        if done < total {
            let last = self.last_ms.load(Ordering::Relaxed);
            let due = last == u64::MAX || now >= last.saturating_add(MIN_INTERVAL_MS);
            // Of the threads that find a report due, only the one that moves `last_ms` reports.
            if !due
                || self
                    .last_ms
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                return;
            }
        }
        callback.call(
            (done as f64, total as f64).into(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}
