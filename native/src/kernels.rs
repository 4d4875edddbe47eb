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

/// Dot product of two int8 code rows, exact in i32 (|code| ≤ 127, so no intermediate saturates).
#[inline]
pub(crate) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        if a.len() >= 32 && avx2() {
            // SAFETY: AVX2 support was just checked.
            return unsafe { dot_i8_avx2(a, b) };
        }
    }
    dot_i8_portable(a, b)
}

#[inline]
fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += x[l] as i32 * y[l] as i32;
        }
    }
    let mut s: i32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += *x as i32 * *y as i32;
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn avx2() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let yes = std::arch::is_x86_feature_detected!("avx2");
            STATE.store(if yes { 1 } else { 2 }, Ordering::Relaxed);
            yes
        }
    }
}

/// `maddubs` multiplies unsigned by signed bytes: |a| times b with a's sign moved onto b gives the
/// same products; pairs of them (≤ 2·127² = 32,258) fit in i16, then `madd` widens to i32.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_i8_avx2(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let full = n - n % 32;
    let ones = _mm256_set1_epi16(1);
    let mut acc = _mm256_setzero_si256();
    let mut i = 0;
    while i < full {
        let x = _mm256_loadu_si256(a.as_ptr().add(i) as *const __m256i);
        let y = _mm256_loadu_si256(b.as_ptr().add(i) as *const __m256i);
        let p = _mm256_maddubs_epi16(_mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
        i += 32;
    }
    let lo = _mm256_castsi256_si128(acc);
    let hi = _mm256_extracti128_si256(acc, 1);
    let s4 = _mm_add_epi32(lo, hi);
    let s2 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0b01_00_11_10));
    let s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 0b10_11_00_01));
    let mut s = _mm_cvtsi128_si32(s1);
    for j in full..n {
        s += a[j] as i32 * b[j] as i32;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_i8_matches_portable() {
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            ((seed >> 24) as i32 % 255 - 127) as i8
        };
        for d in [1usize, 7, 31, 32, 33, 64, 100, 128, 129, 515] {
            let a: Vec<i8> = (0..d).map(|_| next()).collect();
            let b: Vec<i8> = (0..d).map(|_| next()).collect();
            let want: i32 = a.iter().zip(&b).map(|(x, y)| *x as i32 * *y as i32).sum();
            assert_eq!(dot_i8(&a, &b), want, "d = {d}");
            let m: Vec<i8> = vec![-127; d];
            let p: Vec<i8> = vec![127; d];
            assert_eq!(dot_i8(&m, &m), 127 * 127 * d as i32);
            assert_eq!(dot_i8(&m, &p), -127 * 127 * d as i32);
        }
    }
}
