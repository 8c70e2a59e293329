//! The commands behind the `tailor` binary, kept in a library so that they can be tested without
//! spawning processes; `main.rs` only parses arguments. So far it holds `serve`, the static file
//! server that the demo shop and the browser tests run on 127.0.0.1: a bundle is just static
//! files, so a shop can host it anywhere, and this server exists only for local use.

// The binary's own crate: it prints the tables and owns the progress reporter.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod data;
pub mod recommend;
pub mod serve;
pub mod train;
