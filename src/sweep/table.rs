//! Reading a finished sweep back: its summary, chosen columns of `sweep.csv`, and the counts that go
//! into `summary.json` (computed from the file, so a merge gets them exactly as a single run does).

use crate::error::Result;
use crate::files::{input_error, read_limited, MAX_SAVED_BYTES};
use crate::formats::sweep::for_each_row;
use serde_json::json;
use std::path::Path;

/// Reads `dir/summary.json` of a sweep (it must have the sweep's `axes`). A missing, unreadable or
/// foreign summary is bad input (exit 2) naming the file.
pub fn read_summary(dir: &Path) -> Result<serde_json::Value> {
    let path = dir.join(crate::formats::SUMMARY);
    if std::fs::metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Err(input_error(
            &path,
            "is missing; this is not a flowgap sweep's folder",
        ));
    }
    let bytes = read_limited(&path, MAX_SAVED_BYTES)?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| input_error(&path, format!("is not a flowgap sweep summary ({e})")))?;
    if v["axes"].is_array() && v["scenario"].is_string() {
        Ok(v)
    } else {
        Err(input_error(
            &path,
            "is not a flowgap sweep summary (it has no `axes`)",
        ))
    }
}

/// Counts for `summary.json`: rows; per method its terminations and, with known minima, how many runs
/// end at each minimum; per comparison of two methods with minima, how many runs end in different ones.
pub fn counts(path: &Path, plan: &serde_json::Value) -> Result<serde_json::Value> {
    let ids: Vec<String> = plan["methods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect();
    let n_minima = plan["minima"].as_array().map_or(0, Vec::len);
    let comparisons: Vec<String> = plan["comparisons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    let mut rows = 0u64;
    let mut terminations = vec![[0u64; 3]; ids.len()];
    let mut reached = vec![vec![0u64; n_minima + 1]; ids.len()];
    let mut disagree = vec![0u64; comparisons.len()];
    let col = |header: &[String], name: &str| header.iter().position(|h| h == name);
    for_each_row(path, |header, cells| {
        rows += 1;
        for (k, id) in ids.iter().enumerate() {
            if let Some(i) = col(header, &format!("{id}.termination")) {
                let slot = match cells[i] {
                    "completed" => 0,
                    "diverged" => 1,
                    _ => 2,
                };
                terminations[k][slot] += 1;
            }
            if let Some(i) = col(header, &format!("{id}.minimum")) {
                let m = cells[i]
                    .parse::<usize>()
                    .ok()
                    .filter(|&m| m < n_minima)
                    .unwrap_or(n_minima);
                reached[k][m] += 1;
            }
        }
        for (k, c) in comparisons.iter().enumerate() {
            let (a, b) = c.split_once("_vs_").unwrap_or((c, c));
            if let (Some(i), Some(j)) = (
                col(header, &format!("{a}.minimum")),
                col(header, &format!("{b}.minimum")),
            ) {
                if cells[i] != cells[j] {
                    disagree[k] += 1;
                }
            }
        }
    })?;
    let methods: serde_json::Map<String, serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let [c, d, s] = terminations[k];
            let mut v = json!({"completed": c, "diverged": d, "solver_failed": s});
            if n_minima > 0 {
                v["reached_minimum"] = json!(reached[k][..n_minima]);
                v["reached_none"] = json!(reached[k][n_minima]);
            }
            (id.clone(), v)
        })
        .collect();
    let mut out = json!({"rows": rows, "methods": methods});
    if n_minima > 0 && !comparisons.is_empty() {
        let d: serde_json::Map<String, serde_json::Value> = comparisons
            .iter()
            .zip(&disagree)
            .map(|(c, &n)| {
                let frac = if rows > 0 {
                    n as f64 / rows as f64
                } else {
                    f64::NAN
                };
                (c.clone(), json!({"different_minimum": n, "fraction": frac}))
            })
            .collect();
        out["disagreement"] = serde_json::Value::Object(d);
    }
    Ok(out)
}
