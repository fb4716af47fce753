//! The Criterion micro-benchmarks' results (`cargo bench -p caseflow-bench --bench hot_paths`, see
//! `crates/caseflow-bench/benches/hot_paths.rs`) as a markdown section.
//!
//! Criterion writes each benchmark's latest run to
//! `<target dir>/criterion/<group>/<bench>/new/`: `estimates.json` (point estimates and
//! confidence intervals, in nanoseconds) and `benchmark.json` (its id and throughput). This
//! module reads those back; it never fails: missing or malformed files are skipped.

use std::path::Path;

use serde_json::Value;

/// One benchmark's latest result.
#[derive(Clone, Debug, PartialEq)]
pub struct MicroResult {
    /// The benchmark id, e.g. `fold/child_412_events`.
    pub id: String,
    /// The median time of one iteration, in nanoseconds.
    pub median_ns: f64,
    /// The bounds of the median's confidence interval, in nanoseconds.
    pub median_lower_ns: f64,
    pub median_upper_ns: f64,
    /// The confidence level of that interval, e.g. 0.95.
    pub confidence_level: f64,
    /// Elements processed per iteration (Criterion's `Throughput::Elements`), if declared.
    pub elements: Option<u64>,
    /// What one element is: `event`, `child-month` or `element` (from the id's ending).
    pub element: String,
}

impl MicroResult {
    /// The median time per element, in nanoseconds.
    pub fn per_element_ns(&self) -> Option<f64> {
        self.elements
            .filter(|&n| n > 0)
            .map(|n| self.median_ns / n as f64)
    }
}

/// Every benchmark result under `criterion_dir` (normally `<target dir>/criterion`), in
/// pipeline order (`decode/`, `fold/`, `derive/`, then any other group), smallest input first
/// within a group. Empty if the directory is absent.
pub fn read_results(criterion_dir: &Path) -> Vec<MicroResult> {
    let mut found = Vec::new();
    collect(criterion_dir, criterion_dir, 0, &mut found);
    found.sort_by(|a, b| {
        let key = |r: &MicroResult| {
            let group = r.id.split('/').next().unwrap_or_default();
            let rank = ["decode", "fold", "derive"]
                .iter()
                .position(|g| *g == group)
                .unwrap_or(3);
            (rank, group.to_owned(), r.elements, r.id.clone())
        };
        key(a).cmp(&key(b))
    });
    found
}

/// Looks for `new/estimates.json` below `dir`, at most a few levels deep (Criterion nests
/// `<group>/<function>[/<parameter>]/new`).
fn collect(root: &Path, dir: &Path, depth: usize, found: &mut Vec<MicroResult>) {
    if depth > 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        if sub.file_name().is_some_and(|n| n == "new") {
            if let Some(r) = read_one(root, &sub) {
                found.push(r);
            }
        } else if sub
            .file_name()
            .is_none_or(|n| !matches!(n.to_str(), Some("base" | "change" | "report")))
        {
            collect(root, &sub, depth + 1, found);
        }
    }
}

/// One benchmark from its `new` directory; `None` if its estimates are missing or malformed.
fn read_one(root: &Path, new_dir: &Path) -> Option<MicroResult> {
    let estimates = read_json(&new_dir.join("estimates.json"))?;
    let median = estimates.get("median")?;
    let interval = median.get("confidence_interval")?;
    let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_f64);
    let median_ns = number(median, "point_estimate")?;
    let median_lower_ns = number(interval, "lower_bound")?;
    let median_upper_ns = number(interval, "upper_bound")?;
    let confidence_level = number(interval, "confidence_level").unwrap_or(0.95);

    // The id and throughput; without benchmark.json, the directory path stands for the id.
    let benchmark = read_json(&new_dir.join("benchmark.json"));
    let id = benchmark
        .as_ref()
        .and_then(|b| b.get("full_id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            let dir = new_dir.parent()?.strip_prefix(root).ok()?;
            Some(dir.to_string_lossy().replace('\\', "/"))
        })?;
    let elements = benchmark
        .as_ref()
        .and_then(|b| b.get("throughput"))
        .and_then(|t| t.get("Elements"))
        .and_then(Value::as_u64);
    Some(MicroResult {
        element: element_of(&id).to_owned(),
        id,
        median_ns,
        median_lower_ns,
        median_upper_ns,
        confidence_level,
        elements,
    })
}

fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// What one element of a benchmark is, by the hot_paths naming: `…_months` counts
/// child-months, `…_events` and the `decode/` group count events.
fn element_of(id: &str) -> &'static str {
    if id.ends_with("_months") {
        "child-month"
    } else if id.ends_with("_events") || id.starts_with("decode/") {
        "event"
    } else {
        "element"
    }
}

/// A duration in nanoseconds, with a readable unit.
fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// The results as a markdown section: one table row per benchmark.
pub fn markdown(results: &[MicroResult]) -> String {
    let mut out = String::from("## Micro-benchmarks\n\n");
    if results.is_empty() {
        out.push_str(
            "No Criterion results found: run `cargo bench -p caseflow-bench --bench hot_paths`.\n",
        );
        return out;
    }
    out.push_str(
        "Criterion (`cargo bench -p caseflow-bench --bench hot_paths`): the median time of one \
         iteration, the bounds of the median's confidence interval, and the median divided by \
         the elements one iteration processes.\n\n",
    );
    out.push_str("| benchmark | median | confidence interval | elements | per element |\n");
    out.push_str("|---|---:|---:|---:|---:|\n");
    for r in results {
        let elements = r
            .elements
            .map_or_else(|| "-".to_owned(), |n| format!("{n} {}s", r.element));
        let per = r.per_element_ns().map_or_else(
            || "-".to_owned(),
            |ns| format!("{} / {}", format_ns(ns), r.element),
        );
        out.push_str(&format!(
            "| `{}` | {} | {} – {} ({:.0}%) | {} | {} |\n",
            r.id,
            format_ns(r.median_ns),
            format_ns(r.median_lower_ns),
            format_ns(r.median_upper_ns),
            r.confidence_level * 100.0,
            elements,
            per,
        ));
    }
    out
}
