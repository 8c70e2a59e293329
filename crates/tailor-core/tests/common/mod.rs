//! What the scorer tests share: codes read back the slow, obvious way.

/// Bit j of a code as +1.0 / -1.0, read one bit at a time (independent of `to_signs`).
pub fn naive_signs(code: &[u64]) -> Vec<f64> {
    (0..code.len() * 64)
        .map(|j| {
            if (code[j / 64] >> (j % 64)) & 1 == 1 {
                1.0
            } else {
                -1.0
            }
        })
        .collect()
}
