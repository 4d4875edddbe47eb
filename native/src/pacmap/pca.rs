//! The reference's preprocessing: principal components of the centred rows, used to reduce the
//! rows (when d exceeds `pca_dims`) and to place the initial layout.
//!
//! The components are the exact top eigenvectors of the covariance matrix (the reference uses a
//! randomized truncated SVD that approximates them), signed like scikit-learn's `svd_flip` with
//! `u_based_decision=False`: the largest-magnitude entry of each component is positive.

use nalgebra::{DMatrix, SymmetricEigen};
use napi::Result;
use rayon::prelude::*;

use crate::validate::Cancel;

/// Rows per block of a matrix product: the f32 block product is added into f64 afterwards, so the
/// f32 rounding error stays that of a sum over this many rows.
const BLOCK_ROWS: usize = 1024;
/// Largest number of partial sums reduced in a fixed order (independent of the thread count).
const MAX_GROUPS: usize = 16;
/// Memory allowed for the f64 partial covariance matrices.
const PARTIALS_BYTES: usize = 256 << 20;

/// Rows reduced to principal-component scores, and the principal axes that produced them.
pub(crate) struct Components {
    mean: Vec<f64>,
    /// d × p row-major: column t is the t-th component.
    axes: Vec<f32>,
    dim: usize,
    p: usize,
}

/// Splits `blocks` row blocks into at most `groups` contiguous ranges of blocks.
fn group_ranges(blocks: usize, groups: usize) -> Vec<std::ops::Range<usize>> {
    let groups = groups.clamp(1, blocks.max(1));
    (0..groups)
        .map(|g| blocks * g / groups..blocks * (g + 1) / groups)
        .collect()
}

fn column_means(data: &[f32], dim: usize) -> Vec<f64> {
    let n = data.len() / dim;
    let blocks = n.div_ceil(BLOCK_ROWS);
    let partials: Vec<Vec<f64>> = group_ranges(blocks, MAX_GROUPS)
        .into_par_iter()
        .map(|range| {
            let mut acc = vec![0f64; dim];
            let rows = &data
                [range.start * BLOCK_ROWS * dim..(range.end * BLOCK_ROWS * dim).min(data.len())];
            for row in rows.chunks_exact(dim) {
                acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v as f64);
            }
            acc
        })
        .collect();
    let mut mean = vec![0f64; dim];
    for part in partials {
        mean.iter_mut().zip(part).for_each(|(m, p)| *m += p);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    mean
}

/// Copies rows into `out`, minus the mean.
fn centre_into(rows: &[f32], mean: &[f64], out: &mut Vec<f32>) {
    out.clear();
    for row in rows.chunks_exact(mean.len()) {
        out.extend(row.iter().zip(mean).map(|(&v, &m)| (v as f64 - m) as f32));
    }
}

/// Σ (x − μ)(x − μ)ᵀ over all rows, d × d row-major, in f64.
fn scatter_matrix(data: &[f32], dim: usize, mean: &[f64], cancel: &Cancel) -> Vec<f64> {
    let n = data.len() / dim;
    let blocks = n.div_ceil(BLOCK_ROWS);
    let groups = (PARTIALS_BYTES / (8 * dim * dim)).clamp(1, MAX_GROUPS);
    let partials: Vec<Vec<f64>> = group_ranges(blocks, groups)
        .into_par_iter()
        .map(|range| {
            let mut acc = vec![0f64; dim * dim];
            let mut block = Vec::with_capacity(BLOCK_ROWS * dim);
            let mut product = vec![0f32; dim * dim];
            for b in range {
                if cancel.is_set() {
                    break;
                }
                let rows =
                    &data[b * BLOCK_ROWS * dim..((b + 1) * BLOCK_ROWS * dim).min(data.len())];
                centre_into(rows, mean, &mut block);
                let r = block.len() / dim;
                // product = blockᵀ · block (d × r times r × d).
                unsafe {
                    matrixmultiply::sgemm(
                        dim,
                        r,
                        dim,
                        1.0,
                        block.as_ptr(),
                        1,
                        dim as isize,
                        block.as_ptr(),
                        dim as isize,
                        1,
                        0.0,
                        product.as_mut_ptr(),
                        dim as isize,
                        1,
                    );
                }
                acc.iter_mut()
                    .zip(&product)
                    .for_each(|(a, &p)| *a += p as f64);
            }
            acc
        })
        .collect();
    let mut total = vec![0f64; dim * dim];
    for part in partials {
        total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
    }
    total
}

/// The `p` leading eigenvectors of a symmetric d × d matrix, as a d × p row-major f32 matrix.
fn leading_axes(scatter: Vec<f64>, dim: usize, p: usize) -> Vec<f32> {
    let eig = SymmetricEigen::new(DMatrix::from_row_slice(dim, dim, &scatter));
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| {
        eig.eigenvalues[b]
            .total_cmp(&eig.eigenvalues[a])
            .then(a.cmp(&b))
    });
    let mut axes = vec![0f32; dim * p];
    for (t, &e) in order.iter().take(p).enumerate() {
        let v = eig.eigenvectors.column(e);
        // svd_flip: the first entry of largest magnitude becomes positive.
        let (mut big, mut at) = (-1.0, 0);
        for (r, x) in v.iter().enumerate() {
            if x.abs() > big {
                big = x.abs();
                at = r;
            }
        }
        let sign = if v[at] < 0.0 { -1.0 } else { 1.0 };
        for r in 0..dim {
            axes[r * p + t] = (sign * v[r]) as f32;
        }
    }
    axes
}

impl Components {
    /// The `p` leading principal axes of the rows (n × dim), p ≤ dim.
    pub(crate) fn fit(data: &[f32], dim: usize, p: usize, cancel: &Cancel) -> Result<Self> {
        let mean = column_means(data, dim);
        cancel.check()?;
        let scatter = scatter_matrix(data, dim, &mean, cancel);
        cancel.check()?;
        let axes = leading_axes(scatter, dim, p);
        Ok(Components { mean, axes, dim, p })
    }

    pub(crate) fn p(&self) -> usize {
        self.p
    }

    /// Scores of `rows` on the axes, (rows / dim) × p row-major: (x − μ) · V.
    pub(crate) fn project(&self, rows: &[f32], cancel: &Cancel) -> Result<Vec<f32>> {
        let (dim, p) = (self.dim, self.p);
        let mut out = vec![0f32; rows.len() / dim * p];
        out.par_chunks_mut(BLOCK_ROWS * p)
            .zip(rows.par_chunks(BLOCK_ROWS * dim))
            .for_each_init(Vec::new, |block, (dst, src)| {
                if cancel.is_set() {
                    return;
                }
                centre_into(src, &self.mean, block);
                let r = block.len() / dim;
                unsafe {
                    matrixmultiply::sgemm(
                        r,
                        dim,
                        p,
                        1.0,
                        block.as_ptr(),
                        dim as isize,
                        1,
                        self.axes.as_ptr(),
                        p as isize,
                        1,
                        0.0,
                        dst.as_mut_ptr(),
                        p as isize,
                        1,
                    );
                }
            });
        cancel.check()?;
        Ok(out)
    }
}

/// The space the pairs are chosen in, and the initial layout.
pub(crate) struct Prepared {
    /// Principal-component scores (n × p) when the rows were reduced; `None`: the input rows.
    pub reduced: Option<Vec<f32>>,
    /// n × 2 initial layout.
    pub init: Vec<f32>,
}

/// Reduces to `pca_dims` components when `dim > pca_dims > 0`; the initial layout is then 0.01 ×
/// the first two scores. Otherwise the rows stay as they are and the initial layout is 0.01 × the
/// first two scores of the rows scaled into [0, 1] by the global min and max (the reference
/// normalizes the rows so; distances only change by that common factor).
pub(crate) fn prepare(
    data: &[f32],
    dim: usize,
    pca_dims: usize,
    cancel: &Cancel,
) -> Result<Prepared> {
    if pca_dims > 0 && dim > pca_dims {
        let components = Components::fit(data, dim, pca_dims, cancel)?;
        let reduced = components.project(data, cancel)?;
        let init = reduced
            .chunks_exact(pca_dims)
            .flat_map(|r| [0.01 * r[0], 0.01 * r[1]])
            .collect();
        return Ok(Prepared {
            reduced: Some(reduced),
            init,
        });
    }
    let (lo, hi) = data
        .par_iter()
        .fold(
            || (f32::INFINITY, f32::NEG_INFINITY),
            |(lo, hi), &v| (lo.min(v), hi.max(v)),
        )
        .reduce(
            || (f32::INFINITY, f32::NEG_INFINITY),
            |a, b| (a.0.min(b.0), a.1.max(b.1)),
        );
    let range = (hi as f64 - lo as f64) as f32;
    let scale = 0.01 / if range > 0.0 { range } else { 1.0 };
    let mut init = if dim >= 2 {
        Components::fit(data, dim, 2, cancel)?.project(data, cancel)?
    } else {
        // One column: its centred values, and a second coordinate of zeros.
        let mean = column_means(data, 1)[0];
        data.iter()
            .flat_map(|&v| [(v as f64 - mean) as f32, 0.0])
            .collect()
    };
    init.iter_mut().for_each(|v| *v *= scale);
    Ok(Prepared {
        reduced: None,
        init,
    })
}
