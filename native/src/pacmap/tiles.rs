//! Pairs bucketed by tile (block of rows × block of partners), so that the gradient pass reads
//! and writes the positions of one small block of partners at a time instead of jumping over
//! all n of them: partners of further and mid-near pairs are uniformly random, and at a million
//! rows each random access would otherwise miss the caches.

use rayon::prelude::*;

/// Rows per block on the row side of a tile (offsets fit a u16); blocks are the unit of parallel
/// work, so they are small enough for 16 of them at 16,000 rows.
pub(crate) const ROW_BLOCK: usize = 1024;
/// Rows per block on the partner side (offsets fit a u16): the positions and gradient of a
/// partner block (2 × 256 KB) stay in L2 while its tile is processed.
pub(crate) const PARTNER_BLOCK: usize = 32768;

/// One kind of pairs, by tile `row_block · partner_blocks + partner_block`; within a tile in row
/// order, then list order. Each pair is (row − row block start, partner − partner block start).
pub(crate) struct Tiles {
    pub partner_blocks: usize,
    /// Start of each tile in `pairs`; one more entry than tiles.
    starts: Vec<usize>,
    pairs: Vec<[u16; 2]>,
}

impl Tiles {
    /// Buckets the n × k row-major partner lists.
    pub(crate) fn new(list: &[u32], k: usize, n: usize) -> Self {
        let row_blocks = n.div_ceil(ROW_BLOCK);
        let partner_blocks = n.div_ceil(PARTNER_BLOCK);
        let block_lists = |b: usize| &list[b * ROW_BLOCK * k..((b + 1) * ROW_BLOCK).min(n) * k];
        let counts: Vec<Vec<usize>> = (0..row_blocks)
            .into_par_iter()
            .map(|b| {
                let mut count = vec![0usize; partner_blocks];
                for &j in block_lists(b) {
                    count[j as usize / PARTNER_BLOCK] += 1;
                }
                count
            })
            .collect();
        let mut starts = Vec::with_capacity(row_blocks * partner_blocks + 1);
        let mut at = 0;
        for count in counts.iter().flatten() {
            starts.push(at);
            at += count;
        }
        starts.push(at);

        let mut pairs = vec![[0u16; 2]; list.len()];
        let mut regions = Vec::with_capacity(row_blocks);
        let mut rest = pairs.as_mut_slice();
        for count in &counts {
            let (region, tail) = rest.split_at_mut(count.iter().sum());
            regions.push(region);
            rest = tail;
        }
        regions
            .into_par_iter()
            .zip(counts.par_iter())
            .enumerate()
            .for_each(|(b, (region, count))| {
                let mut cursor: Vec<usize> = count
                    .iter()
                    .scan(0, |s, &c| {
                        *s += c;
                        Some(*s - c)
                    })
                    .collect();
                // k = 0 (no pairs of this kind): the block holds no lists.
                for (r, partners) in block_lists(b).chunks_exact(k.max(1)).enumerate() {
                    for &j in partners {
                        let p = j as usize / PARTNER_BLOCK;
                        region[cursor[p]] = [r as u16, (j as usize - p * PARTNER_BLOCK) as u16];
                        cursor[p] += 1;
                    }
                }
            });
        Tiles {
            partner_blocks,
            starts,
            pairs,
        }
    }

    /// The pairs of tile (row block, partner block).
    pub(crate) fn tile(&self, row_block: usize, partner_block: usize) -> &[[u16; 2]] {
        let t = row_block * self.partner_blocks + partner_block;
        &self.pairs[self.starts[t]..self.starts[t + 1]]
    }
}
