//! What wakes the reconcile loop: a change under the workspace folder (debounced), a change in
//! a cluster (`live`), the resync timer, SIGHUP, a retry after a failure, or the `--lock`
//! taken (`lock`). Triggers only wake the loop; what to do is decided from the files and the
//! clusters as they are then, so a missed or merged event is harmless.

use std::path::Path;
use std::time::Duration;

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

/// Why the loop woke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The first reconcile.
    Start,
    /// Files under the workspace changed.
    Files,
    /// The periodic resync: the clusters may have drifted.
    Resync,
    /// A blocking query saw a cluster's list change.
    Live,
    /// SIGHUP: reload everything.
    Reload,
    /// A retry after a failed reconcile.
    Retry,
    /// This watcher took the `--lock`: it applies the files as at start.
    Acquired,
}

impl Trigger {
    /// Whether the trigger says the files may have changed (as opposed to the clusters only):
    /// with `--no-heal`, only these are applied.
    pub fn from_files(self) -> bool {
        matches!(
            self,
            Self::Start | Self::Files | Self::Reload | Self::Acquired
        )
    }
}

/// A watch of the workspace folder that sends one message per debounced batch of relevant
/// events. Dropping it stops the watch.
pub struct FileWatch {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

/// Watches `dir` recursively. Editors save through temporary files and renames, and inotify can
/// miss a file in a brand-new folder, so any relevant batch means "rescan everything"; events
/// that only touch editor litter (swap and backup files, hidden files) are dropped.
///
/// # Errors
/// When the folder cannot be watched.
pub fn watch_files(
    dir: &Path,
    debounce: Duration,
    tx: mpsc::UnboundedSender<Trigger>,
) -> notify::Result<FileWatch> {
    let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
        let relevant = match result {
            // Reading the files (as each reconcile does) is an event too: only changes count.
            Ok(events) => events
                .iter()
                .filter(|event| !matches!(event.kind, EventKind::Access(_)))
                .flat_map(|event| event.paths.iter())
                .any(|path| relevant(path)),
            // An error may hide events: rescan to be sure.
            Err(_) => true,
        };
        if relevant {
            let _ = tx.send(Trigger::Files);
        }
    })?;
    debouncer.watch(dir, RecursiveMode::Recursive)?;
    Ok(FileWatch {
        _debouncer: debouncer,
    })
}

/// Whether a change to `path` can change the workspace: a file meshplan reads (or refuses), or
/// a folder (a new or removed folder can hold such files).
fn relevant(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return true;
    };
    if name.starts_with('.') || name.ends_with('~') || name == "4913" {
        return false;
    }
    match path.extension().and_then(|ext| ext.to_str()) {
        None => true,
        Some(ext) => ["hcl", "toml", "json", "yaml", "yml"]
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known)),
    }
}

/// `base` give or take a tenth, so that many watchers started together do not resync together.
pub fn jittered(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let spread = base / 5;
    let offset = spread.mul_f64(f64::from(nanos % 1000) / 1000.0);
    base - base / 10 + offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_litter_does_not_wake_the_loop() {
        assert!(relevant(Path::new("ws/cluster-01/web.hcl")));
        assert!(relevant(Path::new("ws/meshplan.toml")));
        assert!(relevant(Path::new("ws/cluster-01/new-folder")));
        assert!(
            relevant(Path::new("ws/cluster-01/web.yaml")),
            "refused, so reported"
        );
        assert!(!relevant(Path::new("ws/cluster-01/.web.hcl.swp")));
        assert!(!relevant(Path::new("ws/cluster-01/web.hcl~")));
        assert!(!relevant(Path::new("ws/cluster-01/4913")));
        assert!(!relevant(Path::new("ws/README.md")));
    }

    #[test]
    fn jitter_stays_within_a_tenth() {
        let base = Duration::from_secs(300);
        let jittered = jittered(base);
        assert!(jittered >= Duration::from_secs(270) && jittered <= Duration::from_secs(330));
    }
}
