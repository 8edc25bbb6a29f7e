//! `cargo xtask bench [--compare-python] [--n N] [--repeats R] [--no-large] [--no-fast]
//! [--only PREFIX] [--json FILE] [--scan-items N]`
//!
//! Starts a fresh emulator, runs the workload of `crates/awsimple/benches/workload.rs` in release
//! mode, optionally the same workload through the Python `awsimple` package (installed into the
//! project's venv), and prints both side by side: median wall time and median client CPU time
//! (user + system of the client process), their ratios, requests, peak memory. Then the
//! fast-server lane (`fast.*` lines; not with `--no-fast`): `dir` and the large transfers against
//! s3s-fs on loopback (installed under `.tools/s3s-fs` when missing), a server that is not the
//! bottleneck, both sides on the same server process; it also times our SHA-512 against
//! `sha512sum`. The table, headed by the commit, the machine and its load, is also written to
//! `target/bench/latest.md`, and with `--json FILE` every line (both sides, ratios) to FILE. A
//! line named `<operation>.sdk_floor` is the bare SDK sending the same requests as
//! `<operation>`: its ratios are against Python's `<operation>`, and `<operation>`'s "vs floor"
//! columns are against it. `--scan-items N` adds a cached scan of an N-item table
//! (Rust only): the first scan, then cache hits. `s3.sync_up_1000` (1000 small files to a new
//! prefix) and `s3.sync_up_unchanged_1000` (the same tree again: one listing page) are Rust
//! only too (Python `awsimple` 8 has no folder sync); `--only s3.sync_up` runs just them.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Instant;

// One `BENCH {json}` line, in the format both workloads print (the format lives in the test kit,
// beside the code the Rust workload prints it with).
use awsimple_testkit::bench::{BenchLine as Line, json_number, json_string};
use awsimple_testkit::emulator::{self, StartOptions};

use crate::fast_server::{FastServer, ensure_s3s_fs};
use crate::{Result, cargo, emulator_env, new_run_id, root, run, step, target_dir};

/// The credentials `emulator_env` gives the workloads: the fast server accepts these.
const ACCESS_KEY: &str = "AKIDAWSIMPLEDEMO";
const SECRET_KEY: &str = "awsimple-demo-secret";

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

/// `a / b` as a ratio cell, `-` when either is unknown.
fn ratio_cell(a: f64, b: f64) -> String {
    let r = a / b;
    if r.is_finite() {
        format!("{r:.2}x")
    } else {
        "-".to_owned()
    }
}

/// The side-by-side table, in Markdown: per line, Rust's and Python's wall time and client CPU,
/// their ratios, and for an operation with a `.sdk_floor` line its wall time and CPU against the
/// floor's.
pub(crate) fn table(
    rust: &[Line],
    python: &BTreeMap<String, Line>,
    sha512sum: Option<f64>,
) -> String {
    let mut out = String::from(
        "| operation | requests Rust / Python | Rust time | Python time | time Rust/Python | \
         time Rust/floor | Rust CPU | Python CPU | CPU Rust/Python | CPU Rust/floor | \
         Rust peak RSS | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let floors: BTreeMap<&str, &Line> = rust
        .iter()
        .filter_map(|l| Some((l.name.strip_suffix(".sdk_floor")?, l)))
        .collect();
    for line in rust {
        let is_floor = line.name.ends_with(".sdk_floor");
        let base = line.name.strip_suffix(".sdk_floor").unwrap_or(&line.name);
        let py = python.get(base);
        let time_ratio = match (py, ratio(line, python, sha512sum)) {
            (_, None) => "-".to_owned(),
            (Some(_), Some(r)) if is_floor => format!("{r:.2}x (floor)"),
            (Some(_), Some(r)) => format!("{r:.2}x"),
            (None, Some(r)) => format!("{r:.2}x of sha512sum"),
        };
        let py_time = match py {
            Some(py) => seconds(py.median_s),
            None if line.name.starts_with("sha512.") => {
                sha512sum.map_or_else(|| "-".into(), |t| format!("sha512sum {}", seconds(t)))
            }
            None => "-".into(),
        };
        let floor = floors.get(line.name.as_str()).filter(|_| !is_floor);
        let (vs_floor_time, vs_floor_cpu) = floor.map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |f| {
                (
                    ratio_cell(line.median_s, f.median_s),
                    ratio_cell(line.cpu_s, f.cpu_s),
                )
            },
        );
        let requests = match py {
            Some(py) if !is_floor => format!("{} / {}", line.requests, py.requests),
            _ => format!("{} / -", line.requests),
        };
        let (py_cpu, cpu_ratio) = py.map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |py| (cpu(py.cpu_s), ratio_cell(line.cpu_s, py.cpu_s)),
        );
        let note = py
            .filter(|_| !is_floor)
            .map(|p| p.note.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| line.note.clone());
        out.push_str(&format!(
            "| {} | {requests} | {} | {py_time} | {time_ratio} | {vs_floor_time} | {} | {py_cpu} \
             | {cpu_ratio} | {vs_floor_cpu} | {} | {note} |\n",
            line.name,
            seconds(line.median_s),
            cpu(line.cpu_s),
            mib(line.peak_rss)
        ));
    }
    out
}

/// CPU seconds as text, `-` when unknown.
fn cpu(s: f64) -> String {
    if s.is_finite() {
        seconds(s)
    } else {
        "-".to_owned()
    }
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
    let mut fast = true;
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
            "--no-fast" => fast = false,
            "--n" => settings.push(("AWSIMPLE_BENCH_N", value("--n")?)),
            "--repeats" => settings.push(("AWSIMPLE_BENCH_REPEATS", value("--repeats")?)),
            "--only" => settings.push(("AWSIMPLE_BENCH_ONLY", value("--only")?)),
            "--no-large" => settings.push(("AWSIMPLE_BENCH_LARGE", "0".to_owned())),
            "--json" => json = Some(value("--json")?.into()),
            "--scan-items" => settings.push(("AWSIMPLE_BENCH_SCAN_ITEMS", value("--scan-items")?)),
            other => {
                return Err(format!(
                    "usage: cargo xtask bench [--compare-python] [--n N] [--repeats R] \
                     [--no-large] [--no-fast] [--only PREFIX] [--json FILE] [--scan-items N] \
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
    // What the workload was built from (the tree may change while it runs).
    let (commit, load_before) = (commit(), load_average());

    step("emulator (a fresh one for the benchmark)");
    let mut process = emulator::start_new(&root(), &StartOptions::default(), &|line| {
        println!("    {line}");
    })?;
    let lanes = Lanes {
        compare_python,
        settings,
        run_id: new_run_id(),
    };
    let (mut rust, mut python_lines) = lanes.run(process.endpoint(), "")?;
    process.stop();

    if fast {
        step("fast-server lane: s3s-fs on loopback (a fresh one)");
        let binary = ensure_s3s_fs(&root())?;
        let data = target_dir().join("bench").join("s3s-fs-data");
        let server = FastServer::start(&binary, &data, ACCESS_KEY, SECRET_KEY)?;
        println!("    s3s-fs at {}", server.endpoint());
        let (fast_rust, fast_python) = lanes.run(server.endpoint(), "fast")?;
        rust.extend(fast_rust);
        python_lines.extend(fast_python);
    }

    // The workload times `sha512sum` in turns with its own hashing.
    let sha512sum = rust
        .iter()
        .find(|l| l.name.starts_with("sha512sum"))
        .map(|l| l.median_s);
    let table = format!(
        "{}\n{}",
        heading(&commit, &load_before, &load_average()),
        table(&rust, &python_lines, sha512sum)
    );
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

/// What every lane runs with: the sides, the workload settings, the run id.
struct Lanes {
    compare_python: bool,
    settings: Vec<(&'static str, String)>,
    run_id: String,
}

impl Lanes {
    /// The Rust workload, then (with `--compare-python`) the Python one, against `endpoint`:
    /// lane `""` is the emulator's, `"fast"` the fast server's.
    fn run(&self, endpoint: &str, lane: &str) -> Result<(Vec<Line>, BTreeMap<String, Line>)> {
        let folder = target_dir().join("bench").join("data");
        std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        let configure = |command: &mut Command| {
            emulator_env(command, endpoint, &self.run_id);
            // Python awsimple 8.0.0 cannot create buckets in us-east-1 (it sends that region as
            // a LocationConstraint): both sides use us-west-2.
            command
                .env("AWS_REGION", "us-west-2")
                .env("AWS_DEFAULT_REGION", "us-west-2")
                .env("AWSIMPLE_BENCH_DIR", &folder)
                .env("AWSIMPLE_BENCH_RUN", self.run_id.replace('-', ""))
                .env("AWSIMPLE_BENCH_LANE", lane);
            for (key, value) in &self.settings {
                command.env(key, value);
            }
        };
        let which = if lane.is_empty() { "" } else { ", fast lane" };
        step(&format!("Rust workload{which}"));
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
        if self.compare_python {
            step(&format!("Python awsimple workload{which} (same server)"));
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
        Ok((rust, python_lines))
    }
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), or `?`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
}

/// The commit checked out, and whether tracked files differ from it.
fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "?".to_owned());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    format!(
        "{commit}{}",
        if dirty { " (uncommitted changes)" } else { "" }
    )
}

/// What the table was measured on: the commit, the machine, the load before and after.
fn heading(commit: &str, load_before: &str, load_after: &str) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("?", str::trim);
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!(
        "commit {commit}; {cores} cores, {model}; load average (1, 5, 15 min) {load_before} \
         before, {load_after} after\n"
    )
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
        "{{\"median_s\": {}, \"cpu_s\": {}, \"requests\": {}, \"peak_rss\": {}, \"note\": {}}}",
        json_number(line.median_s),
        json_number(line.cpu_s),
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

    fn line(name: &str, median_s: f64, cpu_s: f64, note: &str) -> Line {
        Line {
            name: name.into(),
            median_s,
            cpu_s,
            requests: 1,
            peak_rss: 0,
            note: note.into(),
        }
    }

    #[test]
    fn the_table_puts_ratios_side_by_side() {
        let rust = vec![Line {
            requests: 3,
            ..line("s3.dir", 0.1, 0.02, "")
        }];
        let mut python = BTreeMap::new();
        python.insert(
            "s3.dir".to_owned(),
            Line {
                requests: 203,
                ..line("s3.dir", 0.4, 0.16, "")
            },
        );
        let table = table(&rust, &python, None);
        assert!(
            table.contains("| s3.dir | 3 / 203 | 0.100 s | 0.400 s | 0.25x | - |"),
            "{table}"
        );
        // CPU: 20 ms against 160 ms.
        assert!(
            table.contains("| 20.00 ms | 0.160 s | 0.12x | - |"),
            "{table}"
        );
    }

    #[test]
    fn operations_compare_with_their_floor_and_floors_with_python() {
        let rust = vec![
            line("s3.dir", 0.25, 0.030, ""),
            line("s3.dir.sdk_floor", 0.125, 0.024, "bare \"SDK\""),
            line("sqs.send", 0.004, f64::NAN, ""),
        ];
        let mut python = BTreeMap::new();
        python.insert("s3.dir".to_owned(), line("s3.dir", 0.5, 0.3, ""));
        let table = table(&rust, &python, None);
        // The operation: time and CPU against Python's and against the floor's.
        assert!(
            table.contains("| s3.dir | 1 / 1 | 0.250 s | 0.500 s | 0.50x | 2.00x | 30.00 ms | 0.300 s | 0.10x | 1.25x |"),
            "{table}"
        );
        // The floor: against Python's operation, with no floor of its own.
        assert!(
            table.contains("| s3.dir.sdk_floor | 1 / - | 0.125 s | 0.500 s | 0.25x (floor) | - | 24.00 ms | 0.300 s | 0.08x | - |"),
            "{table}"
        );
        // No Python line and no CPU figure: dashes, not NaN.
        assert!(
            table.contains("| sqs.send | 1 / - | 4.00 ms | - | - | - | - | - | - | - |"),
            "{table}"
        );
        assert!(!table.contains("NaN"), "{table}");
    }

    #[test]
    fn json_has_every_line_with_its_cpu() {
        let rust = vec![
            line("s3.dir", 0.25, 0.5, ""),
            line("s3.dir.sdk_floor", 0.125, 0.25, "bare \"SDK\""),
            line("sqs.send", 0.004, f64::NAN, ""),
        ];
        let mut python = BTreeMap::new();
        python.insert("s3.dir".to_owned(), line("s3.dir", 0.5, 2.0, ""));
        let json = to_json(&rust, &python, None);
        assert!(json.contains(r#""name": "s3.dir.sdk_floor""#), "{json}");
        assert!(json.contains(r#""note": "bare \"SDK\"""#), "{json}");
        assert!(json.contains(r#""ratio": 0.5}"#), "{json}");
        assert!(json.contains(r#""cpu_s": 0.25,"#), "{json}");
        assert!(json.contains(r#""cpu_s": null,"#), "{json}");
        assert!(json.contains(r#""python": null, "ratio": null}"#), "{json}");
        assert_eq!(json.matches("\"name\"").count(), 3);
    }

    #[test]
    fn the_heading_names_the_commit_the_machine_and_the_load() {
        let heading = heading(&commit(), "0.50 0.40 0.30", "1.00 0.90 0.80");
        assert!(heading.starts_with("commit "), "{heading}");
        assert!(!heading.starts_with("commit ?"), "{heading}");
        assert!(heading.contains(" cores, "), "{heading}");
        assert!(
            heading.contains("0.50 0.40 0.30 before, 1.00 0.90 0.80 after"),
            "{heading}"
        );
    }
}
