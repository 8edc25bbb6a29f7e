//! What awsimple's benchmarks share: the median of repeated timings, the CPU time and peak memory
//! of the process, a pseudo-random test file, the `BENCH {json}` line the workloads print and
//! `cargo xtask bench` reads back, and (feature `aws`) [`measure`], which times one step and
//! prints the requests it sent.
//!
//! Figures are for comparing on one machine in one run, never absolute.

use std::fmt;
use std::path::Path;

/// The median of `times` (the mean of the middle two for an even count); NaN when empty.
pub fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 0 => (sorted[mid - 1] + sorted[mid]) / 2.0,
        _ => sorted[mid],
    }
}

/// Peak resident memory of this process since it started or since [`reset_peak_rss`], in
/// bytes (`VmHWM`; Linux only, 0 elsewhere).
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU time (user + system, every thread, those that ended included) this process has used
/// since it started, in seconds (`CLOCK_PROCESS_CPUTIME_ID`, nanosecond resolution; the clock
/// Python's `time.process_time()` reads). NaN where there is no such clock.
pub fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    }
    #[cfg(not(unix))]
    {
        f64::NAN
    }
}

/// Resets the peak that [`peak_rss`] reports to the current resident memory (writes 5 to
/// `/proc/self/clear_refs`, Linux 4.0+; does nothing elsewhere).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Writes `mib` MiB of incompressible bytes to `path`: one pseudo-random 1 MiB block, each copy
/// stamped with its index in its first 8 bytes, so no two blocks are alike.
pub fn write_pseudo_random_file(path: &Path, mib: usize) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut block = vec![0u8; 1 << 20];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for chunk in block.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    for i in 0..mib {
        block[..8].copy_from_slice(&(i as u64).to_le_bytes());
        file.write_all(&block)?;
    }
    file.flush()
}

/// One `BENCH {json}` line: what the benchmark workloads (Rust and Python) print per operation
/// and `cargo xtask bench` reads back.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchLine {
    /// The operation, e.g. `s3.dir` (`<operation>.sdk_floor` for the bare SDK doing the same).
    pub name: String,
    /// Median wall time over the repeats, in seconds.
    pub median_s: f64,
    /// Median CPU time (user + system) of the client process over the repeats, in seconds (NaN
    /// when unknown).
    pub cpu_s: f64,
    /// HTTP requests one repeat sent.
    pub requests: u64,
    /// Peak resident memory during the operation, in bytes (0 when unknown).
    pub peak_rss: u64,
    /// A remark for the table.
    pub note: String,
}

impl Default for BenchLine {
    fn default() -> Self {
        Self {
            name: String::new(),
            median_s: f64::NAN,
            cpu_s: f64::NAN,
            requests: 0,
            peak_rss: 0,
            note: String::new(),
        }
    }
}

impl BenchLine {
    /// A line for `name` from the wall times of its repeats (CPU unknown: see [`Self::cpu`]).
    pub fn new(name: &str, times: &[f64], requests: u64, peak_rss: u64, note: &str) -> Self {
        Self {
            name: name.to_owned(),
            median_s: median(times),
            cpu_s: f64::NAN,
            requests,
            peak_rss,
            note: note.to_owned(),
        }
    }

    /// The line with the median of the CPU seconds its repeats used.
    #[must_use]
    pub fn cpu(mut self, cpu_times: &[f64]) -> Self {
        self.cpu_s = median(cpu_times);
        self
    }

    /// Reads a `BENCH {json}` line (a flat JSON object, as `Display` and Python's `json.dumps`
    /// write it; unknown keys are skipped). `None` for any other line.
    pub fn parse(line: &str) -> Option<Self> {
        let json = line.strip_prefix("BENCH ")?.trim();
        let mut out = Self::default();
        for (key, value) in parse_flat_object(json)? {
            match (key.as_str(), value) {
                ("name", Value::Text(t)) => out.name = t,
                ("note", Value::Text(t)) => out.note = t,
                ("median_s", Value::Number(n)) => out.median_s = n.parse().ok()?,
                ("median_s", Value::Null) => out.median_s = f64::NAN,
                ("cpu_s", Value::Number(n)) => out.cpu_s = n.parse().ok()?,
                ("cpu_s", Value::Null) => out.cpu_s = f64::NAN,
                ("requests", Value::Number(n)) => out.requests = n.parse().ok()?,
                ("peak_rss", Value::Number(n)) => out.peak_rss = n.parse().ok()?,
                ("name" | "note" | "median_s" | "cpu_s" | "requests" | "peak_rss", _) => {
                    return None;
                }
                _ => {}
            }
        }
        (!out.name.is_empty()).then_some(out)
    }
}

/// `BENCH {"name": ..., "median_s": ..., "cpu_s": ..., "requests": ..., "peak_rss": ...,
/// "note": ...}`.
impl fmt::Display for BenchLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BENCH {{\"name\": {}, \"median_s\": {}, \"cpu_s\": {}, \"requests\": {}, \
             \"peak_rss\": {}, \"note\": {}}}",
            json_string(&self.name),
            json_number(self.median_s),
            json_number(self.cpu_s),
            self.requests,
            self.peak_rss,
            json_string(&self.note)
        )
    }
}

/// `x` as a JSON number, `null` when it is not finite.
pub fn json_number(x: f64) -> String {
    if x.is_finite() {
        x.to_string()
    } else {
        "null".to_owned()
    }
}

/// `text` as a JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

enum Value {
    Text(String),
    Number(String),
    Null,
    Other,
}

/// The keys and scalar values of a flat JSON object; `None` when it is not one.
fn parse_flat_object(json: &str) -> Option<Vec<(String, Value)>> {
    let mut chars = json.chars().peekable();
    let mut out = Vec::new();
    skip_space(&mut chars);
    if chars.next()? != '{' {
        return None;
    }
    skip_space(&mut chars);
    if chars.peek() == Some(&'}') {
        chars.next();
        return chars.all(char::is_whitespace).then_some(out);
    }
    loop {
        skip_space(&mut chars);
        if chars.next()? != '"' {
            return None;
        }
        let key = parse_string(&mut chars)?;
        skip_space(&mut chars);
        if chars.next()? != ':' {
            return None;
        }
        skip_space(&mut chars);
        let value = match chars.peek()? {
            '"' => {
                chars.next();
                Value::Text(parse_string(&mut chars)?)
            }
            c if *c == '-' || c.is_ascii_digit() => {
                let mut number = String::new();
                while let Some(c) = chars
                    .next_if(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    number.push(c);
                }
                Value::Number(number)
            }
            _ => {
                let mut word = String::new();
                while let Some(c) = chars.next_if(char::is_ascii_alphabetic) {
                    word.push(c);
                }
                match word.as_str() {
                    "null" => Value::Null,
                    "true" | "false" => Value::Other,
                    _ => return None,
                }
            }
        };
        out.push((key, value));
        skip_space(&mut chars);
        match chars.next()? {
            ',' => {}
            '}' => return chars.all(char::is_whitespace).then_some(out),
            _ => return None,
        }
    }
}

fn skip_space(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars.next_if(|c| c.is_whitespace()).is_some() {}
}

/// The rest of a string literal whose opening quote was read.
fn parse_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let high = hex4(chars)?;
                    let code = if (0xd800..0xdc00).contains(&high) {
                        // A surrogate pair: `\ud83d\ude00`.
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let low = hex4(chars)?;
                        0x10000 + ((high - 0xd800) << 10) + (low.checked_sub(0xdc00)? & 0x3ff)
                    } else {
                        high
                    };
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                other => out.push(other), // `\"`, `\\`, `\/`
            },
            c => out.push(c),
        }
    }
}

fn hex4(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<u32> {
    let mut code = 0;
    for _ in 0..4 {
        code = code * 16 + chars.next()?.to_digit(16)?;
    }
    Some(code)
}

/// Runs `step`, then prints one line: `what`, its wall time and the requests it sent through
/// `access`, by operation (the request counter is reset first).
#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub async fn measure<T>(
    access: &awsimple_core::AwsAccess,
    what: &str,
    step: impl Future<Output = T>,
) -> T {
    let counter = access.request_counter();
    counter.reset();
    let start = std::time::Instant::now();
    let out = step.await;
    let secs = start.elapsed().as_secs_f64();
    let ops: Vec<String> = counter
        .snapshot()
        .into_iter()
        .map(|((_, op), n)| format!("{op} {n}"))
        .collect();
    println!(
        "{what:<34} {secs:>8.3} s  {:>5} requests ({})",
        counter.total(),
        ops.join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn bench_lines_parse() {
        let line = BenchLine::parse(
            r#"BENCH {"name": "s3.dir", "median_s": 0.25, "requests": 201, "peak_rss": 1048576, "note": "a, b"}"#,
        )
        .unwrap();
        assert_eq!(line.name, "s3.dir");
        assert_eq!(line.requests, 201);
        assert_eq!(line.peak_rss, 1_048_576);
        assert_eq!(line.note, "a, b");
        assert!((line.median_s - 0.25).abs() < 1e-12);
        assert!(BenchLine::parse("not a bench line").is_none());
        assert!(BenchLine::parse("BENCH {\"name\": \"x\", \"requests\": \"many\"}").is_none());
        assert!(BenchLine::parse("BENCH {\"name\": \"x\"} trailing").is_none());
    }

    #[test]
    fn python_lines_parse() {
        // As `json.dumps` writes them: non-ASCII escaped, numbers in exponent form, extra keys.
        let line = BenchLine::parse(
            r#"BENCH {"name": "sqs.send", "median_s": 1.5e-05, "requests": 2, "peak_rss": 0, "note": "caf\u00e9 \ud83d\ude00 \"q\"", "extra": true}"#,
        )
        .unwrap();
        assert_eq!(line.note, "café 😀 \"q\"");
        assert!((line.median_s - 1.5e-5).abs() < 1e-15);
    }

    #[test]
    fn bench_lines_round_trip() {
        let line = BenchLine::new(
            "s3.dir.sdk_floor",
            &[0.3, 0.1, 0.2],
            3,
            42,
            "bare \"SDK\", \\ and\ttabs",
        )
        .cpu(&[0.05, 0.01, 0.02]);
        assert_eq!(line.median_s, 0.2);
        assert_eq!(line.cpu_s, 0.02);
        let text = line.to_string();
        assert!(
            text.starts_with("BENCH {\"name\": \"s3.dir.sdk_floor\""),
            "{text}"
        );
        assert_eq!(BenchLine::parse(&text), Some(line));
    }

    #[test]
    fn cpu_is_optional_in_a_line() {
        // Lines written before the CPU column (or by a side that cannot measure it) still parse.
        let old = BenchLine::parse(r#"BENCH {"name": "s3.dir", "median_s": 0.25, "requests": 1}"#)
            .unwrap();
        assert!(old.cpu_s.is_nan());
        let text = old.to_string();
        assert!(text.contains("\"cpu_s\": null"), "{text}");
        let unknown = BenchLine::parse(&text).unwrap();
        assert!(unknown.cpu_s.is_nan());
        let python =
            BenchLine::parse(r#"BENCH {"name": "x", "median_s": 1, "cpu_s": 2.5e-3}"#).unwrap();
        assert_eq!(python.cpu_s, 2.5e-3);
    }

    #[test]
    fn the_cpu_clock_of_the_process_reads() {
        let before = cpu_seconds();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let after = cpu_seconds();
        assert!(before.is_finite() && before > 0.0, "{before}");
        assert!(after >= before, "{before} then {after}");
    }

    #[test]
    fn pseudo_random_files_have_the_size_asked() {
        let dir = std::env::temp_dir().join(format!("awsimple-testkit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("two.bin");
        write_pseudo_random_file(&path, 2).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 2 << 20);
        assert_ne!(bytes[..1 << 20], bytes[1 << 20..]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
