//! The outfit scorer against a naive float implementation of Fashion Hash Net's formulas, the
//! complete-the-look search against brute-force enumeration of every outfit, its tie order and
//! determinism, and every error with its message.

mod common;

use common::naive_signs as signs;
use proptest::prelude::*;
use tailor_core::{
    CodeLength, CoreError, OutfitCatalog, OutfitSearch, OutfitSlot, PackedCodes, ScoredOutfit,
};

/// <w . a, b> = sum_j w_j a_j b_j.
fn weighted(w: &[f64], a: &[f64], b: &[f64]) -> f64 {
    (0..w.len()).map(|j| w[j] * a[j] * b[j]).sum()
}

/// A catalog as plain data, for the naive side.
#[derive(Debug, Clone)]
struct Plain {
    words: usize,
    codes: Vec<u64>,
    types: Vec<u8>,
    slots: Vec<OutfitSlot>,
    user_weights: Vec<f32>,
    compat_weights: Vec<f32>,
    user: Vec<u64>,
}

impl Plain {
    fn bits(&self) -> usize {
        self.words * 64
    }

    fn code(&self, item: usize) -> &[u64] {
        &self.codes[item * self.words..(item + 1) * self.words]
    }

    fn catalog(&self) -> OutfitCatalog {
        OutfitCatalog::new(
            PackedCodes::new(CodeLength::new(self.bits()).unwrap(), self.codes.clone()).unwrap(),
            self.types.clone(),
            self.slots.clone(),
            &self.user_weights,
            &self.compat_weights,
        )
        .unwrap()
    }

    /// The formulas, literally, in f64: (preference, compatibility, score).
    fn naive(&self, items: &[usize]) -> (f64, f64, f64) {
        let l = self.bits() as f64;
        let wu: Vec<f64> = self.user_weights.iter().map(|&w| w.into()).collect();
        let wc: Vec<f64> = self.compat_weights.iter().map(|&w| w.into()).collect();
        let user = signs(&self.user);
        let codes: Vec<Vec<f64>> = items.iter().map(|&i| signs(self.code(i))).collect();
        let m = codes.len();
        let preference = codes
            .iter()
            .map(|b| weighted(&wu, &user, b) / l)
            .sum::<f64>()
            / m as f64;
        let pairs = m * (m - 1) / 2;
        let mut compatibility = 0.0;
        for k in 0..m {
            for j in k + 1..m {
                compatibility += weighted(&wc, &codes[k], &codes[j]) / l;
            }
        }
        if pairs > 0 {
            compatibility /= pairs as f64;
        }
        (preference, compatibility, preference + compatibility)
    }

    /// Every valid outfit containing `anchor`, in slot order, or `None` when a required slot is
    /// empty.
    fn all_outfits(&self, anchor: usize) -> Option<Vec<Vec<usize>>> {
        let anchor_slot = usize::from(self.types[anchor]);
        let mut outfits = vec![Vec::new()];
        for (s, slot) in self.slots.iter().enumerate() {
            let mut choices: Vec<Option<usize>> = if s == anchor_slot {
                vec![Some(anchor)]
            } else {
                (0..self.types.len())
                    .filter(|&i| usize::from(self.types[i]) == s)
                    .map(Some)
                    .collect()
            };
            if s != anchor_slot && !slot.required {
                choices.push(None);
            }
            if choices.is_empty() {
                return None;
            }
            outfits = outfits
                .into_iter()
                .flat_map(|outfit: Vec<usize>| {
                    choices.iter().map(move |choice| {
                        let mut next = outfit.clone();
                        next.extend(*choice);
                        next
                    })
                })
                .collect();
        }
        Some(outfits)
    }

    /// Brute force: every outfit scored naively, best first, ties by the smaller item list.
    fn brute_force(&self, anchor: usize) -> Option<Vec<(Vec<usize>, f64)>> {
        let mut ranked: Vec<(Vec<usize>, f64)> = self
            .all_outfits(anchor)?
            .into_iter()
            .map(|items| {
                let score = self.naive(&items).2;
                (items, score)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(ranked)
    }

    fn largest_slot(&self) -> usize {
        (0..self.slots.len())
            .map(|s| self.types.iter().filter(|&&t| usize::from(t) == s).count())
            .max()
            .unwrap_or(0)
    }
}

fn slot(name: &str, required: bool) -> OutfitSlot {
    OutfitSlot {
        name: name.into(),
        required,
    }
}

const NAMES: [&str; 8] = [
    "top",
    "bottom",
    "shoes",
    "bag",
    "outerwear",
    "hat",
    "scarf",
    "belt",
];

/// Small random catalogs: 1-2 words, 1-5 slots (at least one required), 1-14 items.
fn plain_catalog() -> impl Strategy<Value = Plain> {
    (
        1usize..=2,
        prop::collection::vec(any::<bool>(), 1..=5),
        1usize..=14,
    )
        .prop_flat_map(|(words, required, n)| {
            let slots: Vec<OutfitSlot> = required
                .iter()
                .enumerate()
                // The first slot is always required, so a catalog always has one.
                .map(|(s, &r)| slot(NAMES[s], r || s == 0))
                .collect();
            let count = slots.len() as u8;
            (
                Just(words),
                prop::collection::vec(any::<u64>(), words * n),
                prop::collection::vec(0..count, n),
                Just(slots),
                prop::collection::vec(-2.0f32..2.0, words * 64),
                prop::collection::vec(-2.0f32..2.0, words * 64),
                prop::collection::vec(any::<u64>(), words),
            )
        })
        .prop_map(
            |(words, codes, types, slots, user_weights, compat_weights, user)| Plain {
                words,
                codes,
                types,
                slots,
                user_weights,
                compat_weights,
                user,
            },
        )
}

/// The search's ranking equals brute force: same scores rank by rank, and the same outfits
/// unless two brute-force scores are too close for f32 to order them like f64 does.
fn assert_matches_brute_force(
    plain: &Plain,
    got: &[ScoredOutfit],
    expected: &[(Vec<usize>, f64)],
    k: usize,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), k.min(expected.len()));
    let near_tie = expected
        .windows(2)
        .take(k)
        .any(|pair| (pair[0].1 - pair[1].1).abs() < 1e-5);
    for (rank, (outfit, (items, score))) in got.iter().zip(expected).enumerate() {
        prop_assert!(
            (f64::from(outfit.score) - score).abs() < 1e-5,
            "rank {rank}: score {} vs brute force {score}",
            outfit.score
        );
        let naive = plain.naive(&outfit.items);
        prop_assert!((naive.2 - score).abs() < 1e-5, "rank {rank}: {naive:?}");
        if !near_tie {
            prop_assert_eq!(&outfit.items, items, "rank {}", rank);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn score_matches_naive_formulas(plain in plain_catalog(), seed in any::<u64>()) {
        let catalog = plain.catalog();
        // One item from each slot that has any, in a shuffled order; optional slots may be
        // left out, required ones with no items make the outfit invalid.
        let mut items = Vec::new();
        let mut valid = true;
        for (s, slot) in plain.slots.iter().enumerate() {
            let members: Vec<usize> =
                (0..plain.types.len()).filter(|&i| usize::from(plain.types[i]) == s).collect();
            let pick = (seed >> (s * 8)) as usize;
            if members.is_empty() || (!slot.required && pick.is_multiple_of(3)) {
                valid &= !slot.required;
                continue;
            }
            items.push(members[pick % members.len()]);
        }
        let shift = (seed % 7) as usize % items.len().max(1);
        items.rotate_left(shift);
        let result = catalog.score(&plain.user, &items);
        if !valid {
            let is_missing = matches!(result, Err(CoreError::MissingRequiredSlot { .. }));
            prop_assert!(is_missing, "{:?}", result);
            return Ok(());
        }
        let outfit = result.unwrap();
        let mut sorted = items.clone();
        sorted.sort_by_key(|&i| plain.types[i]);
        prop_assert_eq!(&outfit.items, &sorted);
        let (preference, compatibility, score) = plain.naive(&outfit.items);
        prop_assert!((f64::from(outfit.preference) - preference).abs() < 1e-5);
        prop_assert!((f64::from(outfit.compatibility) - compatibility).abs() < 1e-5);
        prop_assert!((f64::from(outfit.score) - score).abs() < 1e-5);
        prop_assert_eq!(outfit.score, outfit.preference + outfit.compatibility);
    }

    #[test]
    fn complete_with_every_candidate_is_brute_force(
        plain in plain_catalog(),
        anchor_pick in any::<usize>(),
        k in 1usize..=12,
    ) {
        let catalog = plain.catalog();
        let anchor = anchor_pick % plain.types.len();
        let search = OutfitSearch { candidates_per_slot: plain.largest_slot().max(1) };
        let result = catalog.complete_counted(&plain.user, anchor, k, search);
        let Some(expected) = plain.brute_force(anchor) else {
            let is_empty = matches!(result, Err(CoreError::EmptyRequiredSlot { .. }));
            prop_assert!(is_empty, "{:?}", result);
            return Ok(());
        };
        let (got, scored) = result.unwrap();
        prop_assert_eq!(scored, expected.len());
        assert_matches_brute_force(&plain, &got, &expected, k)?;
        // The search and `score` give the same bits for the same outfit.
        for outfit in &got {
            prop_assert_eq!(&catalog.score(&plain.user, &outfit.items).unwrap(), outfit);
        }
    }

    #[test]
    fn fewer_candidates_give_valid_outfits_no_better_than_exact(
        plain in plain_catalog(),
        anchor_pick in any::<usize>(),
        candidates in 1usize..=3,
    ) {
        let catalog = plain.catalog();
        let anchor = anchor_pick % plain.types.len();
        let Some(expected) = plain.brute_force(anchor) else { return Ok(()) };
        let got = catalog
            .complete(&plain.user, anchor, 5, OutfitSearch { candidates_per_slot: candidates })
            .unwrap();
        prop_assert!(!got.is_empty());
        for pair in got.windows(2) {
            prop_assert!(pair[0].score >= pair[1].score);
        }
        for outfit in &got {
            prop_assert!(outfit.items.contains(&anchor));
            prop_assert_eq!(&catalog.score(&plain.user, &outfit.items).unwrap(), outfit);
        }
        prop_assert!(f64::from(got[0].score) <= expected[0].1 + 1e-5);
    }
}

/// A fixed catalog: 3 words of random bits per slot member, 5 slots (3 required).
fn fixed_plain(per_slot: usize, seed: u64) -> Plain {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let n = per_slot * 5;
    Plain {
        words: 2,
        codes: (0..n * 2).map(|_| next()).collect(),
        // Interleaved, so that the slot groups need their index lists.
        types: (0..n).map(|i| (i % 5) as u8).collect(),
        slots: vec![
            slot("top", true),
            slot("bottom", true),
            slot("shoes", true),
            slot("bag", false),
            slot("outerwear", false),
        ],
        user_weights: (0..128)
            .map(|_| 0.5 + (next() >> 40) as f32 / (1u64 << 24) as f32)
            .collect(),
        compat_weights: (0..128)
            .map(|_| 0.5 + (next() >> 40) as f32 / (1u64 << 24) as f32)
            .collect(),
        user: vec![next(), next()],
    }
}

#[test]
fn five_slot_catalog_matches_brute_force_for_every_anchor() {
    let plain = fixed_plain(6, 11);
    let catalog = plain.catalog();
    assert_eq!(catalog.slot_sizes(), vec![6; 5]);
    for anchor in 0..plain.types.len() {
        let expected = plain.brute_force(anchor).unwrap();
        let (got, scored) = catalog
            .complete_counted(&plain.user, anchor, 10, OutfitSearch::default())
            .unwrap();
        assert_eq!(scored, expected.len());
        assert_matches_brute_force(&plain, &got, &expected, 10).unwrap();
    }
}

#[test]
fn complete_is_deterministic() {
    let plain = fixed_plain(40, 3);
    let catalog = plain.catalog();
    let search = OutfitSearch {
        candidates_per_slot: 5,
    };
    let first = catalog.complete(&plain.user, 17, 8, search).unwrap();
    for _ in 0..3 {
        assert_eq!(catalog.complete(&plain.user, 17, 8, search).unwrap(), first);
    }
    // A copy of the catalog built from the same values gives the same bits.
    assert_eq!(
        plain
            .catalog()
            .complete(&plain.user, 17, 8, search)
            .unwrap(),
        first
    );
}

#[test]
fn equal_scores_rank_the_smaller_item_list_first() {
    // Zero weights: every outfit scores 0, so the order is the item lists' order alone.
    let mut plain = fixed_plain(3, 5);
    plain.user_weights = vec![0.0; 128];
    plain.compat_weights = vec![0.0; 128];
    let catalog = plain.catalog();
    let anchor = 0; // a top
    let got = catalog
        .complete(&plain.user, anchor, 1000, OutfitSearch::default())
        .unwrap();
    let mut expected = plain.all_outfits(anchor).unwrap();
    expected.sort();
    assert_eq!(got.len(), expected.len());
    let items: Vec<Vec<usize>> = got.iter().map(|o| o.items.clone()).collect();
    assert_eq!(items, expected);
    assert!(got.iter().all(|o| o.score == 0.0));
    // The first is the anchor with the lowest-index item of each other required slot.
    assert_eq!(got[0].items, vec![0, 1, 2]);

    // Only the k smallest lists are kept, in the same order.
    let top = catalog
        .complete(&plain.user, anchor, 4, OutfitSearch::default())
        .unwrap();
    assert_eq!(top, got[..4]);
}

#[test]
fn identical_codes_tie_and_rank_by_item_index() {
    // Every item of a slot has the same code, so candidates and outfits tie within slots.
    let mut plain = fixed_plain(4, 9);
    let slot_codes: Vec<[u64; 2]> = (0..5).map(|s| [s as u64 * 77, !(s as u64)]).collect();
    for item in 0..plain.types.len() {
        let code = slot_codes[usize::from(plain.types[item])];
        plain.codes[item * 2..item * 2 + 2].copy_from_slice(&code);
    }
    let catalog = plain.catalog();
    // Two candidates per slot: the two lowest item indices of each slot.
    let got = catalog
        .complete(
            &plain.user,
            0,
            100,
            OutfitSearch {
                candidates_per_slot: 2,
            },
        )
        .unwrap();
    for outfit in &got {
        for &item in &outfit.items[1..] {
            assert!(item < 10, "{item} is not one of the first two of its slot");
        }
    }
    // Outfits with the same slots present tie; among them the smaller list comes first.
    for pair in got.windows(2) {
        if pair[0].score == pair[1].score {
            assert!(pair[0].items < pair[1].items, "{pair:?}");
        }
    }
}

#[test]
fn fewer_outfits_than_k_returns_them_all() {
    let plain = Plain {
        words: 1,
        codes: vec![1, 2, 3],
        types: vec![0, 1, 1],
        slots: vec![slot("top", true), slot("bottom", true)],
        user_weights: vec![1.0; 64],
        compat_weights: vec![1.0; 64],
        user: vec![7],
    };
    let got = plain
        .catalog()
        .complete(&plain.user, 0, 10, OutfitSearch::default())
        .unwrap();
    assert_eq!(got.len(), 2);
    // A single-item outfit has no pairs, so its compatibility is 0.
    let single = Plain {
        slots: vec![slot("top", true), slot("bottom", false)],
        ..plain.clone()
    };
    let alone = single.catalog().score(&single.user, &[0]).unwrap();
    assert_eq!(alone.compatibility, 0.0);
    assert_eq!(alone.items, vec![0]);
}

#[test]
fn optional_slot_without_items_is_skipped() {
    let plain = Plain {
        words: 1,
        codes: vec![1, 2, 3],
        types: vec![0, 1, 1],
        slots: vec![slot("top", true), slot("bottom", true), slot("bag", false)],
        user_weights: vec![1.0; 64],
        compat_weights: vec![0.5; 64],
        user: vec![7],
    };
    let catalog = plain.catalog();
    assert_eq!(catalog.slot_sizes(), vec![1, 2, 0]);
    let (got, scored) = catalog
        .complete_counted(&plain.user, 2, 5, OutfitSearch::default())
        .unwrap();
    assert_eq!(scored, 1);
    assert_eq!(got[0].items, vec![0, 2]);
}

#[test]
fn catalog_accessors() {
    let plain = fixed_plain(3, 1);
    let catalog = plain.catalog();
    assert_eq!(catalog.len(), 15);
    assert!(!catalog.is_empty());
    assert_eq!(catalog.length().bits(), 128);
    assert_eq!(catalog.slots(), &plain.slots[..]);
    for item in 0..15 {
        assert_eq!(catalog.slot_of(item), Some(item % 5));
        assert_eq!(catalog.code(item), Some(plain.code(item)));
    }
    assert_eq!(catalog.slot_of(15), None);
    assert_eq!(catalog.code(15), None);
    // Interleaved slots keep an index list; grouped ones do not.
    let mut grouped = plain.clone();
    grouped.types.sort();
    assert_eq!(grouped.catalog().code_bytes(), 15 * 16);
    assert!(catalog.code_bytes() > 15 * 16);
}

fn new_error(plain: &Plain) -> String {
    OutfitCatalog::new(
        PackedCodes::new(CodeLength::new(plain.bits()).unwrap(), plain.codes.clone()).unwrap(),
        plain.types.clone(),
        plain.slots.clone(),
        &plain.user_weights,
        &plain.compat_weights,
    )
    .unwrap_err()
    .to_string()
}

#[test]
fn construction_errors_say_what_is_wrong() {
    let good = fixed_plain(2, 4);
    let cases: Vec<(Plain, &str)> = vec![
        (
            Plain {
                types: good.types[..9].to_vec(),
                ..good.clone()
            },
            "9 item types were given for 10 item codes; every item needs exactly one type",
        ),
        (
            Plain {
                types: {
                    let mut t = good.types.clone();
                    t[7] = 9;
                    t
                },
                ..good.clone()
            },
            "item 7 has type 9, but the valid types are 0 to 4 (one per outfit slot)",
        ),
        (
            Plain {
                slots: Vec::new(),
                ..good.clone()
            },
            "an outfit catalog needs at least one slot",
        ),
        (
            Plain {
                slots: (0..9).map(|s| slot(&format!("s{s}"), true)).collect(),
                ..good.clone()
            },
            "9 outfit slots were given; at most 8 are supported",
        ),
        (
            Plain {
                slots: {
                    let mut s = good.slots.clone();
                    s[3].name = "top".into();
                    s
                },
                ..good.clone()
            },
            "outfit slot name \"top\" appears more than once",
        ),
        (
            Plain {
                slots: good.slots.iter().map(|s| slot(&s.name, false)).collect(),
                ..good.clone()
            },
            "no outfit slot is required; at least one must be, so that every outfit has a core",
        ),
        (
            Plain {
                user_weights: vec![1.0; 64],
                ..good.clone()
            },
            "user weights has length 64, expected 128",
        ),
        (
            Plain {
                compat_weights: vec![1.0; 256],
                ..good.clone()
            },
            "compatibility weights has length 256, expected 128",
        ),
        (
            Plain {
                user_weights: {
                    let mut w = good.user_weights.clone();
                    w[3] = f32::NAN;
                    w
                },
                ..good.clone()
            },
            "user weight 3 is not a finite number (NaN)",
        ),
        (
            Plain {
                compat_weights: {
                    let mut w = good.compat_weights.clone();
                    w[100] = f32::INFINITY;
                    w
                },
                ..good.clone()
            },
            "compatibility weight 100 is not a finite number (inf)",
        ),
    ];
    for (plain, message) in cases {
        assert_eq!(new_error(&plain), message);
    }
}

#[test]
fn scoring_errors_say_what_is_wrong() {
    let plain = fixed_plain(2, 4);
    let catalog = plain.catalog();
    let user = &plain.user;
    let message = |items: &[usize]| catalog.score(user, items).unwrap_err().to_string();
    assert_eq!(
        message(&[0, 1, 10]),
        "outfit item 10 is out of range: the catalog has 10 items"
    );
    assert_eq!(
        message(&[0, 1, 2, 5]),
        "items 0 and 5 both fill slot \"top\"; an outfit has one item per slot"
    );
    assert_eq!(
        message(&[0, 2, 3]),
        "the outfit has no item for the required slot \"bottom\""
    );
    assert_eq!(
        message(&[]),
        "the outfit has no item for the required slot \"top\""
    );
    assert_eq!(
        catalog.score(&[1], &[0, 1, 2]).unwrap_err().to_string(),
        "user code (in u64 words) has length 1, expected 2"
    );
    // Optional slots may be filled or not.
    assert!(catalog.score(user, &[2, 1, 0, 3]).is_ok());
}

#[test]
fn complete_errors_say_what_is_wrong() {
    let plain = fixed_plain(2, 4);
    let catalog = plain.catalog();
    let user = &plain.user;
    let search = OutfitSearch::default();
    let message = |result: Result<Vec<ScoredOutfit>, CoreError>| result.unwrap_err().to_string();
    assert_eq!(
        message(catalog.complete(user, 10, 5, search)),
        "anchor 10 is out of range: the catalog has 10 items"
    );
    assert_eq!(
        message(catalog.complete(user, 0, 0, search)),
        "k must be at least 1"
    );
    assert_eq!(
        message(catalog.complete(&[1, 2, 3], 0, 5, search)),
        "user code (in u64 words) has length 3, expected 2"
    );
    assert_eq!(
        message(catalog.complete(
            user,
            0,
            5,
            OutfitSearch {
                candidates_per_slot: 0
            }
        )),
        "candidates_per_slot must be at least 1"
    );

    // A required slot with no items makes every outfit impossible.
    let mut empty = plain.clone();
    empty.types = empty
        .types
        .iter()
        .map(|&t| if t == 2 { 0 } else { t })
        .collect();
    assert_eq!(
        message(empty.catalog().complete(user, 1, 5, search)),
        "no outfit is possible: the required slot \"shoes\" has no items in the catalog"
    );

    // A search too large to finish is refused rather than left running.
    let big = fixed_plain(2000, 4);
    let error = big
        .catalog()
        .complete(
            &big.user,
            0,
            5,
            OutfitSearch {
                candidates_per_slot: 2000,
            },
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the outfit search would need 8001 candidates, more than the limit of 4096; \
         lower candidates_per_slot"
    );
    let error = big
        .catalog()
        .complete(
            &big.user,
            0,
            5,
            OutfitSearch {
                candidates_per_slot: 300,
            },
        )
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("the outfit search would need 8154090000 outfits scored"),
        "{error}"
    );
}

fn look(items: &[usize], score: f32) -> ScoredOutfit {
    ScoredOutfit {
        items: items.to_vec(),
        score,
        preference: score,
        compatibility: 0.0,
    }
}

#[test]
fn diversify_keeps_the_best_then_prefers_a_different_look_to_a_near_copy() {
    // Anchor 0. The runner-up swaps one item of the best; the third shares nothing with it.
    let ranked = vec![
        look(&[0, 1, 2, 3], 0.90),
        look(&[0, 1, 2, 4], 0.89),
        look(&[0, 5, 6, 7], 0.86),
        look(&[0, 5, 6, 8], 0.85),
    ];
    let plain = tailor_core::diversify(ranked.clone(), 0, 3, 0.0).unwrap();
    assert_eq!(
        plain,
        ranked[..3].to_vec(),
        "lambda 0 keeps the score order"
    );

    let varied = tailor_core::diversify(ranked.clone(), 0, 3, tailor_core::LOOK_DIVERSITY).unwrap();
    let items: Vec<&[usize]> = varied.iter().map(|o| o.items.as_slice()).collect();
    assert_eq!(items, [&[0, 1, 2, 3][..], &[0, 5, 6, 7], &[0, 1, 2, 4]]);
    assert_eq!(varied[1].score, 0.86, "scores are kept as computed");

    // A large lambda still starts from the best look, and never returns one twice.
    let most = tailor_core::diversify(ranked.clone(), 0, 10, 1.0).unwrap();
    assert_eq!(most.len(), 4);
    assert_eq!(most[0], ranked[0]);
    let mut seen: Vec<&[usize]> = most.iter().map(|o| o.items.as_slice()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4);
}

#[test]
fn diversify_refuses_a_lambda_outside_zero_to_one() {
    for lambda in [-0.1, 1.5, f32::NAN, f32::INFINITY] {
        let error = tailor_core::diversify(vec![look(&[0, 1], 1.0)], 0, 1, lambda).unwrap_err();
        assert!(error.to_string().contains("between 0 and 1"), "{error}");
    }
}
