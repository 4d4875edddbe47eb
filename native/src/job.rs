//! The one asynchronous task behind every binding: a closure run on the libuv thread pool with
//! the call's cancellation flag and progress reporter, its output turned into a JavaScript value
//! on the event loop, and a cancellation rejected as an `AbortError`.

use napi::bindgen_prelude::*;

use crate::{attach_signal, reject_with, Cancel, Progress, ProgressCallback};

type Work<T> = Box<dyn FnOnce(&Cancel, &Progress) -> Result<T> + Send>;

pub struct Job<T, J> {
    work: Option<Work<T>>,
    to_js: fn(T) -> J,
    cancel: Cancel,
    progress: Progress,
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for Job<T, J> {
    type Output = T;
    type JsValue = J;

    fn compute(&mut self) -> Result<T> {
        let work = self.work.take().expect("a job runs once");
        work(&self.cancel, &self.progress)
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<J> {
        Ok((self.to_js)(output))
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<J> {
        reject_with(&env, err)
    }
}

/// Starts `work` on the thread pool, cancellable through `signal`. Input checks belong inside
/// `work`, so that every problem rejects the promise instead of throwing synchronously.
pub(crate) fn spawn<T: Send + 'static, J: ToNapiValue + TypeName>(
    env: &Env,
    signal: Option<Unknown<'_>>,
    on_progress: Option<ProgressCallback>,
    work: impl FnOnce(&Cancel, &Progress) -> Result<T> + Send + 'static,
    to_js: fn(T) -> J,
) -> Result<AsyncTask<Job<T, J>>> {
    let (abort_signal, cancel) = attach_signal(env, signal)?;
    let job = Job {
        work: Some(Box::new(work)),
        to_js,
        cancel,
        progress: Progress::new(on_progress),
    };
    Ok(AsyncTask::with_optional_signal(job, abort_signal))
}
