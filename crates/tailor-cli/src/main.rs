//! `tailor`: the command-line front of Tailor. Argument parsing only; the work is in the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tailor_cli::serve::{Mount, StaticServer};

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

#[derive(Subcommand)]
enum Command {
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

fn main() -> Result<()> {
    match Cli::parse().command {
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
