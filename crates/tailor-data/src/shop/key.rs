//! Map keys for item and user ids that keep short ids inline. Loading a large log is bound by
//! cache misses in two hash lookups per row; an inline key is compared where the table holds
//! it, without following a pointer to the heap (and costs no allocation).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// The longest id kept inline, in bytes; longer ones go to the heap.
const INLINE: usize = 22;

#[derive(Debug, Clone)]
pub(crate) enum Key {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Key {
    pub(crate) fn new(text: &str) -> Key {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                Key::Inline { len, bytes }
            }
            _ => Key::Heap(text.into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // The bytes were copied from a str, so they are UTF-8.
            Key::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Key::Heap(text) => text,
        }
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

// Hash and equality are those of the text, as `Borrow<str>` requires.
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Key {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_ids_find_themselves() {
        let ids = [
            "",
            "a",
            "sku-123",
            "é".repeat(11).as_str(),
            &"x".repeat(23),
            &"y".repeat(300),
        ]
        .map(str::to_string);
        let map: foldhash::HashMap<Key, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (Key::new(id), i))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(map.get(id.as_str()), Some(&i), "{id}");
            assert_eq!(Key::new(id).as_str(), id);
        }
        assert!(matches!(
            Key::new(&"x".repeat(22)),
            Key::Inline { len: 22, .. }
        ));
        assert!(matches!(Key::new(&"x".repeat(23)), Key::Heap(_)));
        assert_eq!(map.get("sku-12"), None);
    }
}
