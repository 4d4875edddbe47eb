//! Small numeric kernels written so that the compiler vectorizes them (8 independent lanes).

const LANES: usize = 8;

#[inline]
fn sum_lanes(acc: [f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Squared norm of a row.
#[inline]
pub(crate) fn norm2(a: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = a.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            acc[l] += c[l] * c[l];
        }
    }
    let mut s = sum_lanes(acc);
    for v in rest {
        s += v * v;
    }
    s
}

/// Squared euclidean distance between `scale · a` and `b`.
#[inline]
pub(crate) fn scaled_dist2(a: &[f32], scale: f32, b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            let t = x[l] * scale - y[l];
            acc[l] += t * t;
        }
    }
    let mut s = sum_lanes(acc);
    for (x, y) in ra.iter().zip(rb) {
        let t = x * scale - y;
        s += t * t;
    }
    s
}

/// Dot products of one row `x` with four rows `q0..q3` at once (each element of `x` is loaded once).
#[inline]
pub(crate) fn dot4(q: [&[f32]; 4], x: &[f32]) -> [f32; 4] {
    let mut acc = [[0f32; LANES]; 4];
    let d = x.len();
    let full = d - d % LANES;
    let mut i = 0;
    while i < full {
        let xs: &[f32; LANES] = x[i..i + LANES].try_into().unwrap();
        for r in 0..4 {
            let qs: &[f32; LANES] = q[r][i..i + LANES].try_into().unwrap();
            for l in 0..LANES {
                acc[r][l] += qs[l] * xs[l];
            }
        }
        i += LANES;
    }
    let mut out = [0f32; 4];
    for r in 0..4 {
        let mut s = sum_lanes(acc[r]);
        for j in full..d {
            s += q[r][j] * x[j];
        }
        out[r] = s;
    }
    out
}

/// Dot product of two rows.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = sum_lanes(acc);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Euclidean distance computed directly from the differences, accumulated in f64.
#[inline]
pub(crate) fn exact_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let t = *x as f64 - *y as f64;
            t * t
        })
        .sum::<f64>()
        .sqrt()
}
