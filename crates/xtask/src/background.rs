//! A second xtask process that runs beside the main one, its output kept in a log file so that
//! the two never interleave on the terminal.

use std::env;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

/// `cargo xtask ARGS` started now; `finish` waits for it. Dropped unfinished (the main task
/// failed first), it is killed rather than left building.
pub struct Background {
    what: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Background {
    pub fn start(what: &str, args: &[&str], log: &Path) -> Result<Self> {
        let exe = env::current_exe().context("cannot find the running xtask binary")?;
        if let Some(dir) = log.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let out = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = out
            .try_clone()
            .with_context(|| format!("cannot share {}", log.display()))?;
        let child = Command::new(&exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {} {}", exe.display(), args.join(" ")))?;
        println!(
            "{what}: started beside the steps below (`cargo xtask {}`), output in {}",
            args.join(" "),
            log.display()
        );
        Ok(Self {
            what: what.to_string(),
            child: Some(child),
            log: log.to_path_buf(),
        })
    }

    /// Waits for the process, then prints its log; fails if it failed.
    pub fn finish(mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let status = child
            .wait()
            .with_context(|| format!("cannot wait for {}", self.what))?;
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        println!("{}: its output ({}):\n{log}", self.what, self.log.display());
        if !status.success() {
            bail!("{} failed ({status}); its output is above", self.what);
        }
        Ok(())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
