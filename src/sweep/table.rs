//! Reading a finished sweep back: its summary, chosen columns of `sweep.csv`, and the counts that go
//! into `summary.json` (computed from the file, so a merge gets them exactly as a single run does).

use crate::error::Result;
use crate::formats::sweep::for_each_row;
use crate::formats::sweep_summary::{Counts, Disagreement, MethodCounts, SweepPlan, SweepSummary};
use std::path::Path;

/// Reads `dir/summary.json` of a sweep. A missing, unreadable or foreign summary is bad input (exit 2)
/// naming the file.
pub fn read_summary(dir: &Path) -> Result<SweepSummary> {
    SweepSummary::read(&dir.join(crate::formats::SUMMARY))
}

/// Counts for `summary.json`: rows; per method its terminations and, with known minima, how many runs
/// end at each minimum; per comparison of two methods with minima, how many runs end in different ones.
pub fn counts(path: &Path, plan: &SweepPlan) -> Result<Counts> {
    let ids: Vec<String> = plan.methods.iter().map(|m| m.id.clone()).collect();
    let n_minima = plan.minima.len();
    let comparisons = &plan.comparisons;
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
    let methods = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let [completed, diverged, solver_failed] = terminations[k];
            let with_minima = n_minima > 0;
            let counts = MethodCounts {
                completed,
                diverged,
                solver_failed,
                reached_minimum: with_minima.then(|| reached[k][..n_minima].to_vec()),
                reached_none: with_minima.then_some(reached[k][n_minima]),
            };
            (id.clone(), counts)
        })
        .collect();
    let disagreement = (n_minima > 0 && !comparisons.is_empty()).then(|| {
        comparisons
            .iter()
            .zip(&disagree)
            .map(|(c, &n)| {
                let fraction = (rows > 0).then(|| n as f64 / rows as f64);
                let d = Disagreement {
                    different_minimum: n,
                    fraction,
                };
                (c.clone(), d)
            })
            .collect()
    });
    Ok(Counts {
        rows,
        methods,
        disagreement,
    })
}
