//! Small numeric kernels written so that the compiler vectorizes them (8 independent lanes).
#![allow(clippy::needless_range_loop)]

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

// ---------------------------------------------------------------------------------------------
// Blocked dot products (the GEMM-like kernel under every neighbour search).
// ---------------------------------------------------------------------------------------------

/// Rows of `a` per micro-tile.
const MR: usize = 4;
/// Rows of `b` per micro-tile.
const NR: usize = 3;

/// `out[i * ldo + j] = a_i · b_j` for the `ma` rows of `a` and the `mb` rows of `b` (both
/// row-major, `dim` values a row). Uses AVX2 + FMA when the processor has them (checked once at
/// run time), a portable kernel that the compiler vectorizes otherwise. Each micro-tile holds
/// 4 × 3 accumulators in registers, so every loaded value feeds several products.
pub(crate) fn dots_block(
    a: &[f32],
    ma: usize,
    b: &[f32],
    mb: usize,
    dim: usize,
    out: &mut [f32],
    ldo: usize,
) {
    debug_assert!(a.len() >= ma * dim && b.len() >= mb * dim);
    debug_assert!(ma == 0 || out.len() >= (ma - 1) * ldo + mb);
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2_fma() {
            // SAFETY: the processor supports AVX2 and FMA (checked above).
            unsafe { avx2::dots_block(a, ma, b, mb, dim, out, ldo) };
            return;
        }
    }
    portable_dots_block(a, ma, b, mb, dim, out, ldo);
}

/// Whether the AVX2 + FMA kernels are used (x86-64 processors that have both).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::env::var_os("WINNOW_NO_AVX2").is_none()
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
    })
}

/// Which dot-product kernel runs on this processor.
pub(crate) fn simd_kernel() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2_fma() {
            return "avx2+fma";
        }
    }
    "portable"
}

const PL: usize = 4;

#[inline(always)]
fn portable_tile<const R: usize, const C: usize>(
    a: [&[f32]; R],
    b: [&[f32]; C],
    dim: usize,
) -> [[f32; C]; R] {
    let mut acc = [[[0f32; PL]; C]; R];
    let full = dim - dim % PL;
    let mut p = 0;
    while p < full {
        let mut bv = [[0f32; PL]; C];
        for c in 0..C {
            bv[c].copy_from_slice(&b[c][p..p + PL]);
        }
        for r in 0..R {
            let av: &[f32; PL] = a[r][p..p + PL].try_into().unwrap();
            for c in 0..C {
                for l in 0..PL {
                    acc[r][c][l] += av[l] * bv[c][l];
                }
            }
        }
        p += PL;
    }
    let mut out = [[0f32; C]; R];
    for r in 0..R {
        for c in 0..C {
            let v = acc[r][c];
            let mut s = (v[0] + v[2]) + (v[1] + v[3]);
            for q in full..dim {
                s += a[r][q] * b[c][q];
            }
            out[r][c] = s;
        }
    }
    out
}

fn portable_dots_block(
    a: &[f32],
    ma: usize,
    b: &[f32],
    mb: usize,
    dim: usize,
    out: &mut [f32],
    ldo: usize,
) {
    let row_a = |i: usize| &a[i * dim..(i + 1) * dim];
    let row_b = |j: usize| &b[j * dim..(j + 1) * dim];
    let mut i = 0;
    while i < ma {
        if i + MR <= ma {
            let ra = [row_a(i), row_a(i + 1), row_a(i + 2), row_a(i + 3)];
            let mut j = 0;
            while j + NR <= mb {
                let t = portable_tile::<MR, NR>(ra, [row_b(j), row_b(j + 1), row_b(j + 2)], dim);
                for r in 0..MR {
                    out[(i + r) * ldo + j..(i + r) * ldo + j + NR].copy_from_slice(&t[r]);
                }
                j += NR;
            }
            while j < mb {
                let t = portable_tile::<MR, 1>(ra, [row_b(j)], dim);
                for r in 0..MR {
                    out[(i + r) * ldo + j] = t[r][0];
                }
                j += 1;
            }
            i += MR;
        } else {
            for j in 0..mb {
                out[i * ldo + j] = portable_tile::<1, 1>([row_a(i)], [row_b(j)], dim)[0][0];
            }
            i += 1;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s));
        _mm_cvtss_f32(s)
    }

    /// R × C dot products of rows starting at `a[r]` and `b[c]` (raw pointers, `dim` values each).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile<const R: usize, const C: usize>(
        a: [*const f32; R],
        b: [*const f32; C],
        dim: usize,
    ) -> [[f32; C]; R] {
        let mut acc = [[_mm256_setzero_ps(); C]; R];
        let full = dim - dim % 8;
        let mut p = 0;
        while p < full {
            let mut bv = [_mm256_setzero_ps(); C];
            for c in 0..C {
                bv[c] = _mm256_loadu_ps(b[c].add(p));
            }
            for r in 0..R {
                let av = _mm256_loadu_ps(a[r].add(p));
                for c in 0..C {
                    acc[r][c] = _mm256_fmadd_ps(av, bv[c], acc[r][c]);
                }
            }
            p += 8;
        }
        let mut out = [[0f32; C]; R];
        for r in 0..R {
            for c in 0..C {
                let mut s = hsum(acc[r][c]);
                for q in full..dim {
                    s += *a[r].add(q) * *b[c].add(q);
                }
                out[r][c] = s;
            }
        }
        out
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots_block(
        a: &[f32],
        ma: usize,
        b: &[f32],
        mb: usize,
        dim: usize,
        out: &mut [f32],
        ldo: usize,
    ) {
        use super::{MR, NR};
        let pa = a.as_ptr();
        let pb = b.as_ptr();
        let po = out.as_mut_ptr();
        let ra = |i: usize| pa.add(i * dim);
        let rb = |j: usize| pb.add(j * dim);
        let mut i = 0;
        while i + MR <= ma {
            let rows = [ra(i), ra(i + 1), ra(i + 2), ra(i + 3)];
            let mut j = 0;
            while j + NR <= mb {
                let t = tile::<MR, NR>(rows, [rb(j), rb(j + 1), rb(j + 2)], dim);
                for r in 0..MR {
                    for c in 0..NR {
                        *po.add((i + r) * ldo + j + c) = t[r][c];
                    }
                }
                j += NR;
            }
            while j < mb {
                let t = tile::<MR, 1>(rows, [rb(j)], dim);
                for r in 0..MR {
                    *po.add((i + r) * ldo + j) = t[r][0];
                }
                j += 1;
            }
            i += MR;
        }
        while i < ma {
            let mut j = 0;
            while j + NR <= mb {
                let t = tile::<1, NR>([ra(i)], [rb(j), rb(j + 1), rb(j + 2)], dim);
                for c in 0..NR {
                    *po.add(i * ldo + j + c) = t[0][c];
                }
                j += NR;
            }
            while j < mb {
                *po.add(i * ldo + j) = tile::<1, 1>([ra(i)], [rb(j)], dim)[0][0];
                j += 1;
            }
            i += 1;
        }
    }
}

/// Cosine distance 1 − a·b / (‖a‖‖b‖) in f64 from the raw rows, given their norms; 1 when either
/// norm is 0.
#[inline]
pub(crate) fn exact_cosine(a: &[f32], na: f64, b: &[f32], nb: f64) -> f64 {
    if na == 0.0 || nb == 0.0 {
        return 1.0;
    }
    let d: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    1.0 - d / (na * nb)
}

/// Euclidean norm of a row in f64.
#[inline]
pub(crate) fn norm_f64(a: &[f32]) -> f64 {
    a.iter().map(|x| *x as f64 * *x as f64).sum::<f64>().sqrt()
}

/// Dot product of two int8 code rows, exact in i32 (|code| ≤ 127, so no intermediate saturates).
#[inline]
pub(crate) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        if a.len() >= 32 && has_avx2_fma() {
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
