//! Per-user folders awsimple keeps state in.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The per-user data folder of awsimple: `<data dir>/awsimple` (on Linux
/// `~/.local/share/awsimple`). SQS keeps its visibility-timeout history there.
pub fn data_dir() -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|dirs| dirs.data_local_dir().join("awsimple"))
        .ok_or_else(|| Error::config("no home folder: cannot locate the per-user data folder"))
}
