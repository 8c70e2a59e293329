//! Progress bars for long steps. The binary decides whether they show (`hidden` for `--quiet`
//! and for tests); the library only advances the bar it is handed.

use indicatif::{ProgressBar, ProgressStyle};

pub fn progress_bar(hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} steps  {per_sec}  ETA {eta}  {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}
