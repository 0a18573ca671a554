//! `flowgap merge`: joins the parts of a sharded sweep into exactly the output a single run gives.
//!
//! A part is checked before anything is written: its summary must be a complete shard i/N of the same
//! sweep as the others (1 ≤ N ≤ the grid's runs, i < N, each shard once), and its rows must be exactly
//! its shard's, in index order, each as wide as the header. Any fault is bad input (exit 2) naming the
//! part's file; the output folder is then left as it was (see [`crate::outdir`]).

use super::table::read_summary;
use super::{finish, Shard};
use crate::error::{Error, Result};
use crate::files::input_error;
use crate::formats::kept::KEPT;
use crate::formats::sweep_summary::{SavedShard, SweepPlan, SweepSummary};
use crate::formats::table::{Rows, Writer};
use crate::formats::TABLE;
use crate::outdir::{self, Claim, Kind};
use std::path::{Path, PathBuf};

/// The shard a part's summary names (`null`: the whole sweep), refused unless 0 ≤ i < N ≤ `runs`.
fn shard_of(summary: &SweepSummary, runs: u64, path: &Path) -> Result<Shard> {
    match summary.shard {
        None => Ok(Shard::WHOLE),
        Some(SavedShard { index, count }) if index < count && count <= runs => Ok(Shard { index, count }),
        Some(SavedShard { index, count }) => Err(input_error(
            path,
            format!(
                "names shard {index}/{count}, which no sweep of {runs} runs writes; it is not a part flowgap wrote"
            ),
        )),
    }
}

/// The number of rows of shard `s` of a grid of `runs` runs.
fn shard_rows(s: Shard, runs: u64) -> u64 {
    (runs - s.index).div_ceil(s.count)
}

/// Merges the complete shards in `parts` (every shard i/N of one sweep, each once, in any order) into
/// `out`: rows in index order, the same summary.json and figures as an unsharded run.
pub fn merge(parts: &[PathBuf], out: &Path, force: bool) -> Result<Vec<PathBuf>> {
    let first = parts
        .first()
        .ok_or_else(|| input_error(out, "no part folders given"))?;
    let summaries = parts
        .iter()
        .map(|p| read_summary(p))
        .collect::<Result<Vec<_>>>()?;
    let summary_path = |dir: &Path| dir.join(crate::formats::SUMMARY);
    let plan = &summaries[0].plan;
    let runs = Some(plan.runs).filter(|&r| r >= 1).ok_or_else(|| {
        input_error(
            &summary_path(first),
            "has no number of runs; it is not a part flowgap wrote",
        )
    })?;
    let count = shard_of(&summaries[0], runs, &summary_path(first))?.count;
    let mut seen = vec![false; count as usize];
    let mut shards = Vec::with_capacity(parts.len());
    for (dir, s) in parts.iter().zip(&summaries) {
        let path = summary_path(dir);
        if s.plan != *plan {
            return Err(input_error(
                &path,
                format!("is a part of another sweep than {}", first.display()),
            ));
        }
        if !s.complete {
            return Err(input_error(
                &path,
                "this part is incomplete (interrupted); run its shard again",
            ));
        }
        let shard = shard_of(s, runs, &path)?;
        if shard.count != count || seen[shard.index as usize] {
            return Err(input_error(
                &path,
                format!(
                    "shard {}/{} is given twice or belongs to another split",
                    shard.index, shard.count
                ),
            ));
        }
        seen[shard.index as usize] = true;
        shards.push(shard);
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(input_error(
            first,
            format!("shard {missing}/{count} is missing; give all {count} parts"),
        ));
    }
    let target = outdir::resolve(out)?;
    for dir in parts {
        if std::fs::canonicalize(dir).is_ok_and(|d| d == target) {
            return Err(Error::OutputOccupied {
                dir: out.to_path_buf(),
                why: "it is one of the parts being merged; choose another --out".into(),
            });
        }
    }
    let mut readers = parts
        .iter()
        .zip(&shards)
        .map(|(dir, &shard)| PartRows::open(dir, shard, runs))
        .collect::<Result<Vec<_>>>()?;
    for r in &readers[1..] {
        if r.rows.header() != readers[0].rows.header() {
            return Err(input_error(
                r.rows.path(),
                "has another header than the other parts",
            ));
        }
    }
    // Every part of a sweep with `keep` holds its kept.csv, with one header.
    let mut kept = Vec::new();
    if !plan.keep.is_empty() {
        for (dir, &shard) in parts.iter().zip(&shards) {
            kept.push(PartKept::open(dir, shard, runs)?);
        }
        for k in &kept[1..] {
            if k.rows.header() != kept[0].rows.header() {
                return Err(input_error(
                    k.rows.path(),
                    "has another header than the other parts",
                ));
            }
        }
    }
    let claim = Claim::new(out, Kind::Sweep, &plan.scenario, force)?;
    let files =
        write_merged(&mut readers, &mut kept, plan, runs, claim.staging()).map_err(|e| claim.relocate(e))?;
    claim.commit(files)
}

/// Writes the parts' kept rows into `dir/kept.csv` in index order (rows of one run stay in their order).
fn write_kept(parts: &mut [PartKept], dir: &Path) -> Result<PathBuf> {
    let path = dir.join(KEPT);
    let mut w = Writer::create(&path, parts[0].rows.header())?;
    let mut heads = parts.iter_mut().map(PartKept::next).collect::<Result<Vec<_>>>()?;
    // The parts' indices are disjoint (checked: each is its shard's), so the smallest head's index
    // decides and equal indices come from one part only.
    while let Some(k) = heads
        .iter()
        .enumerate()
        .filter_map(|(k, h)| h.as_ref().map(|(i, _)| (*i, k)))
        .min()
        .map(|(_, k)| k)
    {
        let (_, record) = heads[k].take().expect("the minimum is a live head");
        w.record(&record)?;
        heads[k] = parts[k].next()?;
    }
    w.finish()
}

/// The rows of one part's `kept.csv`, checked as they are read: each starts with an index of the part's
/// shard, never smaller than the one before.
struct PartKept {
    rows: Rows,
    shard: Shard,
    runs: u64,
    last: Option<u64>,
}

impl PartKept {
    /// Opens `dir/kept.csv` and reads its header.
    fn open(dir: &Path, shard: Shard, runs: u64) -> Result<PartKept> {
        let rows = crate::formats::kept::open_rows(&dir.join(KEPT))?;
        Ok(PartKept {
            rows,
            shard,
            runs,
            last: None,
        })
    }

    /// The next row and its index; `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, csv::StringRecord)>> {
        let Some(record) = self.rows.next_row()?.cloned() else {
            return Ok(None);
        };
        let at = self.rows.row_number();
        let bad = |why: String| {
            input_error(
                self.rows.path(),
                format!("line {at}: {why}; it is not a part flowgap wrote"),
            )
        };
        let index: u64 = record
            .get(0)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| bad("the row does not start with its run's index".into()))?;
        let Shard { index: i, count } = self.shard;
        if index >= self.runs || index % count != i {
            return Err(bad(format!("run {index} is not one of shard {i}/{count}'s")));
        }
        if self.last.is_some_and(|l| index < l) {
            return Err(bad(format!("run {index} is out of order")));
        }
        self.last = Some(index);
        Ok(Some((index, record)))
    }
}

/// Writes the parts' rows in index order into `dir/sweep.csv` (and their kept rows into `dir/kept.csv`),
/// then the summary and figures.
fn write_merged(
    readers: &mut [PartRows],
    kept: &mut [PartKept],
    plan: &SweepPlan,
    runs: u64,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let table = dir.join(TABLE);
    let mut w = Writer::create(&table, readers[0].rows.header())?;
    // A k-way merge by the index column: each part is in index order (checked as it is read).
    let mut heads = readers
        .iter_mut()
        .map(PartRows::next)
        .collect::<Result<Vec<_>>>()?;
    while let Some(k) = heads
        .iter()
        .enumerate()
        .filter_map(|(k, h)| h.as_ref().map(|(i, _)| (*i, k)))
        .min()
        .map(|(_, k)| k)
    {
        let (_, record) = heads[k].take().expect("the minimum is a live head");
        w.record(&record)?;
        heads[k] = readers[k].next()?;
    }
    w.finish()?;
    for r in readers.iter() {
        let expected = shard_rows(r.shard, runs);
        if r.count != expected {
            return Err(input_error(
                r.rows.path(),
                format!(
                    "holds {} rows, but shard {}/{} of this sweep has {expected}; it is not a part flowgap wrote",
                    r.count, r.shard.index, r.shard.count
                ),
            ));
        }
    }
    let mut files = vec![table];
    if !kept.is_empty() {
        files.push(write_kept(kept, dir)?);
    }
    files.extend(finish(dir, plan, None, runs, true)?);
    Ok(files)
}

/// The rows of one part's `sweep.csv`, checked as they are read: each starts with an index of the part's
/// shard, larger than the one before, and has as many cells as the header.
struct PartRows {
    rows: Rows,
    shard: Shard,
    runs: u64,
    last: Option<u64>,
    count: u64,
}

impl PartRows {
    /// Opens `dir/sweep.csv` (a regular file of bounded size, ended by a line end) and reads its header.
    fn open(dir: &Path, shard: Shard, runs: u64) -> Result<PartRows> {
        let rows = Rows::open(&dir.join(TABLE), "every part of a sweep holds its sweep.csv")?;
        Ok(PartRows {
            rows,
            shard,
            runs,
            last: None,
            count: 0,
        })
    }

    /// The next row and its index; `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, csv::StringRecord)>> {
        let Some(record) = self.rows.next_row()?.cloned() else {
            return Ok(None);
        };
        self.count += 1;
        let at = self.rows.row_number();
        let bad = |why: String| {
            input_error(
                self.rows.path(),
                format!("line {at}: {why}; it is not a part flowgap wrote"),
            )
        };
        let index: u64 = record
            .get(0)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| bad("the row does not start with its index".into()))?;
        let Shard { index: i, count } = self.shard;
        if index >= self.runs || index % count != i {
            return Err(bad(format!("run {index} is not one of shard {i}/{count}'s")));
        }
        if self.last.is_some_and(|l| index <= l) {
            return Err(bad(format!("run {index} is repeated or out of order")));
        }
        self.last = Some(index);
        Ok(Some((index, record)))
    }
}
