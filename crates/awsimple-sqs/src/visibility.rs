//! The visibility timeout, as the Python package computes it (docs/python-compatibility.md, SQS).
//!
//! - immediate delete: 30 s (a message is deleted as soon as it is received);
//! - a value given by the caller (an error together with immediate delete or with a minimum);
//! - otherwise automatic: `max(minimum, round(10 x median(work times)))`, each work time at least
//!   1 s, one hour while there is no history. Work time = receive -> delete, for the last 20
//!   messages, kept per queue in the per-user data folder and written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

/// Visibility timeout with immediate delete.
pub const IMMEDIATE_DELETE_VISIBILITY: Duration = Duration::from_secs(30);
/// Visibility timeout while there is no work-time history.
pub const NO_HISTORY_VISIBILITY: Duration = Duration::from_secs(3600);
/// How many work times are kept.
pub const HISTORY_LENGTH: usize = 20;
/// SQS's largest visibility timeout (12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// How the visibility timeout is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Visibility {
    ImmediateDelete,
    Fixed(Duration),
    Automatic { minimum: Duration },
}

/// The recorded work times of one queue.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct History {
    /// Seconds from receive to delete, oldest first.
    pub(crate) work_times: Vec<f64>,
}

impl History {
    pub(crate) fn record(&mut self, work: Duration) {
        self.work_times.push(work.as_secs_f64());
        let excess = self.work_times.len().saturating_sub(HISTORY_LENGTH);
        self.work_times.drain(..excess);
    }

    /// The median work time, each at least 1 s; `None` without history.
    pub(crate) fn nominal_work_time(&self) -> Option<f64> {
        let mut times: Vec<f64> = self
            .work_times
            .iter()
            .filter(|t| t.is_finite())
            .map(|t| t.max(1.0))
            .collect();
        if times.is_empty() {
            return None;
        }
        times.sort_by(f64::total_cmp);
        let mid = times.len() / 2;
        Some(if times.len().is_multiple_of(2) {
            (times[mid - 1] + times[mid]) / 2.0
        } else {
            times[mid]
        })
    }
}

impl Visibility {
    /// The timeout to receive with, given the history.
    pub(crate) fn timeout(&self, history: &History) -> Duration {
        let timeout = match *self {
            Visibility::ImmediateDelete => IMMEDIATE_DELETE_VISIBILITY,
            Visibility::Fixed(timeout) => timeout,
            Visibility::Automatic { minimum } => match history.nominal_work_time() {
                None => NO_HISTORY_VISIBILITY.max(minimum),
                Some(work) => Duration::from_secs((10.0 * work).round() as u64).max(minimum),
            },
        };
        timeout.min(MAX_VISIBILITY)
    }
}

/// The history file of a queue: `<folder>/sqs/<queue>.json`.
/// A history file larger than this is not one of ours.
const MAX_HISTORY_FILE: u64 = 64 * 1024;

pub(crate) fn history_path(folder: &Path, queue: &str) -> PathBuf {
    folder.join("sqs").join(format!("{queue}.json"))
}

/// Reads a history; a missing file is an empty history, and so is anything that is not a
/// regular file of a sane size (a FIFO would block the read, a symlink may point anywhere) or
/// that does not parse (with a warning).
pub(crate) fn load(path: &Path) -> History {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_HISTORY_FILE => {}
        Ok(meta) => {
            warn!(path = %path.display(), kind = ?meta.file_type(), size = meta.len(), "ignoring an SQS work-time history that is not a small regular file");
            return History::default();
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return History::default(),
        Err(e) => {
            warn!(path = %path.display(), error = %e, "cannot read the SQS work-time history");
            return History::default();
        }
    }
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<History>(&bytes) {
            Ok(history) => history,
            Err(e) => {
                warn!(path = %path.display(), error = %e, "ignoring a corrupt SQS work-time history");
                History::default()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => History::default(),
        Err(e) => {
            warn!(path = %path.display(), error = %e, "cannot read the SQS work-time history");
            History::default()
        }
    }
}

/// Writes a history atomically (temporary file + rename), readable by its owner only.
pub(crate) fn save(path: &Path, history: &History) {
    let result = (|| -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
        let mut temp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
        let bytes = serde_json::to_vec(history).map_err(std::io::Error::other)?;
        temp.write_all(&bytes)?;
        temp.as_file().sync_data()?;
        temp.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    match result {
        Ok(()) => debug!(path = %path.display(), "SQS work-time history saved"),
        Err(e) => {
            warn!(path = %path.display(), error = %e, "cannot save the SQS work-time history")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(times: &[f64]) -> History {
        History {
            work_times: times.to_vec(),
        }
    }

    #[test]
    fn rules_of_the_python_package() {
        let none = History::default();
        assert_eq!(
            Visibility::ImmediateDelete.timeout(&none),
            Duration::from_secs(30)
        );
        assert_eq!(
            Visibility::Fixed(Duration::from_secs(7)).timeout(&none),
            Duration::from_secs(7)
        );
        let auto = Visibility::Automatic {
            minimum: Duration::ZERO,
        };
        assert_eq!(auto.timeout(&none), Duration::from_secs(3600));
        // median of (2, 3, 10) = 3 -> 30 s
        assert_eq!(
            auto.timeout(&history(&[10.0, 2.0, 3.0])),
            Duration::from_secs(30)
        );
        // each work time at least 1 s: median(0.1, 0.2) -> 1 -> 10 s
        assert_eq!(auto.timeout(&history(&[0.1, 0.2])), Duration::from_secs(10));
        // even count: median(2, 4) = 3 -> 30 s; round(10 x 2.26) = 23
        assert_eq!(auto.timeout(&history(&[2.0, 4.0])), Duration::from_secs(30));
        assert_eq!(auto.timeout(&history(&[2.26])), Duration::from_secs(23));
        let with_minimum = Visibility::Automatic {
            minimum: Duration::from_secs(45),
        };
        assert_eq!(
            with_minimum.timeout(&history(&[1.0])),
            Duration::from_secs(45)
        );
        assert_eq!(auto.timeout(&history(&[100_000.0])), MAX_VISIBILITY);
    }

    #[test]
    fn history_keeps_the_last_twenty() {
        let mut h = History::default();
        for i in 0..25 {
            h.record(Duration::from_secs(i));
        }
        assert_eq!(h.work_times.len(), HISTORY_LENGTH);
        assert_eq!(h.work_times[0], 5.0);
    }

    #[test]
    fn history_files_round_trip_and_corrupt_ones_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path(), "q1");
        assert_eq!(load(&path), History::default());
        save(&path, &history(&[1.5, 2.5]));
        assert_eq!(load(&path), history(&[1.5, 2.5]));
        std::fs::write(&path, b"{corrupt").unwrap();
        assert_eq!(load(&path), History::default());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            save(&path, &history(&[1.0]));
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
