//! Memory and time of `Shop::open` on a generated shop: by default 1M catalog items and 10M
//! events as CSV (`TAILOR_BENCH_ITEMS`, `TAILOR_BENCH_EVENTS`, `TAILOR_BENCH_USERS` pick other
//! sizes). The figures come with a baseline measured in the same run, a plain `csv` scan of the
//! same files that keeps no rows, so they read as ratios on any machine. Each phase runs in a
//! child process of this binary, so each peak RSS (VmHWM) is that phase's own.
//!
//! `cargo bench -p tailor-data --bench shop_load`

// A benchmark binary: it prints its measurements.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::env;
use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tailor_data::shop::Shop;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The child's phase and shop folder.
const PHASE: &str = "TAILOR_SHOP_LOAD_PHASE";
const DIR: &str = "TAILOR_SHOP_LOAD_DIR";
/// The budget the figures are held against.
const BUDGET_BYTES: u64 = 4 << 30;

fn main() -> Result<()> {
    if let Ok(phase) = env::var(PHASE) {
        return child(&phase, Path::new(&env::var(DIR)?));
    }
    let items = size("TAILOR_BENCH_ITEMS", 1_000_000)?;
    let events = size("TAILOR_BENCH_EVENTS", 10_000_000)?;
    let users = size("TAILOR_BENCH_USERS", (events / 20).max(1))?;
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    write_shop(dir.path(), items, events, users)?;
    let bytes = |name: &str| std::fs::metadata(dir.path().join(name)).map(|m| m.len());
    let (catalog_bytes, events_bytes) = (bytes("catalog.csv")?, bytes("events.csv")?);
    println!(
        "shop_load: {items} items ({:.0} MB), {events} events ({:.0} MB), {users} users; \
         written in {:.1} s",
        mb(catalog_bytes),
        mb(events_bytes),
        started.elapsed().as_secs_f64()
    );
    let (base_rss, base_secs) = run_phase("baseline", dir.path())?;
    let (load_rss, load_secs) = run_phase("load", dir.path())?;
    println!(
        "baseline (csv scan, no rows kept): peak RSS {:>7.0} MB, {:>6.2} s",
        mb(base_rss),
        base_secs
    );
    println!(
        "Shop::open                        : peak RSS {:>7.0} MB, {:>6.2} s",
        mb(load_rss),
        load_secs
    );
    println!(
        "ratio: {:.1}x the baseline's RSS, {:.1}x its time; {:.0}% of the 4 GB budget ({})",
        load_rss as f64 / base_rss.max(1) as f64,
        load_secs / base_secs.max(1e-9),
        100.0 * load_rss as f64 / BUDGET_BYTES as f64,
        if load_rss < BUDGET_BYTES {
            "within"
        } else {
            "OVER"
        }
    );
    println!(
        "peak RSS per input byte: {:.2}; load rate: {:.1} M rows/s",
        load_rss as f64 / (catalog_bytes + events_bytes) as f64,
        (items + events) as f64 / load_secs.max(1e-9) / 1e6
    );
    Ok(())
}

fn size(name: &str, default: usize) -> Result<usize> {
    match env::var(name) {
        Ok(text) => Ok(text.trim().parse()?),
        Err(_) => Ok(default),
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Runs one phase in a child; its last line is `<peak RSS bytes> <seconds>`.
fn run_phase(phase: &str, dir: &Path) -> Result<(u64, f64)> {
    let output = Command::new(env::current_exe()?)
        .env(PHASE, phase)
        .env(DIR, dir)
        .output()?;
    let stdout = String::from_utf8(output.stdout)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("phase {phase} failed: {stdout}{stderr}").into());
    }
    let last = stdout.lines().last().unwrap_or_default();
    let mut fields = last.split_whitespace();
    match (fields.next(), fields.next()) {
        (Some(rss), Some(secs)) => Ok((rss.parse()?, secs.parse()?)),
        _ => Err(format!("phase {phase} printed {stdout:?}").into()),
    }
}

fn child(phase: &str, dir: &Path) -> Result<()> {
    let started = Instant::now();
    let secs = match phase {
        "baseline" => {
            let mut rows = 0u64;
            for name in ["catalog.csv", "events.csv"] {
                let mut reader = csv::Reader::from_path(dir.join(name))?;
                let mut record = csv::ByteRecord::new();
                while reader.read_byte_record(&mut record)? {
                    rows += 1;
                }
            }
            eprintln!("baseline: {rows} rows");
            started.elapsed().as_secs_f64()
        }
        "load" => {
            let shop = Shop::open(dir)?;
            // Timed before the shop is dropped: freeing it is not loading it.
            let secs = started.elapsed().as_secs_f64();
            eprintln!("{}", shop.summary);
            secs
        }
        other => return Err(format!("unknown phase {other}").into()),
    };
    println!("{} {secs}", peak_rss()?);
    Ok(())
}

/// VmHWM of this process, in bytes.
fn peak_rss() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb * 1024)
}

const SLOTS: [&str; 5] = ["top", "bottom", "shoes", "bag", "outerwear"];
const COLOURS: [&str; 8] = [
    "black", "white", "navy", "red", "olive", "beige", "grey", "pink",
];
const BRANDS: [&str; 6] = ["Acme", "Northwind", "Lumen", "Fjord", "Atelier 9", "Okra"];
const EVENTS: [&str; 4] = ["view", "click", "cart", "purchase"];

/// A small deterministic generator (SplitMix64): the bench needs no rand dependency.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// catalog.csv and events.csv, streamed to disk; times in all three accepted forms.
fn write_shop(dir: &Path, items: usize, events: usize, users: usize) -> Result<()> {
    let mut rng = Mix(7);
    let path = |name: &str| -> PathBuf { dir.join(name) };
    let mut catalog = BufWriter::with_capacity(1 << 20, File::create(path("catalog.csv"))?);
    writeln!(
        catalog,
        "id,title,description,category,slot,price,currency,url,colour,brand"
    )?;
    for item in 0..items {
        let slot = SLOTS[item % SLOTS.len()];
        let colour = COLOURS[rng.below(COLOURS.len())];
        let brand = BRANDS[rng.below(BRANDS.len())];
        writeln!(
            catalog,
            "sku-{item},{colour} {slot} {item},\"A {colour} {slot} by {brand}, made to last.\",\
             Women > {slot},{slot},{}.{:02},EUR,https://shop.example/p/{item},{colour},{brand}",
            10 + rng.below(190),
            rng.below(100)
        )?;
    }
    catalog.flush()?;
    let mut log = BufWriter::with_capacity(1 << 20, File::create(path("events.csv"))?);
    writeln!(log, "user,item,event,time")?;
    let start_s: i64 = 1_700_000_000;
    for row in 0..events {
        let seconds = start_s + (row as i64) / 4;
        let user = rng.below(users);
        let item = rng.below(items);
        let event = EVENTS[rng.below(EVENTS.len())];
        match row % 3 {
            0 => writeln!(log, "u{user},sku-{item},{event},{seconds}")?,
            1 => writeln!(log, "u{user},sku-{item},{event},{}", seconds * 1000 + 250)?,
            _ => {
                let time = chrono::DateTime::from_timestamp(seconds, 0)
                    .ok_or("time out of range")?
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                writeln!(log, "u{user},sku-{item},{event},{time}")?
            }
        }
    }
    log.flush()?;
    Ok(())
}
