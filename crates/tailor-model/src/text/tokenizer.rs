//! MiniLM's WordPiece tokenizer, read from its `tokenizer.json` (lower-casing, accent
//! stripping, Chinese-character splitting, [CLS] ... [SEP]), truncated the way
//! sentence-transformers truncates: at `max_len` tokens including the two special tokens.

use burn::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use crate::error::ModelError;

pub struct TextTokenizer {
    inner: Tokenizer,
}

/// Token ids of a batch padded to its longest text, with the matching attention mask.
pub struct Encoded {
    pub ids: Tensor<2, Int>,
    pub mask: Tensor<2, Int>,
}

impl TextTokenizer {
    /// `max_len` is 256 for all-MiniLM-L6-v2 (its `max_seq_length`).
    pub fn from_json(json: &[u8], max_len: usize) -> Result<Self, ModelError> {
        let mut inner =
            Tokenizer::from_bytes(json).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..TruncationParams::default()
            }))
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        inner.with_padding(None);
        Ok(Self { inner })
    }

    /// Token ids with [CLS] and [SEP].
    pub fn ids(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        self.inner
            .encode(text, true)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|e| ModelError::Tokenizer(e.to_string()))
    }

    /// Word-piece ids without [CLS] / [SEP] and without truncation: the static encoder averages
    /// every piece of the text.
    pub fn piece_ids(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        self.inner
            .encode(text, false)
            .map(|encoding| {
                let mut ids = encoding.get_ids().to_vec();
                for overflow in encoding.get_overflowing() {
                    ids.extend_from_slice(overflow.get_ids());
                }
                ids
            })
            .map_err(|e| ModelError::Tokenizer(e.to_string()))
    }

    /// Id of [CLS], 101 in MiniLM's vocabulary.
    pub fn cls_id(&self) -> u32 {
        self.inner.token_to_id("[CLS]").unwrap_or(101)
    }

    /// Id of [SEP], 102 in MiniLM's vocabulary.
    pub fn sep_id(&self) -> u32 {
        self.inner.token_to_id("[SEP]").unwrap_or(102)
    }

    /// [PAD], [UNK], [CLS], [SEP], [MASK]: tokens that carry no meaning of their own.
    pub fn is_special(&self, id: u32) -> bool {
        self.inner
            .id_to_token(id)
            .is_some_and(|t| matches!(t.as_str(), "[PAD]" | "[UNK]" | "[CLS]" | "[SEP]" | "[MASK]"))
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    pub fn encode_batch(&self, texts: &[&str], device: &Device) -> Result<Encoded, ModelError> {
        let encoded = texts
            .iter()
            .map(|text| self.ids(text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(pad_batch(&encoded, device))
    }
}

/// Pads token id lists to the longest one and builds the matching attention mask.
pub fn pad_batch(encoded: &[Vec<u32>], device: &Device) -> Encoded {
    let batch = encoded.len();
    let seq = encoded.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut ids = vec![0i64; batch * seq];
    let mut mask = vec![0i64; batch * seq];
    for (row, tokens) in encoded.iter().enumerate() {
        for (col, &id) in tokens.iter().enumerate() {
            ids[row * seq + col] = i64::from(id);
            mask[row * seq + col] = 1;
        }
    }
    Encoded {
        ids: Tensor::from_data(TensorData::new(ids, [batch, seq]), device),
        mask: Tensor::from_data(TensorData::new(mask, [batch, seq]), device),
    }
}
