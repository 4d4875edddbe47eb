//! Farthest-point (k-center) greedy selection, Sener & Savarese 2018, exact: the selection engine
//! with a single diversity strategy.

use napi::Result;

use crate::select::{select, Named, Request, Strategy};
use crate::validate::{rows, Cancel};
use crate::Progress;

const WHAT: &str = "kCenterGreedy";

// The binding in lib.rs passes the options one by one.
#[allow(clippy::too_many_arguments)]
pub(crate) fn k_center_greedy(
    data: &[f32],
    dim: u32,
    count: u32,
    preselected: &[u32],
    min_distance: f64,
    normalize: bool,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<Vec<u32>> {
    let n = rows(WHAT, data.len(), dim)?;
    let request = Request {
        what: WHAT,
        n,
        count,
        strategies: vec![Named {
            label: WHAT.to_string(),
            strategy: Strategy::Diversity {
                embeddings: data,
                dim,
                strength: 1.0,
                min_distance,
                normalize,
            },
        }],
        preselected,
        samples: format!("the embeddings have {n} rows"),
        strict_count: true,
    };
    Ok(select(request, cancel, progress)?.indices)
}
