//! The catalog file: one item per row. Known columns fill the item's fields; every other named
//! column is an attribute (colour, brand, material ...), kept in file column order with its
//! name shared between items. Pictures are checked by their header only (format and size),
//! which is enough to know the file is a picture without decoding a million of them.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::config::CatalogColumns;
use super::error::{At, Place, ShopError};
use super::key::Key;
use super::table::{Table, TableFormat};

/// One catalog item. Text fields are trimmed and empty where the file has no value.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    /// Empty only for some items of a catalog; a catalog where every title is empty is refused.
    pub title: String,
    pub description: String,
    /// The category path, e.g. `["Women", "Dresses"]` from `Women > Dresses`; free text is a
    /// path of one.
    pub category: Vec<String>,
    /// The outfit slot, as the shop names it (top, bottom, shoes, bag, outerwear or its own).
    pub slot: String,
    /// As written: a path under `images/` or an http(s) URL.
    pub image: String,
    /// At least 0 when present.
    pub price: Option<f64>,
    pub currency: String,
    pub url: String,
    /// (column name, value) for each other column with a value, in file column order.
    pub attributes: Vec<(Arc<str>, String)>,
}

impl Item {
    /// The text that the item tower embeds: title, category path, attributes, description,
    /// e.g. "Linen dress. Women > Dresses. colour: white, brand: Acme. Light and airy."
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(4);
        if !self.title.is_empty() {
            parts.push(self.title.clone());
        }
        if !self.category.is_empty() {
            parts.push(self.category.join(" > "));
        }
        if !self.attributes.is_empty() {
            let attributes: Vec<String> = self
                .attributes
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect();
            parts.push(attributes.join(", "));
        }
        if !self.description.is_empty() {
            parts.push(self.description.clone());
        }
        parts.join(". ")
    }

    /// Whether `image` is a URL rather than a file of the shop.
    pub fn image_is_url(&self) -> bool {
        is_url(&self.image)
    }
}

/// The items, in file order, with an index by id. An item's position is its u32 index in the
/// logs.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub path: PathBuf,
    pub items: Vec<Item>,
    /// Attribute column names in file order.
    pub attribute_names: Vec<String>,
    index: foldhash::HashMap<Key, u32>,
}

impl Catalog {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Never true for a catalog that [`super::Shop::open`] returned.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The index of the item with this id.
    pub fn position(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Item> {
        self.position(id).map(|index| &self.items[index as usize])
    }
}

/// The picture file that an item's `image` names inside the shop folder, if it names one; `None`
/// for no image or a URL. Errors if the path leaves `images/`.
pub(crate) fn image_file(dir: &Path, image: &str) -> Option<Result<PathBuf, ()>> {
    if image.is_empty() || is_url(image) {
        return None;
    }
    let relative = Path::new(image.strip_prefix("images/").unwrap_or(image));
    let inside = relative
        .components()
        .all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
    Some(if inside {
        Ok(dir.join("images").join(relative))
    } else {
        Err(())
    })
}

fn is_url(image: &str) -> bool {
    let lower = image.get(..8).unwrap_or(image).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// What the catalog reader counted beside the items.
pub(crate) struct CatalogCounts {
    pub rows: u64,
    pub untitled: usize,
    pub with_image: usize,
}

/// Reads the catalog of the shop in `dir`.
pub(crate) fn read_catalog(
    path: &Path,
    format: TableFormat,
    names: &CatalogColumns,
    dir: &Path,
) -> Result<(Catalog, CatalogCounts), ShopError> {
    let mut table = Table::open(path, format)?;
    if table.is_blank() {
        return Err(ShopError::EmptyCatalog {
            path: path.to_path_buf(),
        });
    }
    let mut column = |given: &Option<String>, default: &str, role, required| {
        let (name, configured) = match given {
            Some(name) => (name.as_str(), true),
            None => (default, false),
        };
        table
            .column(name, role, required, configured)
            .map(|index| (index, name.to_string()))
    };
    let (id, id_name) = column(&names.id, "id", "item id", true)?;
    let (title, title_name) = column(&names.title, "title", "title", true)?;
    let description = column(&names.description, "description", "description", false)?.0;
    let category = column(&names.category, "category", "category", false)?.0;
    let slot = column(&names.slot, "slot", "slot", false)?.0;
    let image = column(&names.image, "image", "image", false)?.0;
    let price = column(&names.price, "price", "price", false)?.0;
    let currency = column(&names.currency, "currency", "currency", false)?.0;
    let url = column(&names.url, "url", "url", false)?.0;
    let known: Vec<usize> = [
        id,
        title,
        description,
        category,
        slot,
        image,
        price,
        currency,
        url,
    ]
    .into_iter()
    .flatten()
    .collect();

    let mut items: Vec<Item> = Vec::new();
    let mut index: foldhash::HashMap<Key, u32> = foldhash::HashMap::default();
    // Only for naming the first of two equal ids; dropped after the read.
    let mut places: Vec<Place> = Vec::new();
    // Per column: its shared name if it is an attribute column.
    let mut attribute_of: Vec<Option<Arc<str>>> = Vec::new();
    let mut checked_images: HashSet<String> = HashSet::new();
    let mut counts = CatalogCounts {
        rows: 0,
        untitled: 0,
        with_image: 0,
    };
    while table.next()? {
        counts.rows += 1;
        // JSON Lines may add columns on any line.
        while attribute_of.len() < table.columns().len() {
            let column = attribute_of.len();
            let name = &table.columns()[column];
            attribute_of.push(
                (!known.contains(&column) && !name.is_empty()).then(|| Arc::from(name.as_str())),
            );
        }
        let item_id = table.get(id);
        if item_id.is_empty() {
            return Err(ShopError::EmptyValue {
                at: table.at(),
                role: "item id",
                column: id_name,
            });
        }
        if let Some(&first) = index.get(item_id) {
            return Err(ShopError::DuplicateId {
                at: table.at(),
                id: item_id.to_string(),
                first: places[first as usize],
            });
        }
        let price_text = table.get(price);
        let price_value = match price_text {
            "" => None,
            text => Some(
                text.parse::<f64>()
                    .ok()
                    .filter(|p| p.is_finite() && *p >= 0.0)
                    .ok_or_else(|| ShopError::BadPrice {
                        at: table.at(),
                        value: text.to_string(),
                    })?,
            ),
        };
        let image_value = table.get(image);
        if !image_value.is_empty() {
            counts.with_image += 1;
            if !checked_images.contains(image_value) {
                check_image(dir, &table.at(), image_value)?;
                checked_images.insert(image_value.to_string());
            }
        }
        let title_value = table.get(title);
        if title_value.is_empty() {
            counts.untitled += 1;
        }
        let attributes = attribute_of
            .iter()
            .enumerate()
            .filter_map(|(column, name)| {
                let name = name.as_ref()?;
                let value = table.get(Some(column));
                (!value.is_empty()).then(|| (Arc::clone(name), value.to_string()))
            })
            .collect();
        let position = u32::try_from(items.len()).map_err(|_| ShopError::TooMany {
            path: path.to_path_buf(),
            what: "items",
        })?;
        index.insert(Key::new(item_id), position);
        places.push(table.place());
        items.push(Item {
            id: item_id.to_string(),
            title: title_value.to_string(),
            description: table.get(description).to_string(),
            category: table
                .get(category)
                .split('>')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(str::to_string)
                .collect(),
            slot: table.get(slot).to_string(),
            image: image_value.to_string(),
            price: price_value,
            currency: table.get(currency).to_string(),
            url: table.get(url).to_string(),
            attributes,
        });
    }
    table.finish()?;
    match items.as_slice() {
        [] => Err(ShopError::EmptyCatalog {
            path: path.to_path_buf(),
        }),
        [only] => Err(ShopError::OneItem {
            path: path.to_path_buf(),
            id: only.id.clone(),
        }),
        _ if counts.untitled == items.len() => Err(ShopError::NoTitles {
            path: path.to_path_buf(),
            column: title_name,
        }),
        _ => {
            let attribute_names = attribute_of
                .into_iter()
                .flatten()
                .map(|name| name.to_string())
                .collect();
            Ok((
                Catalog {
                    path: path.to_path_buf(),
                    items,
                    attribute_names,
                    index,
                },
                counts,
            ))
        }
    }
}

/// The picture must exist inside `images/` and have a PNG, JPEG or WebP header that decodes to
/// a size; the pixels are not decoded.
fn check_image(dir: &Path, at: &At, image: &str) -> Result<(), ShopError> {
    let Some(file) = image_file(dir, image) else {
        return Ok(());
    };
    let file = file.map_err(|()| ShopError::ImageOutsideShop {
        at: at.clone(),
        image: image.to_string(),
    })?;
    if !file.is_file() {
        return Err(ShopError::MissingImage {
            at: at.clone(),
            image: image.to_string(),
            path: file,
        });
    }
    let not_a_picture = |source| ShopError::NotAPicture {
        at: at.clone(),
        image: image.to_string(),
        source: Box::new(source),
    };
    image::ImageReader::open(&file)
        .and_then(|reader| reader.with_guessed_format())
        .map_err(|error| not_a_picture(image::ImageError::IoError(error)))?
        .into_dimensions()
        .map_err(not_a_picture)?;
    Ok(())
}
