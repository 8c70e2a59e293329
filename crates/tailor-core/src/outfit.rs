//! Fashion Hash Net's outfit score and "complete the look" over packed binary codes.
//!
//! An outfit o = (b_1..b_m) holds at most one item per slot (top, bottom, shoes, ...). With the
//! user's code b_u, the learned diagonal weights w_u (user-item) and w_c (item-item), and
//! <w . a, b> = sum_j w_j a_j b_j over codes of L bits:
//!
//! - preference(u, o) = (1/m) sum_k <w_u . b_u, b_k> / L
//! - compatibility(o) = (1/P) sum_{k<l} <w_c . b_k, b_l> / L, P = m(m-1)/2 (0 when m = 1)
//! - score = preference + compatibility
//!
//! Completing the look around an anchor item first keeps, per other slot, the items with the
//! best <w_u . b_u, b_i> + <w_c . b_anchor, b_i>. That sum is one weighted inner product, with
//! query sign(v) and weights |v| where v_j = w_u,j u_j + w_c,j a_j, so each slot costs a single
//! pruned scan ([`PackedCodes::top_k`]). Then every combination of those candidates, for every
//! subset of the optional slots, is scored exactly from tables of the candidates' preference
//! terms and pairwise compatibilities, with the sums carried down the slot nesting.
//!
//! Every f32 sum runs in one fixed order (slot order, then pair order), in [`OutfitCatalog::score`]
//! and in the search alike, so an outfit gets the same bits from both and on every platform;
//! equal scores rank the lexicographically smaller item list first.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::codes::{CodeLength, PackedCodes, Similarity, WeightTable};
use crate::error::CoreError;
use crate::topk::{BestK, Ranked};

/// The most slots an outfit catalog may have (the search nests one loop per slot).
pub const MAX_OUTFIT_SLOTS: usize = 8;

/// At most this many candidates in all: their pairwise table takes 4 bytes per pair (64 MB).
pub const MAX_OUTFIT_CANDIDATES: usize = 4096;

/// At most this many outfits scored by one search, so a careless `candidates_per_slot` gets an
/// error instead of a page that never answers.
pub const MAX_OUTFIT_COMBINATIONS: u128 = 1 << 30;

/// Complete the look's trade-off between score and variety (MMR's lambda, see [`diversify`]): a
/// look that shares all but one of three items with one already shown (overlap 0.5) gives way
/// to one whose score is up to 0.056 lower.
pub const LOOK_DIVERSITY: f32 = 0.1;

/// [`diversify`] picks each list of looks among this many times as many best outfits.
pub const DIVERSITY_POOL_PER_LOOK: usize = 20;

/// One place in an outfit: "top", "shoes", ... Required slots are in every outfit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutfitSlot {
    pub name: String,
    pub required: bool,
}

/// How widely [`OutfitCatalog::complete`] searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutfitSearch {
    /// Items kept per slot from the candidate scan; the exact search combines all of them.
    pub candidates_per_slot: usize,
}

impl Default for OutfitSearch {
    fn default() -> Self {
        Self {
            candidates_per_slot: 16,
        }
    }
}

/// An outfit with its score and the score's two halves.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredOutfit {
    /// Catalog indices in slot order (the anchor included).
    pub items: Vec<usize>,
    pub score: f32,
    pub preference: f32,
    pub compatibility: f32,
}

/// Which catalog items a slot holds, in ascending order. Catalogs stored grouped by slot need
/// no index list at all, which saves 4-8 bytes per item.
#[derive(Debug, Clone)]
enum Members {
    Contiguous { start: usize },
    Listed(Vec<usize>),
}

impl Members {
    fn global(&self, local: usize) -> usize {
        match self {
            Members::Contiguous { start } => start + local,
            // Callers pass positions from this slot's own scan, so the fallback never shows.
            Members::Listed(items) => items.get(local).copied().unwrap_or(usize::MAX),
        }
    }

    fn local(&self, global: usize) -> Option<usize> {
        match self {
            Members::Contiguous { start } => global.checked_sub(*start),
            Members::Listed(items) => items.binary_search(&global).ok(),
        }
    }
}

/// One slot's codes, contiguous so that a candidate scan is one [`PackedCodes::top_k`].
#[derive(Debug, Clone)]
struct SlotGroup {
    codes: PackedCodes,
    members: Members,
}

/// A catalog of typed item codes with FHN's two weight vectors, ready to score outfits. The codes
/// are held once, regrouped by slot.
pub struct OutfitCatalog {
    length: CodeLength,
    slots: Vec<OutfitSlot>,
    types: Vec<u8>,
    groups: Vec<SlotGroup>,
    user_weights: Vec<f32>,
    compat_weights: Vec<f32>,
    user_table: WeightTable,
    compat_table: WeightTable,
}

impl fmt::Debug for OutfitCatalog {
    // The codes can be 80 MB: show the shape, not the contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutfitCatalog")
            .field("bits", &self.length.bits())
            .field("items", &self.types.len())
            .field("slots", &self.slots)
            .finish_non_exhaustive()
    }
}

/// Checks a slot list: 1 to [`MAX_OUTFIT_SLOTS`] slots, distinct names, at least one required.
pub fn check_outfit_slots(slots: &[OutfitSlot]) -> Result<(), CoreError> {
    if slots.is_empty() {
        return Err(CoreError::NoOutfitSlots);
    }
    if slots.len() > MAX_OUTFIT_SLOTS {
        return Err(CoreError::TooManyOutfitSlots {
            count: slots.len(),
            max: MAX_OUTFIT_SLOTS,
        });
    }
    let mut names = BTreeSet::new();
    if let Some(slot) = slots.iter().find(|slot| !names.insert(slot.name.as_str())) {
        return Err(CoreError::DuplicateOutfitSlot {
            name: slot.name.clone(),
        });
    }
    if !slots.iter().any(|slot| slot.required) {
        return Err(CoreError::NoRequiredOutfitSlot);
    }
    Ok(())
}

/// The weight vector's table, after checking its length against the codes' and its values.
fn weight_table(
    what: &'static str,
    each: &'static str,
    weights: &[f32],
    length: CodeLength,
) -> Result<WeightTable, CoreError> {
    if weights.len() != length.bits() {
        return Err(CoreError::LengthMismatch {
            what,
            expected: length.bits(),
            actual: weights.len(),
        });
    }
    if let Some(index) = weights.iter().position(|w| !w.is_finite()) {
        return Err(CoreError::NonFinite {
            what: each,
            index,
            value: weights[index],
        });
    }
    WeightTable::new(weights)
}

/// Bit `j` of a packed code as +1.0 / -1.0.
fn sign(code: &[u64], j: usize) -> f32 {
    match code.get(j / 64) {
        Some(word) if word >> (j % 64) & 1 == 1 => 1.0,
        _ => -1.0,
    }
}

/// Preference and compatibility from their sums over an outfit of `m` items.
#[inline(always)]
fn finish(preference_sum: f32, compatibility_sum: f32, m: usize, bits: f32) -> (f32, f32) {
    let preference = preference_sum / (m as f32 * bits);
    let pairs = m * m.saturating_sub(1) / 2;
    let compatibility = if pairs == 0 {
        0.0
    } else {
        compatibility_sum / (pairs as f32 * bits)
    };
    (preference, compatibility)
}

impl OutfitCatalog {
    /// `slots[types[i]]` is item i's slot; `user_weights` is w_u, `compat_weights` is w_c, one
    /// weight per code bit.
    pub fn new(
        codes: PackedCodes,
        types: Vec<u8>,
        slots: Vec<OutfitSlot>,
        user_weights: &[f32],
        compat_weights: &[f32],
    ) -> Result<Self, CoreError> {
        let length = codes.length();
        let words = length.words();
        Self::build(
            length,
            codes.len(),
            types,
            slots,
            user_weights,
            compat_weights,
            |item, out| {
                if let Some(code) = codes.words().get(item * words..(item + 1) * words) {
                    out.extend_from_slice(code);
                }
            },
        )
    }

    /// The same from codes stored as little-endian `u64` words (a bundle's `outfit_codes.bin`),
    /// without an intermediate copy of the whole catalog. `bytes` must hold `types.len()` codes.
    pub(crate) fn from_le_bytes(
        length: CodeLength,
        bytes: &[u8],
        types: Vec<u8>,
        slots: Vec<OutfitSlot>,
        user_weights: &[f32],
        compat_weights: &[f32],
    ) -> Result<Self, CoreError> {
        let code_bytes = length.words() * 8;
        if !bytes.len().is_multiple_of(code_bytes) {
            return Err(CoreError::RaggedLength {
                what: "outfit code bytes",
                actual: bytes.len(),
                multiple_of: code_bytes,
            });
        }
        Self::build(
            length,
            bytes.len() / code_bytes,
            types,
            slots,
            user_weights,
            compat_weights,
            |item, out| {
                if let Some(code) = bytes.get(item * code_bytes..(item + 1) * code_bytes) {
                    out.extend(
                        code.chunks_exact(8)
                            .map(|word| u64::from_le_bytes(std::array::from_fn(|b| word[b]))),
                    );
                }
            },
        )
    }

    /// Checks everything, then copies each item's code (appended by `code_of`) into its slot's
    /// group, keeping catalog order within a slot.
    fn build(
        length: CodeLength,
        count: usize,
        types: Vec<u8>,
        slots: Vec<OutfitSlot>,
        user_weights: &[f32],
        compat_weights: &[f32],
        code_of: impl Fn(usize, &mut Vec<u64>),
    ) -> Result<Self, CoreError> {
        check_outfit_slots(&slots)?;
        let user_table = weight_table("user weights", "user weight", user_weights, length)?;
        let compat_table = weight_table(
            "compatibility weights",
            "compatibility weight",
            compat_weights,
            length,
        )?;
        if types.len() != count {
            return Err(CoreError::OutfitTypeCount {
                types: types.len(),
                items: count,
            });
        }
        if let Some(item) = types.iter().position(|&t| usize::from(t) >= slots.len()) {
            return Err(CoreError::OutfitTypeOutOfRange {
                item,
                type_id: types[item],
                slots: slots.len(),
            });
        }

        // First pass: each slot's size and span, to size its storage and spot contiguous slots.
        let mut sizes = vec![0usize; slots.len()];
        let mut first = vec![usize::MAX; slots.len()];
        let mut last = vec![0usize; slots.len()];
        for (item, &t) in types.iter().enumerate() {
            let s = usize::from(t);
            sizes[s] += 1;
            first[s] = first[s].min(item);
            last[s] = item;
        }
        let mut words: Vec<Vec<u64>> = sizes
            .iter()
            .map(|&n| Vec::with_capacity(n * length.words()))
            .collect();
        let mut members: Vec<Members> = (0..slots.len())
            .map(|s| {
                if sizes[s] == 0 || last[s] - first[s] + 1 == sizes[s] {
                    Members::Contiguous {
                        start: first[s].min(count),
                    }
                } else {
                    Members::Listed(Vec::with_capacity(sizes[s]))
                }
            })
            .collect();
        for (item, &t) in types.iter().enumerate() {
            let s = usize::from(t);
            code_of(item, &mut words[s]);
            if let Members::Listed(list) = &mut members[s] {
                list.push(item);
            }
        }
        let groups = words
            .into_iter()
            .zip(members)
            .map(|(words, members)| {
                Ok(SlotGroup {
                    codes: PackedCodes::new(length, words)?,
                    members,
                })
            })
            .collect::<Result<Vec<_>, CoreError>>()?;
        Ok(Self {
            length,
            slots,
            types,
            groups,
            user_weights: user_weights.to_vec(),
            compat_weights: compat_weights.to_vec(),
            user_table,
            compat_table,
        })
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    pub fn length(&self) -> CodeLength {
        self.length
    }

    pub fn slots(&self) -> &[OutfitSlot] {
        &self.slots
    }

    /// How many catalog items each slot holds, in slot order.
    pub fn slot_sizes(&self) -> Vec<usize> {
        self.groups.iter().map(|g| g.codes.len()).collect()
    }

    pub fn slot_of(&self, item: usize) -> Option<usize> {
        self.types.get(item).map(|&t| usize::from(t))
    }

    pub fn code(&self, item: usize) -> Option<&[u64]> {
        let group = self.groups.get(self.slot_of(item)?)?;
        group.codes.code(group.members.local(item)?)
    }

    /// Bytes of item codes held (the index lists of slots not stored contiguously included).
    pub fn code_bytes(&self) -> usize {
        self.groups
            .iter()
            .map(|g| {
                let listed = match &g.members {
                    Members::Contiguous { .. } => 0,
                    Members::Listed(items) => items.len() * size_of::<usize>(),
                };
                g.codes.words().len() * 8 + listed
            })
            .sum()
    }

    fn check_user(&self, user: &[u64]) -> Result<(), CoreError> {
        if user.len() != self.length.words() {
            return Err(CoreError::LengthMismatch {
                what: "user code (in u64 words)",
                expected: self.length.words(),
                actual: user.len(),
            });
        }
        Ok(())
    }

    fn out_of_range(&self, what: &'static str, item: usize) -> CoreError {
        CoreError::OutfitItemOutOfRange {
            what,
            item,
            len: self.len(),
        }
    }

    /// Scores one outfit given as item indices in any order; the returned items are in slot
    /// order.
    pub fn score(&self, user: &[u64], items: &[usize]) -> Result<ScoredOutfit, CoreError> {
        self.check_user(user)?;
        let mut by_slot = [None::<usize>; MAX_OUTFIT_SLOTS];
        for &item in items {
            let slot = self
                .slot_of(item)
                .ok_or_else(|| self.out_of_range("outfit item", item))?;
            if let Some(first) = by_slot[slot] {
                return Err(CoreError::OutfitSlotTaken {
                    slot: self.slots[slot].name.clone(),
                    first,
                    second: item,
                });
            }
            by_slot[slot] = Some(item);
        }
        if let Some(slot) = self
            .slots
            .iter()
            .zip(by_slot)
            .find_map(|(slot, chosen)| (slot.required && chosen.is_none()).then_some(slot))
        {
            return Err(CoreError::MissingRequiredSlot {
                slot: slot.name.clone(),
            });
        }
        let ordered: Vec<usize> = by_slot.iter().flatten().copied().collect();
        let codes = ordered
            .iter()
            .map(|&item| {
                self.code(item)
                    .ok_or_else(|| self.out_of_range("outfit item", item))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // The search's order: item by item in slot order, each adding its row of pairs with the
        // items before it.
        let (mut preference_sum, mut compatibility_sum) = (0f32, 0f32);
        for (l, code) in codes.iter().enumerate() {
            let mut row = 0f32;
            for earlier in &codes[..l] {
                row += self.compat_table.weighted_inner_product(earlier, code)?;
            }
            compatibility_sum += row;
            preference_sum += self.user_table.weighted_inner_product(user, code)?;
        }
        let (preference, compatibility) = finish(
            preference_sum,
            compatibility_sum,
            codes.len(),
            self.length.bits() as f32,
        );
        Ok(ScoredOutfit {
            items: ordered,
            score: preference + compatibility,
            preference,
            compatibility,
        })
    }

    /// The `k` best outfits containing `anchor`, best first. Per other slot the scan keeps the
    /// `candidates_per_slot` items with the best <w_u . b_u, b_i> + <w_c . b_anchor, b_i>; the
    /// search over their combinations is exact. Fewer than `k` outfits are returned when fewer
    /// exist.
    pub fn complete(
        &self,
        user: &[u64],
        anchor: usize,
        k: usize,
        search: OutfitSearch,
    ) -> Result<Vec<ScoredOutfit>, CoreError> {
        self.complete_counted(user, anchor, k, search)
            .map(|(outfits, _)| outfits)
    }

    /// [`Self::complete`], also returning how many outfits the search scored.
    pub fn complete_counted(
        &self,
        user: &[u64],
        anchor: usize,
        k: usize,
        search: OutfitSearch,
    ) -> Result<(Vec<ScoredOutfit>, usize), CoreError> {
        self.check_user(user)?;
        if k == 0 {
            return Err(CoreError::ZeroK);
        }
        if search.candidates_per_slot == 0 {
            return Err(CoreError::ZeroCandidates);
        }
        let anchor_slot = self
            .slot_of(anchor)
            .ok_or_else(|| self.out_of_range("anchor", anchor))?;
        let anchor_code = self
            .code(anchor)
            .ok_or_else(|| self.out_of_range("anchor", anchor))?;

        // Every slot's options: a range of the candidate pool, and whether it may stay empty.
        let mut options = Vec::with_capacity(self.slots.len());
        let mut combinations: u128 = 1;
        let mut pool_items = vec![anchor];
        let mut pool_words = anchor_code.to_vec();
        let query = self.candidate_query(user, anchor_code)?;
        for (s, (slot, group)) in self.slots.iter().zip(&self.groups).enumerate() {
            let start = pool_items.len();
            if s == anchor_slot {
                options.push(SlotOptions {
                    start: 0,
                    end: 1,
                    optional: false,
                });
                continue;
            }
            let available = group.codes.len();
            if available == 0 && slot.required {
                return Err(CoreError::EmptyRequiredSlot {
                    slot: slot.name.clone(),
                });
            }
            let kept = search.candidates_per_slot.min(available);
            if kept > 0 {
                let hits = group.codes.top_k(
                    query.code.words(),
                    Similarity::Weighted(&query.table),
                    kept,
                )?;
                for hit in hits {
                    pool_items.push(group.members.global(hit.index));
                    if let Some(code) = group.codes.code(hit.index) {
                        pool_words.extend_from_slice(code);
                    }
                }
            }
            let end = pool_items.len();
            let choices = (end - start) as u128 + u128::from(!slot.required);
            combinations = combinations.saturating_mul(choices);
            options.push(SlotOptions {
                start,
                end,
                optional: !slot.required,
            });
        }
        if pool_items.len() > MAX_OUTFIT_CANDIDATES {
            return Err(CoreError::OutfitSearchTooLarge {
                what: "candidates",
                count: pool_items.len() as u128,
                limit: MAX_OUTFIT_CANDIDATES as u128,
            });
        }
        if combinations > MAX_OUTFIT_COMBINATIONS {
            return Err(CoreError::OutfitSearchTooLarge {
                what: "outfits scored",
                count: combinations,
                limit: MAX_OUTFIT_COMBINATIONS,
            });
        }

        // The candidates' preference terms and pairwise compatibilities, computed once, through
        // the same tables as `score` so that an outfit gets the same bits either way.
        let pool = PackedCodes::new(self.length, pool_words)?;
        let n = pool.len();
        let preference = pool.scores(user, Similarity::Weighted(&self.user_table))?;
        let mut pairs = vec![0f32; n * n];
        for (p, row) in pairs.chunks_exact_mut(n.max(1)).enumerate() {
            if let Some(code) = pool.code(p) {
                pool.score_into(code, Similarity::Weighted(&self.compat_table), row)?;
            }
        }
        let mut search = Search {
            options: &options,
            preference: &preference,
            pairs: &pairs,
            n,
            pool_items: &pool_items,
            bits: self.length.bits() as f32,
            chosen: Vec::with_capacity(self.slots.len()),
            best: BestK::new(k),
            scored: 0,
        };
        search.visit(0, 0.0, 0.0);
        let scored = search.scored;
        Ok((search.best.into_sorted(), scored))
    }

    /// The scan query whose weighted product with b_i is <w_u . b_u, b_i> + <w_c . b_a, b_i>:
    /// code sign(v) and weights |v|, v_j = w_u,j u_j + w_c,j a_j.
    fn candidate_query(&self, user: &[u64], anchor: &[u64]) -> Result<CandidateQuery, CoreError> {
        let v: Vec<f32> = (0..self.length.bits())
            .map(|j| {
                self.user_weights[j] * sign(user, j) + self.compat_weights[j] * sign(anchor, j)
            })
            .collect();
        let magnitudes: Vec<f32> = v.iter().map(|x| x.abs()).collect();
        Ok(CandidateQuery {
            code: PackedCodes::from_signs(self.length, &v)?,
            table: WeightTable::new(&magnitudes)?,
        })
    }
}

struct CandidateQuery {
    code: PackedCodes,
    table: WeightTable,
}

/// One slot's choices in the search: pool entries `start..end`, plus "none" when optional.
#[derive(Debug, Clone, Copy)]
struct SlotOptions {
    start: usize,
    end: usize,
    optional: bool,
}

/// The exact search over the candidate pool, one nesting level per slot.
struct Search<'a> {
    options: &'a [SlotOptions],
    preference: &'a [f32],
    /// `pairs[p * n + q]` = <w_c . b_p, b_q>.
    pairs: &'a [f32],
    n: usize,
    pool_items: &'a [usize],
    bits: f32,
    /// Pool entries chosen so far, in slot order.
    chosen: Vec<usize>,
    best: BestK<ScoredOutfit>,
    scored: usize,
}

impl Search<'_> {
    fn visit(&mut self, depth: usize, preference_sum: f32, compatibility_sum: f32) {
        let Some(&options) = self.options.get(depth) else {
            self.leaf(preference_sum, compatibility_sum);
            return;
        };
        if options.optional {
            self.visit(depth + 1, preference_sum, compatibility_sum);
        }
        for p in options.start..options.end {
            // The same order as `OutfitCatalog::score`: pairs with earlier items, in slot order.
            let mut row = 0f32;
            for &q in &self.chosen {
                row += self.pairs[q * self.n + p];
            }
            self.chosen.push(p);
            self.visit(
                depth + 1,
                preference_sum + self.preference[p],
                compatibility_sum + row,
            );
            self.chosen.pop();
        }
    }

    #[inline]
    fn leaf(&mut self, preference_sum: f32, compatibility_sum: f32) {
        self.scored += 1;
        let (preference, compatibility) = finish(
            preference_sum,
            compatibility_sum,
            self.chosen.len(),
            self.bits,
        );
        let score = preference + compatibility;
        if self.best.rejects(score) {
            return;
        }
        let items = self.chosen.iter().map(|&p| self.pool_items[p]).collect();
        self.best.push(ScoredOutfit {
            items,
            score,
            preference,
            compatibility,
        });
    }
}

/// Equal scores rank the lexicographically smaller item list first.
impl Ranked for ScoredOutfit {
    fn score(&self) -> f32 {
        self.score
    }

    fn tie_break(&self, other: &Self) -> Ordering {
        self.items.cmp(&other.items)
    }
}

/// Maximal marginal relevance (Carbonell and Goldstein, 1998) over outfits ranked best first:
/// picks `k` of them, each time the one with the best (1 - lambda) * score - lambda * overlap,
/// overlap being its largest Jaccard index with a look already picked, over the items other
/// than `anchor` (which every look shares). lambda = 0 keeps the score order; ties keep the
/// better-ranked outfit, so the result is deterministic. Scores are left as they are.
pub fn diversify(
    ranked: Vec<ScoredOutfit>,
    anchor: usize,
    k: usize,
    lambda: f32,
) -> Result<Vec<ScoredOutfit>, CoreError> {
    if !(0.0..=1.0).contains(&lambda) {
        return Err(CoreError::BadDiversity { lambda });
    }
    let mut left: Vec<Option<ScoredOutfit>> = ranked.into_iter().map(Some).collect();
    let mut picked: Vec<ScoredOutfit> = Vec::with_capacity(k.min(left.len()));
    // Each candidate's largest overlap with the picked looks, updated as looks are picked.
    let mut overlap = vec![0f32; left.len()];
    while picked.len() < k {
        let mut best: Option<(usize, f32)> = None;
        for (i, outfit) in left.iter().enumerate() {
            let Some(outfit) = outfit else { continue };
            let value = (1.0 - lambda) * outfit.score - lambda * overlap[i];
            if best.is_none_or(|(_, b)| value > b) {
                best = Some((i, value));
            }
        }
        let Some((chosen, _)) = best else { break };
        let Some(look) = left[chosen].take() else {
            break;
        };
        for (i, outfit) in left.iter().enumerate() {
            if let Some(outfit) = outfit {
                overlap[i] = overlap[i].max(jaccard(&outfit.items, &look.items, anchor));
            }
        }
        picked.push(look);
    }
    Ok(picked)
}

/// |a ∩ b| / |a ∪ b| over the items of two outfits other than `anchor`; 0 when both hold the
/// anchor alone. An outfit holds at most one item per slot, so its items are distinct.
fn jaccard(a: &[usize], b: &[usize], anchor: usize) -> f32 {
    let others = |o: &[usize]| o.iter().filter(|&&i| i != anchor).count();
    let shared = a.iter().filter(|&&i| i != anchor && b.contains(&i)).count();
    let union = others(a) + others(b) - shared;
    if union == 0 {
        return 0.0;
    }
    shared as f32 / union as f32
}
