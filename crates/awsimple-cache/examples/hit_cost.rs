//! The cost of a checked hit: copies a 64 MiB entry to a destination file (reading it, checking
//! its CRC64NVME and writing the copy, then the rename), and, for comparison, the same copy
//! unchecked as `copy_to` did it before entries had checksums (`io::copy`, which the kernel may
//! do without user space, to a temporary file, then the rename), and the check alone
//! ([`DiskCache::contains`]: read and checksum, no copy). Medians of several
//! runs, in MB/s.
//!
//! `cargo run --release -p awsimple-cache --example hit_cost [folder] [runs]` (the folder
//! defaults to a temporary one in the system's temporary folder).

use std::error::Error;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use awsimple_cache::DiskCache;

const SIZE: usize = 64 << 20;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn rate(time: Duration) -> f64 {
    SIZE as f64 / 1e6 / time.as_secs_f64()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let runs: usize = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(9)
        .max(1);
    let folder = tempfile::tempdir_in(&base)?;
    let cache = DiskCache::builder("bench")
        .dir(folder.path().join("cache"))
        .max_bytes(1 << 30)
        .max_free_fraction(1.0)
        .build()?;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let data: Vec<u8> = (0..SIZE)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let src = folder.path().join("source.bin");
    std::fs::write(&src, &data)?;
    if !cache.put_file("bench64", &src) {
        return Err("the entry was not stored".into());
    }
    let dest = folder.path().join("dest.bin");

    let mut checked = Vec::new();
    let mut plain = Vec::new();
    let mut check_only = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        if !cache.contains("bench64", Some(SIZE as u64)) {
            return Err("a miss".into());
        }
        check_only.push(start.elapsed());
        let start = Instant::now();
        if !cache.copy_to("bench64", Some(SIZE as u64), &dest) {
            return Err("a miss".into());
        }
        checked.push(start.elapsed());
        // The previous, unchecked `copy_to`: `io::copy` (in the kernel where it can) to a
        // temporary file beside the destination, then a rename.
        let start = Instant::now();
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(folder.path())?;
        std::io::copy(&mut std::fs::File::open(&src)?, temp.as_file_mut())?;
        temp.persist(&dest)?;
        plain.push(start.elapsed());
    }
    if std::fs::read(&dest)? != data {
        return Err("the copy differs".into());
    }
    let (checked, plain, check_only) = (median(checked), median(plain), median(check_only));
    println!("folder: {}", base.display());
    println!(
        "64 MiB hit, checked copy_to: median {:.1} ms, {:.0} MB/s ({runs} runs)",
        checked.as_secs_f64() * 1e3,
        rate(checked)
    );
    println!(
        "64 MiB check only (contains: read + CRC64NVME, no copy): median {:.1} ms, {:.0} MB/s",
        check_only.as_secs_f64() * 1e3,
        rate(check_only)
    );
    println!(
        "64 MiB unchecked copy (io::copy to a temporary file, rename): median {:.1} ms, {:.0} MB/s",
        plain.as_secs_f64() * 1e3,
        rate(plain)
    );
    Ok(())
}
