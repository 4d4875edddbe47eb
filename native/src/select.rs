//! The selection combination engine: the Lightly Worker rule over weights, diversity and balance.
//!
//! Each strategy `i` has an objective `F_i(T)` of a set of samples `T`; every step picks the
//! candidate `c` maximizing `Σ_i s_i · ln F_i(S ∪ {c})` (the product of `F_i^{s_i}`), `S` being
//! everything selected so far, preselected included; ties go to the lowest index. The objectives
//! (docs/algorithms.md has the exact definitions and how they were pinned down against
//! lightly-mundig):
//!   - weights:   `max(W_S + w_c, ε)`, `W_S = Σ_{s ∈ S} w_s`;
//!   - diversity: `D_S + max(d²(c, S), ε)`, `D_S = Σ_{s ∈ S} max(d²(s, S \ {s}), ε)`;
//!   - balance:   `exp(−KL₂(p ‖ t))`, `p` the normalized class mass of `S ∪ {c}`.
//!
//! Every objective depends on the set only, so selecting in two batches (the second with the
//! first's picks preselected, in pick order) gives exactly the picks of one run.
//!
//! Finding the argmax exactly without scoring every candidate: candidates are grouped (cells of the
//! diversity cover, or fixed index blocks when there is no diversity strategy) and each group gets
//! an upper bound of its members' scores from its largest distance and its weight extremes (each
//! term is monotone in its input). Only groups whose bound reaches the best exact score found are
//! scored. Balance terms and negative diversity strengths have no such bound: those selections
//! score every candidate at each step.

use napi::Result;
use rayon::prelude::*;

use crate::cover::{Cover, Group, Member};
use crate::validate::{invalid, Cancel};
use crate::Progress;

/// Floor of the weight sums and squared distances, as in lightly-mundig (keeps every logarithm
/// finite).
const EPS: f64 = 1e-8;
/// Samples per group when there is no diversity strategy to group them.
const BLOCK: usize = 1024;
/// Candidates per rayon task when scoring.
const SCORE_CHUNK: usize = 4096;

pub(crate) enum Strategy<'a> {
    Weights {
        values: &'a [f32],
        strength: f64,
    },
    Diversity {
        embeddings: &'a [f32],
        dim: u32,
        strength: f64,
        min_distance: f64,
        normalize: bool,
    },
    Balance {
        classes: &'a [f32],
        num_classes: u32,
        target: &'a [f32],
        strength: f64,
    },
}

/// A strategy and the name errors use for it (e.g. "selectSamples: strategies[2]").
pub(crate) struct Named<'a> {
    pub(crate) label: String,
    pub(crate) strategy: Strategy<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Count,
    MinDistance,
    Exhausted,
}

pub(crate) struct Request<'a> {
    /// Function name for errors.
    pub(crate) what: &'a str,
    pub(crate) n: usize,
    pub(crate) count: u32,
    pub(crate) strategies: Vec<Named<'a>>,
    pub(crate) preselected: &'a [u32],
    /// Describes the n samples in the out-of-range error of a preselected index.
    pub(crate) samples: String,
    /// Reject a count above the samples left after preselection (instead of stopping early).
    pub(crate) strict_count: bool,
}

pub struct Selection {
    pub(crate) indices: Vec<u32>,
    pub(crate) stopped_by: Stop,
}

fn check_strength(label: &str, strength: f64) -> Result<()> {
    if strength.is_finite() {
        Ok(())
    } else {
        Err(invalid(format!(
            "{label}: strength must be a finite number, got {strength}"
        )))
    }
}

fn check_len(label: &str, field: &str, len: usize, want: usize, shape: &str) -> Result<()> {
    if len == want {
        Ok(())
    } else {
        Err(invalid(format!(
            "{label}: {field} length {len} does not match {shape} = {want}"
        )))
    }
}

fn check_finite(label: &str, field: &str, values: &[f32]) -> Result<()> {
    match values.par_iter().position_first(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(invalid(format!(
            "{label}: {field}[{i}] is not a finite number ({})",
            values[i]
        ))),
    }
}

fn validate_strategy(named: &Named<'_>, n: usize) -> Result<()> {
    let label = named.label.as_str();
    match named.strategy {
        Strategy::Weights { values, strength } => {
            check_strength(label, strength)?;
            check_len(label, "values", values.len(), n, "n")?;
            check_finite(label, "values", values)
        }
        Strategy::Diversity {
            embeddings,
            dim,
            strength,
            min_distance,
            ..
        } => {
            check_strength(label, strength)?;
            if dim == 0 {
                return Err(invalid(format!("{label}: dim must be at least 1, got 0")));
            }
            if !min_distance.is_finite() || min_distance < 0.0 {
                return Err(invalid(format!(
                    "{label}: minDistance must be a finite number >= 0, got {min_distance}"
                )));
            }
            let dim = dim as usize;
            check_len(
                label,
                "embeddings",
                embeddings.len(),
                n * dim,
                &format!("n × dim = {n} × {dim}"),
            )?;
            crate::validate::finite(label, embeddings, dim)
        }
        Strategy::Balance {
            classes,
            num_classes,
            target,
            strength,
        } => {
            check_strength(label, strength)?;
            if num_classes == 0 {
                return Err(invalid(format!(
                    "{label}: numClasses must be at least 1, got 0"
                )));
            }
            let c = num_classes as usize;
            check_len(label, "target", target.len(), c, "numClasses")?;
            check_len(
                label,
                "classes",
                classes.len(),
                n * c,
                &format!("n × numClasses = {n} × {c}"),
            )?;
            if let Some(k) = target.iter().position(|t| !t.is_finite() || *t < 0.0) {
                return Err(invalid(format!(
                    "{label}: target[{k}] must be a finite number >= 0, got {}",
                    target[k]
                )));
            }
            let sum: f64 = target.iter().map(|&t| t as f64).sum();
            if (sum - 1.0).abs() > 1e-3 {
                return Err(invalid(format!(
                    "{label}: target must sum to 1, sums to {sum}"
                )));
            }
            match classes.par_iter().position_first(|v| !v.is_finite() || *v < 0.0) {
                None => Ok(()),
                Some(i) => Err(invalid(format!(
                    "{label}: classes[{i}] (sample {}, class {}) must be a finite number >= 0, got {}",
                    i / c,
                    i % c,
                    classes[i]
                ))),
            }
        }
    }
}

/// The preselected indices, duplicates dropped (first occurrence kept), each checked against n.
fn unique_preselected(req: &Request<'_>) -> Result<Vec<usize>> {
    let mut seen = vec![false; req.n];
    let mut out = Vec::with_capacity(req.preselected.len());
    for (pos, &p) in req.preselected.iter().enumerate() {
        let p = p as usize;
        if p >= req.n {
            return Err(invalid(format!(
                "{}: options.preselected[{pos}] = {p} is out of range ({})",
                req.what, req.samples
            )));
        }
        if !seen[p] {
            seen[p] = true;
            out.push(p);
        }
    }
    Ok(out)
}

/// `x · ln x`, 0 at 0.
fn xlnx(x: f64) -> f64 {
    if x > 0.0 {
        x * x.ln()
    } else {
        0.0
    }
}

/// Class mass of the selected samples and the sums the balance objective needs, so that scoring a
/// candidate only touches its non-zero classes.
struct Balance<'a> {
    rows: &'a [f32],
    c: usize,
    strength: f64,
    /// ln max(t_k, ε): a class with target 0 is strongly penalized but stays finite.
    ln_t: Vec<f64>,
    mass: Vec<f64>,
    total: f64,
    /// Σ_k m_k ln m_k and Σ_k m_k ln t_k over the selected mass m.
    sum_mlnm: f64,
    sum_mlnt: f64,
}

impl<'a> Balance<'a> {
    fn new(rows: &'a [f32], c: usize, target: &[f32], strength: f64) -> Self {
        Balance {
            rows,
            c,
            strength,
            ln_t: target.iter().map(|&t| (t as f64).max(EPS).ln()).collect(),
            mass: vec![0.0; c],
            total: 0.0,
            sum_mlnm: 0.0,
            sum_mlnt: 0.0,
        }
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.rows[i * self.c..(i + 1) * self.c]
    }

    fn add(&mut self, i: usize) {
        let rows = self.rows;
        for (k, &v) in rows[i * self.c..(i + 1) * self.c].iter().enumerate() {
            self.mass[k] += v as f64;
        }
        self.total = self.mass.iter().sum();
        self.sum_mlnm = self.mass.iter().map(|&m| xlnx(m)).sum();
        self.sum_mlnt = self.mass.iter().zip(&self.ln_t).map(|(m, l)| m * l).sum();
    }

    /// ln F = −KL(p ‖ t) in bits, p = (selected mass + row i) normalized; 0 when that mass is 0.
    fn log_objective(&self, i: usize) -> f64 {
        let (mut mlnm, mut mlnt, mut total) = (self.sum_mlnm, self.sum_mlnt, self.total);
        for (k, &v) in self.row(i).iter().enumerate() {
            if v != 0.0 {
                let v = v as f64;
                let m = self.mass[k];
                mlnm += xlnx(m + v) - xlnx(m);
                mlnt += v * self.ln_t[k];
                total += v;
            }
        }
        if total <= 0.0 {
            return 0.0;
        }
        let kl = (mlnm - mlnt) / total - total.ln();
        -kl / std::f64::consts::LN_2
    }
}

struct Weights<'a> {
    values: &'a [f32],
    strength: f64,
    total: f64,
}

struct Diversity<'a> {
    cover: Cover<'a>,
    strength: f64,
    min_distance: f64,
    /// D_S, refreshed before each pick.
    total: f64,
}

/// Best (score, index): the higher score wins, ties go to the lower index.
fn better(a: (f64, u32), b: (f64, u32)) -> (f64, u32) {
    if a.0 > b.0 || (a.0 == b.0 && a.1 <= b.1) {
        a
    } else {
        b
    }
}
const NONE: (f64, u32) = (f64::NEG_INFINITY, u32::MAX);

struct Engine<'a> {
    n: usize,
    taken: Vec<bool>,
    weights: Vec<Weights<'a>>,
    diversity: Vec<Diversity<'a>>,
    balance: Vec<Balance<'a>>,
    /// Only one strategy has a non-zero strength and it is diversity: rank by the distance itself
    /// (no offset, no floor), exactly as plain farthest-point greedy does.
    solo_diversity: bool,
    /// Groups of candidates when there is no diversity strategy (fixed index blocks).
    blocks: Vec<Group>,
    /// Per group of the primary grouping, per weights strategy: (min, max) over its members.
    weight_range: Vec<Vec<(f32, f32)>>,
}

impl<'a> Engine<'a> {
    fn new(n: usize, strategies: &[Named<'a>]) -> Self {
        let mut weights = Vec::new();
        let mut diversity = Vec::new();
        let mut balance = Vec::new();
        for named in strategies {
            match named.strategy {
                Strategy::Weights { values, strength } if strength != 0.0 => {
                    weights.push(Weights {
                        values,
                        strength,
                        total: 0.0,
                    })
                }
                Strategy::Weights { .. } => {}
                Strategy::Diversity {
                    embeddings,
                    dim,
                    strength,
                    min_distance,
                    normalize,
                } => diversity.push(Diversity {
                    cover: Cover::new(embeddings, dim as usize, normalize),
                    strength,
                    min_distance,
                    total: 0.0,
                }),
                Strategy::Balance {
                    classes,
                    num_classes,
                    target,
                    strength,
                } if strength != 0.0 => balance.push(Balance::new(
                    classes,
                    num_classes as usize,
                    target,
                    strength,
                )),
                Strategy::Balance { .. } => {}
            }
        }
        let active_diversity = diversity.iter().filter(|d| d.strength != 0.0).count();
        let solo_diversity = active_diversity == 1 && weights.is_empty() && balance.is_empty();
        let blocks = if diversity.is_empty() {
            (0..n)
                .step_by(BLOCK)
                .map(|start| {
                    Group::new(
                        (start..(start + BLOCK).min(n))
                            .map(|i| Member {
                                idx: i as u32,
                                d2: 0.0,
                            })
                            .collect(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut engine = Engine {
            n,
            taken: vec![false; n],
            weights,
            diversity,
            balance,
            solo_diversity,
            blocks,
            weight_range: Vec::new(),
        };
        let groups: Vec<usize> = (0..engine.groups().len()).collect();
        engine.refresh_ranges(&groups);
        engine
    }

    /// The grouping that bounds are computed on: the first diversity cover's cells, or blocks.
    fn groups(&self) -> &[Group] {
        match self.diversity.first() {
            Some(d) => &d.cover.groups,
            None => &self.blocks,
        }
    }

    fn refresh_ranges(&mut self, changed: &[usize]) {
        let count = self.groups().len();
        self.weight_range.resize(count, Vec::new());
        let ranges: Vec<Vec<(f32, f32)>> = changed
            .par_iter()
            .map(|&g| {
                let members = &self.groups()[g].members;
                self.weights
                    .iter()
                    .map(|w| {
                        members
                            .iter()
                            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), m| {
                                let v = w.values[m.idx as usize];
                                (lo.min(v), hi.max(v))
                            })
                    })
                    .collect()
            })
            .collect();
        for (&g, range) in changed.iter().zip(ranges) {
            self.weight_range[g] = range;
        }
    }

    /// Whether group bounds can stand in for scoring every candidate.
    fn bounded(&self) -> bool {
        self.balance.is_empty()
            && match self.diversity.as_slice() {
                [] => true,
                [d] => d.strength >= 0.0 && d.cover.has_centres(),
                _ => false,
            }
    }

    fn diversity_term(&self, d: &Diversity<'_>, d2: f32) -> f64 {
        if self.solo_diversity {
            d.strength * (d2 as f64).ln()
        } else {
            d.strength * (d.total + (d2 as f64).max(EPS)).ln()
        }
    }

    fn weight_term(w: &Weights<'_>, v: f32) -> f64 {
        w.strength * (w.total + v as f64).max(EPS).ln()
    }

    /// Σ_i s_i ln F_i(S ∪ {i}) for candidate i.
    fn score(&self, i: usize) -> f64 {
        let mut s = 0.0;
        for w in &self.weights {
            s += Self::weight_term(w, w.values[i]);
        }
        for d in &self.diversity {
            if d.strength != 0.0 && d.cover.has_centres() {
                s += self.diversity_term(d, d.cover.d2[i]);
            }
        }
        for b in &self.balance {
            s += b.strength * b.log_objective(i);
        }
        s
    }

    /// An upper bound of the score of every member of group g (same arithmetic as `score`, on
    /// each term's most favourable input in the group, so it holds in floating point too).
    fn bound(&self, g: usize) -> f64 {
        let group = &self.groups()[g];
        if group.members.is_empty() {
            return f64::NEG_INFINITY;
        }
        let mut s = 0.0;
        for (w, &(lo, hi)) in self.weights.iter().zip(&self.weight_range[g]) {
            s += Self::weight_term(w, if w.strength > 0.0 { hi } else { lo });
        }
        if let Some(d) = self.diversity.first() {
            if d.strength != 0.0 {
                s += self.diversity_term(d, group.far.0);
            }
        }
        s
    }

    fn best_in_group(&self, g: usize) -> (f64, u32) {
        let group = &self.groups()[g];
        if self.solo_diversity && !group.members.is_empty() {
            // The score is increasing in the distance alone: the group's farthest member wins.
            let i = group.far.1;
            return (self.score(i as usize), i);
        }
        group
            .members
            .par_iter()
            .with_min_len(SCORE_CHUNK)
            .map(|m| (self.score(m.idx as usize), m.idx))
            .reduce(|| NONE, better)
    }

    fn best_bounded(&self) -> (f64, u32) {
        let bounds: Vec<f64> = (0..self.groups().len())
            .into_par_iter()
            .map(|g| self.bound(g))
            .collect();
        let Some(first) =
            (0..bounds.len()).reduce(|a, b| if bounds[b] > bounds[a] { b } else { a })
        else {
            return NONE;
        };
        let best = self.best_in_group(first);
        let rest: Vec<usize> = (0..bounds.len())
            .filter(|&g| g != first && !self.groups()[g].members.is_empty() && bounds[g] >= best.0)
            .collect();
        rest.par_iter()
            .map(|&g| self.best_in_group(g))
            .reduce(|| best, better)
    }

    fn best_full(&self) -> (f64, u32) {
        (0..self.n)
            .into_par_iter()
            .with_min_len(SCORE_CHUNK)
            .filter(|&i| !self.taken[i])
            .map(|i| (self.score(i), i as u32))
            .reduce(|| NONE, better)
    }

    /// The next pick, or None when no candidate is left.
    fn best(&mut self) -> Option<usize> {
        if !self.solo_diversity {
            for d in &mut self.diversity {
                d.total = d
                    .cover
                    .centre_nn2
                    .iter()
                    .map(|&nn| (if nn.is_finite() { nn as f64 } else { 0.0 }).max(EPS))
                    .sum();
            }
        }
        let (_, i) = if self.bounded() {
            self.best_bounded()
        } else {
            self.best_full()
        };
        (i != u32::MAX).then_some(i as usize)
    }

    /// Whether picking `i` would break a diversity strategy's minimum distance.
    fn too_close(&self, i: usize) -> bool {
        self.diversity.iter().any(|d| {
            d.min_distance > 0.0
                && d.cover.has_centres()
                && (d.cover.d2[i] as f64).sqrt() < d.min_distance
        })
    }

    fn select(&mut self, i: usize) {
        self.taken[i] = true;
        for w in &mut self.weights {
            w.total += w.values[i] as f64;
        }
        for b in &mut self.balance {
            b.add(i);
        }
        let mut changed = Vec::new();
        for (k, d) in self.diversity.iter_mut().enumerate() {
            let groups = d.cover.add_centre(i, &self.taken);
            if k == 0 {
                changed = groups;
            }
        }
        if self.diversity.is_empty() {
            let g = i / BLOCK;
            self.blocks[g].remove(i);
            changed.push(g);
        }
        self.refresh_ranges(&changed);
    }
}

pub(crate) fn select(req: Request<'_>, cancel: &Cancel, progress: &Progress) -> Result<Selection> {
    let what = req.what;
    if req.strategies.is_empty() {
        return Err(invalid(format!("{what}: strategies must not be empty")));
    }
    for named in &req.strategies {
        validate_strategy(named, req.n)?;
    }
    let pre = unique_preselected(&req)?;
    let n = req.n;
    let count = req.count as usize;
    let left = n - pre.len();
    if count > n {
        return Err(invalid(format!(
            "{what}: count {count} exceeds the number of samples ({n})"
        )));
    }
    if req.strict_count && count > left {
        return Err(invalid(format!(
            "{what}: count {count} exceeds the {left} samples left ({n} samples, {} preselected)",
            pre.len()
        )));
    }
    cancel.check()?;
    let mut indices = Vec::with_capacity(count.min(left));
    if count == 0 {
        return Ok(Selection {
            indices,
            stopped_by: Stop::Count,
        });
    }
    let mut engine = Engine::new(n, &req.strategies);
    for &p in &pre {
        cancel.check()?;
        engine.select(p);
    }
    loop {
        cancel.check()?;
        let Some(i) = engine.best() else {
            return Ok(Selection {
                indices,
                stopped_by: Stop::Exhausted,
            });
        };
        if engine.too_close(i) {
            return Ok(Selection {
                indices,
                stopped_by: Stop::MinDistance,
            });
        }
        indices.push(i as u32);
        progress.report(indices.len() as u64, count as u64);
        if indices.len() == count {
            return Ok(Selection {
                indices,
                stopped_by: Stop::Count,
            });
        }
        engine.select(i);
    }
}
