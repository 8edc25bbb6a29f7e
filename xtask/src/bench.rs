//! `cargo xtask bench [--compare-python] [--n N] [--repeats R] [--no-large] [--only PREFIX]
//! [--json FILE] [--scan-items N]`
//!
//! Starts a fresh emulator, runs the workload of `crates/awsimple/benches/workload.rs` in release
//! mode, optionally the same workload through the Python `awsimple` package (installed into the
//! project's venv), and prints both side by side: median wall time, ratio, requests, peak memory.
//! The table is also written to `target/bench/latest.md`, and with `--json FILE` every line
//! (both sides, ratios) to FILE. A line named `<operation>.sdk_floor` is the bare SDK sending the
//! same requests as `<operation>`: its ratio is against Python's `<operation>`, the best any
//! client could do on this emulator. `--scan-items N` adds a cached scan of an N-item table
//! (Rust only): the first scan, then cache hits. `s3.sync_up_1000` (1000 small files to a new
//! prefix) and `s3.sync_up_unchanged_1000` (the same tree again: one listing page) are Rust
//! only too (Python `awsimple` 8 has no folder sync); `--only s3.sync_up` runs just them.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Instant;

// One `BENCH {json}` line, in the format both workloads print (the format lives in the test kit,
// beside the code the Rust workload prints it with).
use awsimple_testkit::bench::{BenchLine as Line, json_string};
use awsimple_testkit::emulator::{self, StartOptions};

use crate::{Result, cargo, emulator_env, new_run_id, root, run, step, target_dir};

const PYTHON_AWSIMPLE: &str = "awsimple==8.0.0";

fn run_capturing(command: &mut Command, what: &str) -> Result<Vec<Line>> {
    let started = Instant::now();
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run {what}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Line> = stdout.lines().filter_map(Line::parse).collect();
    for other in stdout.lines().filter(|l| !l.starts_with("BENCH ")) {
        println!("    {other}");
    }
    println!(
        "    ({what}: {:.1} s, {} lines)",
        started.elapsed().as_secs_f64(),
        lines.len()
    );
    if !output.status.success() {
        return Err(format!("{what} failed ({})", output.status));
    }
    Ok(lines)
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The side-by-side table, in Markdown.
pub(crate) fn table(
    rust: &[Line],
    python: &BTreeMap<String, Line>,
    sha512sum: Option<f64>,
) -> String {
    let mut out = String::from(
        "| operation | Rust median | Rust requests | Rust peak RSS | Python median | Python requests | time ratio Rust/Python | note |\n|---|---|---|---|---|---|---|---|\n",
    );
    for line in rust {
        let ratio = ratio(line, python, sha512sum);
        let (py_time, py_requests, ratio) = match (python.get(&line.name), ratio) {
            (Some(py), Some(r)) => (
                seconds(py.median_s),
                py.requests.to_string(),
                format!("{r:.2}x"),
            ),
            (None, Some(r)) if line.name.ends_with(".sdk_floor") => {
                ("-".into(), "-".into(), format!("{r:.2}x (floor)"))
            }
            (None, Some(r)) => (
                sha512sum.map_or_else(|| "-".into(), |t| format!("sha512sum {}", seconds(t))),
                "-".into(),
                format!("{r:.2}x of sha512sum"),
            ),
            _ => ("-".into(), "-".into(), "-".into()),
        };
        let note = python
            .get(&line.name)
            .map(|p| p.note.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| line.note.clone());
        out.push_str(&format!(
            "| {} | {} | {} | {} | {py_time} | {py_requests} | {ratio} | {note} |\n",
            line.name,
            seconds(line.median_s),
            line.requests,
            mib(line.peak_rss)
        ));
    }
    out
}

fn ensure_python_awsimple(python: &std::path::Path) -> Result {
    let has = Command::new(python)
        .args([
            "-c",
            "import awsimple, sys; sys.exit(0 if awsimple.__version__ == '8.0.0' else 1)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has {
        return Ok(());
    }
    println!("    installing {PYTHON_AWSIMPLE} into the project's venv");
    run(
        Command::new(python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PYTHON_AWSIMPLE,
        ]),
        "pip install awsimple",
    )
}

pub(crate) fn bench(args: &[String]) -> Result {
    let mut compare_python = false;
    let mut json: Option<std::path::PathBuf> = None;
    let mut settings: Vec<(&str, String)> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--compare-python" => compare_python = true,
            "--n" => settings.push(("AWSIMPLE_BENCH_N", value("--n")?)),
            "--repeats" => settings.push(("AWSIMPLE_BENCH_REPEATS", value("--repeats")?)),
            "--only" => settings.push(("AWSIMPLE_BENCH_ONLY", value("--only")?)),
            "--no-large" => settings.push(("AWSIMPLE_BENCH_LARGE", "0".to_owned())),
            "--json" => json = Some(value("--json")?.into()),
            "--scan-items" => settings.push(("AWSIMPLE_BENCH_SCAN_ITEMS", value("--scan-items")?)),
            other => {
                return Err(format!(
                    "usage: cargo xtask bench [--compare-python] [--n N] [--repeats R] \
                     [--no-large] [--only PREFIX] [--json FILE] [--scan-items N] \
                     (not understood: `{other}`)"
                ));
            }
        }
    }
    step("building the workload (release)");
    run(
        cargo().args([
            "bench",
            "--package",
            "awsimple",
            "--bench",
            "workload",
            "--features",
            "full",
            "--no-run",
        ]),
        "cargo bench --no-run",
    )?;

    step("emulator (a fresh one for the benchmark)");
    let mut process = emulator::start_new(&root(), &StartOptions::default(), &|line| {
        println!("    {line}");
    })?;
    let run_id = new_run_id();
    let folder = target_dir().join("bench").join("data");
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let configure = |command: &mut Command| {
        emulator_env(command, process.endpoint(), &run_id);
        // Python awsimple 8.0.0 cannot create buckets in us-east-1 (it sends that region as a
        // LocationConstraint): both sides use us-west-2.
        command
            .env("AWS_REGION", "us-west-2")
            .env("AWS_DEFAULT_REGION", "us-west-2")
            .env("AWSIMPLE_BENCH_DIR", &folder)
            .env("AWSIMPLE_BENCH_RUN", run_id.replace('-', ""));
        for (key, value) in &settings {
            command.env(key, value);
        }
    };

    step("Rust workload");
    let mut command = cargo();
    command.args([
        "bench",
        "--quiet",
        "--package",
        "awsimple",
        "--bench",
        "workload",
        "--features",
        "full",
    ]);
    configure(&mut command);
    let rust = run_capturing(&mut command, "Rust workload")?;

    let mut python_lines = BTreeMap::new();
    if compare_python {
        step("Python awsimple workload (same emulator)");
        let venv = emulator::venv_dir(&root());
        let venv_python = if venv.join("bin").join("python").is_file() {
            venv.join("bin").join("python")
        } else {
            emulator::install_moto(&root(), &|line| println!("    {line}"))?.python
        };
        ensure_python_awsimple(&venv_python)?;
        let mut command = Command::new(&venv_python);
        command
            .arg(
                root()
                    .join("xtask")
                    .join("bench")
                    .join("python_workload.py"),
            )
            .current_dir(root());
        configure(&mut command);
        for line in run_capturing(&mut command, "Python workload")? {
            python_lines.insert(line.name.clone(), line);
        }
    }
    process.stop();

    // The workload times `sha512sum` in turns with its own hashing.
    let sha512sum = rust
        .iter()
        .find(|l| l.name.starts_with("sha512sum"))
        .map(|l| l.median_s);
    let table = table(&rust, &python_lines, sha512sum);
    println!("\n{table}");
    let out = target_dir().join("bench").join("latest.md");
    std::fs::write(&out, &table).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("(written to {})", out.display());
    if let Some(path) = json {
        let text = to_json(&rust, &python_lines, sha512sum);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("(lines written to {})", path.display());
    }
    Ok(())
}

/// Rust's time over what it is compared with: Python's same line (for a `.sdk_floor` line,
/// Python's line of the operation), or `sha512sum` for the hashing line.
fn ratio(line: &Line, python: &BTreeMap<String, Line>, sha512sum: Option<f64>) -> Option<f64> {
    let base = line.name.strip_suffix(".sdk_floor").unwrap_or(&line.name);
    match python.get(base) {
        Some(py) => Some(line.median_s / py.median_s),
        None if line.name.starts_with("sha512.") => sha512sum.map(|t| line.median_s / t),
        None => None,
    }
}

fn json_line(line: &Line) -> String {
    format!(
        "{{\"median_s\": {}, \"requests\": {}, \"peak_rss\": {}, \"note\": {}}}",
        line.median_s,
        line.requests,
        line.peak_rss,
        json_string(&line.note)
    )
}

/// Every line as JSON: `[{"name", "rust": {...}, "python": {...} | null, "ratio": x | null}]`
/// (for the hashing line, `python` is null and `ratio` is against `sha512sum`).
pub(crate) fn to_json(
    rust: &[Line],
    python: &BTreeMap<String, Line>,
    sha512sum: Option<f64>,
) -> String {
    let lines: Vec<String> = rust
        .iter()
        .map(|line| {
            let py = python.get(&line.name);
            let ratio = ratio(line, python, sha512sum);
            format!(
                "  {{\"name\": {}, \"rust\": {}, \"python\": {}, \"ratio\": {}}}",
                json_string(&line.name),
                json_line(line),
                py.map_or_else(|| "null".to_owned(), json_line),
                ratio.map_or_else(|| "null".to_owned(), |r| format!("{r}"))
            )
        })
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

/// Seconds as text: milliseconds below a tenth of a second, so short lines keep their digits.
fn seconds(s: f64) -> String {
    if s < 0.1 {
        format!("{:.2} ms", s * 1000.0)
    } else {
        format!("{s:.3} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_puts_ratios_side_by_side() {
        let rust = vec![Line {
            name: "s3.dir".into(),
            median_s: 0.1,
            requests: 3,
            peak_rss: 0,
            note: String::new(),
        }];
        let mut python = BTreeMap::new();
        python.insert(
            "s3.dir".to_owned(),
            Line {
                name: "s3.dir".into(),
                median_s: 0.4,
                requests: 203,
                peak_rss: 0,
                note: String::new(),
            },
        );
        let table = table(&rust, &python, None);
        assert!(table.contains("| s3.dir | 0.100 s | 3 |"), "{table}");
        assert!(table.contains("0.25x"), "{table}");
    }

    #[test]
    fn floors_compare_with_the_operation_and_json_has_every_line() {
        let line = |name: &str, median_s: f64, note: &str| Line {
            name: name.into(),
            median_s,
            requests: 1,
            peak_rss: 0,
            note: note.into(),
        };
        let rust = vec![
            line("s3.dir", 0.25, ""),
            line("s3.dir.sdk_floor", 0.125, "bare \"SDK\""),
            line("sqs.send", 0.004, ""),
        ];
        let mut python = BTreeMap::new();
        python.insert("s3.dir".to_owned(), line("s3.dir", 0.5, ""));
        let table = table(&rust, &python, None);
        assert!(table.contains("| 0.25x (floor) |"), "{table}");
        assert!(table.contains("| sqs.send | 4.00 ms |"), "{table}");
        let json = to_json(&rust, &python, None);
        assert!(json.contains(r#""name": "s3.dir.sdk_floor""#), "{json}");
        assert!(json.contains(r#""note": "bare \"SDK\"""#), "{json}");
        assert!(json.contains(r#""ratio": 0.5}"#), "{json}");
        assert!(json.contains(r#""python": null, "ratio": null}"#), "{json}");
        assert_eq!(json.matches("\"name\"").count(), 3);
    }
}
