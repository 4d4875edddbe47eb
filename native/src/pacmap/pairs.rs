//! PaCMAP's three pair sets, chosen as the reference `pacmap` 0.9.1 chooses them: neighbour pairs
//! by scaled distance among the nearest candidates, mid-near pairs as the second nearest of six
//! random rows, further pairs uniformly at random.

use napi::Result;
use rayon::prelude::*;

use crate::kernels::scaled_dist2;
use crate::knn::Neighbours;
use crate::rng::SplitMix64;
use crate::validate::invalid;

/// How many pairs of each kind every row gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Counts {
    pub nb: usize,
    pub mn: usize,
    pub fp: usize,
}

/// The reference's default number of neighbours for n rows.
pub(crate) fn default_neighbours(n: usize) -> usize {
    if n <= 10_000 {
        10
    } else {
        (10.0 + 15.0 * ((n as f64).log10() - 4.0)).round_ties_even() as usize
    }
}

/// Python's `int(round(x))` (round half to even), as the reference counts pairs.
fn py_round(x: f64) -> usize {
    x.round_ties_even() as usize
}

/// The pair counts of the reference's `decide_num_pairs` for n rows.
pub(crate) fn counts(
    what: &str,
    n: usize,
    n_neighbors: Option<usize>,
    mn_ratio: f64,
    fp_ratio: f64,
) -> Result<Counts> {
    let nb = n_neighbors.unwrap_or_else(|| default_neighbours(n));
    let (mut nb, mut mn, mut fp) = (
        nb,
        py_round(nb as f64 * mn_ratio),
        py_round(nb as f64 * fp_ratio),
    );
    let m = n.saturating_sub(1);
    nb = nb.min(m);
    fp = fp.min(m - nb);
    mn = mn.min(m);
    if nb + mn + fp >= n {
        let per = n as f64 / (1.0 + mn_ratio + fp_ratio);
        nb = per as usize;
        mn = (per * mn_ratio) as usize;
        fp = (per * fp_ratio) as usize;
        // The reference can still ask for more further pairs than rows left; they are capped.
        nb = nb.min(m);
        fp = fp.min(m - nb);
        mn = mn.min(m);
    }
    if nb < 1 || fp < 1 {
        return Err(invalid(format!(
            "{what}: {n} samples are too few for at least one neighbour pair and one further pair per sample (with nNeighbors {}, fpRatio {fp_ratio})",
            n_neighbors.map_or("auto".to_string(), |k| k.to_string())
        )));
    }
    Ok(Counts { nb, mn, fp })
}

/// One independent generator per row and purpose, so the pairs do not depend on how rows are
/// split between threads.
fn row_stream(seed: u64, row: usize, stream: u64) -> SplitMix64 {
    let mut r = SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
    SplitMix64::new(r.next_u64() ^ (row as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

const STREAM_MID_NEAR: u64 = 1;
const STREAM_FURTHER: u64 = 2;

/// Appends `count` distinct rows of 0..n to `out`, none equal to `me`, to one in `reject` or to
/// one already in `out`; fewer when fewer are left.
fn sample_distinct(
    rng: &mut SplitMix64,
    n: usize,
    count: usize,
    me: usize,
    reject: &[u32],
    out: &mut Vec<u32>,
) {
    let start = out.len();
    let left = n - 1 - reject.len() - start;
    let target = start + count.min(left);
    while out.len() < target {
        let j = rng.below(n);
        let j32 = j as u32;
        if j != me && !out[..].contains(&j32) && !reject.contains(&j32) {
            out.push(j32);
        }
    }
}

/// Neighbour pairs, n × nb: for each row, the nb candidates (its nearest rows, self excluded) of
/// least scaled distance d²_ij / (σ_i σ_j), σ_i the mean distance to its 4th–6th nearest (at
/// least 1e-10). Ties keep the nearer candidate.
pub(crate) fn neighbour_pairs(candidates: &Neighbours, nb: usize) -> Vec<u32> {
    let k = candidates.k;
    // With fewer than 4 candidates there is no 4th–6th: all of them are used.
    let (lo, hi) = if k > 3 { (3, k.min(6)) } else { (0, k) };
    let sigma: Vec<f32> = candidates
        .distances
        .par_chunks(k)
        .map(|d| (d[lo..hi].iter().sum::<f32>() / (hi - lo) as f32).max(1e-10))
        .collect();
    let mut pairs = vec![0u32; candidates.indices.len() / k * nb];
    pairs
        .par_chunks_mut(nb)
        .enumerate()
        .for_each_init(Vec::new, |scaled, (i, out)| {
            let idx = &candidates.indices[i * k..(i + 1) * k];
            let dist = &candidates.distances[i * k..(i + 1) * k];
            scaled.clear();
            scaled.extend(
                idx.iter()
                    .zip(dist)
                    .enumerate()
                    .map(|(t, (&j, &d))| (d * d / sigma[i] / sigma[j as usize], t)),
            );
            scaled.sort_by(|a: &(f32, usize), b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (slot, &(_, t)) in out.iter_mut().zip(scaled.iter()) {
                *slot = idx[t];
            }
        });
    pairs
}

/// Mid-near pairs, n × mn: each is the second nearest of six distinct random rows (not the row
/// itself nor an earlier mid-near partner of it); the nearest is dropped.
pub(crate) fn mid_near_pairs(x: &[f32], dim: usize, mn: usize, seed: u64) -> Vec<u32> {
    let n = x.len() / dim;
    let row = |i: usize| &x[i * dim..(i + 1) * dim];
    let mut pairs = vec![0u32; n * mn];
    if mn == 0 {
        return pairs;
    }
    pairs.par_chunks_mut(mn).enumerate().for_each(|(i, out)| {
        let mut rng = row_stream(seed, i, STREAM_MID_NEAR);
        let mut sampled = Vec::with_capacity(6);
        let mut ranked = Vec::with_capacity(6);
        for j in 0..mn {
            sampled.clear();
            sample_distinct(&mut rng, n, 6, i, &out[..j], &mut sampled);
            ranked.clear();
            ranked.extend(
                sampled
                    .iter()
                    .enumerate()
                    .map(|(t, &s)| (scaled_dist2(row(i), 1.0, row(s as usize)), t)),
            );
            ranked.sort_by(|a: &(f32, usize), b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            // With a single candidate left there is no second nearest: it is taken.
            out[j] = sampled[ranked[1.min(ranked.len() - 1)].1];
        }
    });
    pairs
}

/// Further pairs, n × fp: distinct uniformly random rows, neither the row itself nor one of its
/// neighbour-pair partners.
pub(crate) fn further_pairs(
    n: usize,
    nb_pairs: &[u32],
    nb: usize,
    fp: usize,
    seed: u64,
) -> Vec<u32> {
    let mut pairs = vec![0u32; n * fp];
    pairs.par_chunks_mut(fp).enumerate().for_each_init(
        || Vec::with_capacity(fp),
        |picked, (i, out)| {
            let mut rng = row_stream(seed, i, STREAM_FURTHER);
            picked.clear();
            sample_distinct(&mut rng, n, fp, i, &nb_pairs[i * nb..(i + 1) * nb], picked);
            out.copy_from_slice(picked);
        },
    );
    pairs
}
