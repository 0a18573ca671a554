//! `flowgap merge`: joins the parts of a sharded sweep into exactly the output a single run gives.
//!
//! A part is checked before anything is written: its summary must be a complete shard i/N of the same
//! sweep as the others (1 ≤ N ≤ the grid's runs, i < N, each shard once), and its rows must be exactly
//! its shard's, in index order, each as wide as the header. Any fault is bad input (exit 2) naming the
//! part's file; the output folder is then left as it was (see [`crate::outdir`]).

use super::table::read_summary;
use super::{finish, Shard};
use crate::error::{Error, Result};
use crate::files::{input_error, open_regular, MAX_SAVED_BYTES};
use crate::formats::TABLE;
use crate::outdir::{self, Claim, Kind};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// The longest row read from a part (a row is a few hundred bytes; a sweep with a long `tail` more).
const MAX_ROW_BYTES: u64 = 16 << 20;

/// The plan part of a summary: everything but the shard and the counts.
fn plan_of(summary: &serde_json::Value) -> serde_json::Value {
    let mut plan = summary.clone();
    if let Some(o) = plan.as_object_mut() {
        for k in ["shard", "planned_rows", "rows", "complete", "counts"] {
            o.remove(k);
        }
    }
    plan
}

/// The shard a part's summary names (`null`: the whole sweep), refused unless 0 ≤ i < N ≤ `runs`.
fn shard_of(summary: &serde_json::Value, runs: u64, path: &Path) -> Result<Shard> {
    let s = &summary["shard"];
    if s.is_null() {
        return Ok(Shard::WHOLE);
    }
    match (s["index"].as_u64(), s["count"].as_u64()) {
        (Some(index), Some(count)) if index < count && count <= runs => Ok(Shard { index, count }),
        (index, count) => {
            let named = match (index, count) {
                (Some(i), Some(n)) => format!("{i}/{n}"),
                _ => s.to_string(),
            };
            Err(input_error(
                path,
                format!("names shard {named}, which no sweep of {runs} runs writes; it is not a part flowgap wrote"),
            ))
        }
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
    let plan = plan_of(&summaries[0]);
    let runs = plan["runs"].as_u64().filter(|&r| r >= 1).ok_or_else(|| {
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
        if plan_of(s) != plan {
            return Err(input_error(
                &path,
                format!("is a part of another sweep than {}", first.display()),
            ));
        }
        if s["complete"] != serde_json::Value::Bool(true) {
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
        if r.header != readers[0].header {
            return Err(input_error(&r.path, "has another header than the other parts"));
        }
    }
    let claim = Claim::new(
        out,
        Kind::Sweep,
        plan["scenario"].as_str().unwrap_or_default(),
        force,
    )?;
    let files = write_merged(&mut readers, &plan, runs, claim.staging()).map_err(|e| claim.relocate(e))?;
    claim.commit(files)
}

/// Writes the parts' rows in index order into `dir/sweep.csv`, then the summary and figures.
fn write_merged(
    readers: &mut [PartRows],
    plan: &serde_json::Value,
    runs: u64,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let table = dir.join(TABLE);
    let file = std::fs::File::create(&table).map_err(|e| Error::io(&table, e))?;
    let mut w = std::io::BufWriter::new(file);
    let io = |e| Error::io(&table, e);
    writeln!(w, "{}", readers[0].header).map_err(io)?;
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
        let (_, line) = heads[k].take().expect("the minimum is a live head");
        writeln!(w, "{line}").map_err(io)?;
        heads[k] = readers[k].next()?;
    }
    w.flush().map_err(io)?;
    drop(w);
    for r in readers.iter() {
        let expected = shard_rows(r.shard, runs);
        if r.rows != expected {
            return Err(input_error(
                &r.path,
                format!(
                    "holds {} rows, but shard {}/{} of this sweep has {expected}; it is not a part flowgap wrote",
                    r.rows, r.shard.index, r.shard.count
                ),
            ));
        }
    }
    let mut files = vec![table];
    files.extend(finish(dir, plan, None, runs, true)?);
    Ok(files)
}

/// The rows of one part's `sweep.csv`, checked as they are read: each starts with an index of the part's
/// shard, larger than the one before, and has as many cells as the header.
struct PartRows {
    path: PathBuf,
    reader: std::io::BufReader<std::fs::File>,
    shard: Shard,
    runs: u64,
    header: String,
    width: usize,
    last: Option<u64>,
    rows: u64,
    /// Lines read, the header included: the 1-based number of the last line read.
    line_no: u64,
}

impl PartRows {
    /// Opens `dir/sweep.csv` (a regular file of bounded size) and reads its header.
    fn open(dir: &Path, shard: Shard, runs: u64) -> Result<PartRows> {
        let path = dir.join(TABLE);
        let file = open_regular(&path, MAX_SAVED_BYTES).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                input_error(&path, "is missing; every part of a sweep holds its sweep.csv")
            }
            other => other,
        })?;
        let mut part = PartRows {
            reader: std::io::BufReader::new(file),
            path,
            shard,
            runs,
            header: String::new(),
            width: 0,
            last: None,
            rows: 0,
            line_no: 0,
        };
        part.header = part
            .line()?
            .ok_or_else(|| input_error(&part.path, "is empty; a sweep table starts with its header"))?;
        part.width = part.header.split(',').count();
        Ok(part)
    }

    /// The next line without its newline; `None` at the end. A line cut short (no newline), too long or
    /// not UTF-8 is refused.
    fn line(&mut self) -> Result<Option<String>> {
        let mut buf = Vec::new();
        (&mut self.reader)
            .take(MAX_ROW_BYTES)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(&self.path, e))?;
        if buf.is_empty() {
            return Ok(None);
        }
        self.line_no += 1;
        let at = self.line_no;
        if buf.pop() != Some(b'\n') {
            return Err(input_error(
                &self.path,
                format!("line {at} is cut short or longer than a row can be; it is not a part flowgap wrote"),
            ));
        }
        String::from_utf8(buf)
            .map(Some)
            .map_err(|_| input_error(&self.path, format!("line {at} is not UTF-8 text")))
    }

    /// The next row and its index; `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, String)>> {
        let Some(line) = self.line()? else {
            return Ok(None);
        };
        self.rows += 1;
        let at = self.line_no;
        let bad = |why: String| {
            input_error(
                &self.path,
                format!("line {at}: {why}; it is not a part flowgap wrote"),
            )
        };
        let index: u64 = line
            .split(',')
            .next()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| bad("the row does not start with its index".into()))?;
        let cells = line.split(',').count();
        if cells != self.width {
            return Err(bad(format!(
                "the row has {cells} cells, the header {}",
                self.width
            )));
        }
        let Shard { index: i, count } = self.shard;
        if index >= self.runs || index % count != i {
            return Err(bad(format!("run {index} is not one of shard {i}/{count}'s")));
        }
        if self.last.is_some_and(|l| index <= l) {
            return Err(bad(format!("run {index} is repeated or out of order")));
        }
        self.last = Some(index);
        Ok(Some((index, line)))
    }
}
