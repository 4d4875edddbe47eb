//! Input checks shared by every entry point. Every problem becomes a napi `InvalidArg` error (a
//! rejected promise in JavaScript), never a panic.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::{Error, Result, Status};
use rayon::prelude::*;

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, message.into())
}

/// Cancellation flag set from the JavaScript thread by an `AbortSignal`.
#[derive(Clone)]
pub(crate) struct Cancel(pub(crate) Arc<AtomicBool>);

impl Cancel {
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.is_set() {
            Err(Error::new(Status::Cancelled, "The operation was aborted"))
        } else {
            Ok(())
        }
    }
}

/// Checks the shape of an n × dim row-major matrix and returns n.
pub(crate) fn rows(what: &str, len: usize, dim: u32) -> Result<usize> {
    if dim == 0 {
        return Err(invalid(format!("{what}: dim must be at least 1, got 0")));
    }
    let dim = dim as usize;
    if !len.is_multiple_of(dim) {
        return Err(invalid(format!(
            "{what}: embeddings length {len} is not a multiple of dim {dim}"
        )));
    }
    let n = len / dim;
    if n == 0 {
        return Err(invalid(format!("{what}: embeddings are empty (0 rows)")));
    }
    Ok(n)
}

/// Fails on the first row (lowest index) holding a NaN or an infinite value.
pub(crate) fn finite(what: &str, data: &[f32], dim: usize) -> Result<()> {
    const ROWS_PER_CHUNK: usize = 4096;
    let bad = data
        .par_chunks(dim * ROWS_PER_CHUNK)
        .enumerate()
        .find_map_first(|(c, chunk)| {
            chunk
                .chunks_exact(dim)
                .position(|row| !row.iter().all(|v| v.is_finite()))
                .map(|r| c * ROWS_PER_CHUNK + r)
        });
    match bad {
        None => Ok(()),
        Some(row) => {
            let values = &data[row * dim..(row + 1) * dim];
            let (col, value) = values
                .iter()
                .enumerate()
                .find(|(_, v)| !v.is_finite())
                .map(|(c, v)| (c, *v))
                .unwrap_or((0, f32::NAN));
            Err(invalid(format!(
                "{what}: embeddings row {row} holds a non-finite value ({value} at column {col})"
            )))
        }
    }
}
