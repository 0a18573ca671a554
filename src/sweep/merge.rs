//! `flowgap merge`: joins the parts of a sharded sweep into exactly the output a single run gives.

use super::table::read_summary;
use super::{check_out, finish, Shard, PARTIAL, TABLE};
use crate::error::{Error, Result};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

fn refuse(dir: &Path, why: String) -> Error {
    Error::OutputOccupied {
        dir: dir.to_path_buf(),
        why,
    }
}

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

/// Merges the complete shards in `parts` (every shard i/N of one sweep, each once, in any order) into
/// `out`: rows in index order, the same summary.json and figures as an unsharded run.
pub fn merge(parts: &[PathBuf], out: &Path, force: bool) -> Result<Vec<PathBuf>> {
    let first = parts
        .first()
        .ok_or_else(|| refuse(out, "no part folders given".into()))?;
    let summaries = parts
        .iter()
        .map(|p| read_summary(p))
        .collect::<Result<Vec<_>>>()?;
    let plan = plan_of(&summaries[0]);
    let count = summaries[0]["shard"]["count"].as_u64().unwrap_or(1);
    let mut seen = vec![false; count as usize];
    for (dir, s) in parts.iter().zip(&summaries) {
        if plan_of(s) != plan {
            return Err(refuse(
                dir,
                format!("it is a part of another sweep than {}", first.display()),
            ));
        }
        if s["complete"] != serde_json::Value::Bool(true) {
            return Err(refuse(
                dir,
                "this part is incomplete (interrupted); run its shard again".into(),
            ));
        }
        let shard = Shard {
            index: s["shard"]["index"].as_u64().unwrap_or(0),
            count: s["shard"]["count"].as_u64().unwrap_or(1),
        };
        if shard.count != count || seen[shard.index as usize] {
            return Err(refuse(
                dir,
                format!(
                    "shard {}/{} is given twice or belongs to another split",
                    shard.index, shard.count
                ),
            ));
        }
        seen[shard.index as usize] = true;
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(refuse(
            out,
            format!("shard {missing}/{count} is missing; give all {count} parts"),
        ));
    }
    check_out(out, plan["scenario"].as_str().unwrap_or_default(), force)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;

    // A k-way merge by the index column: each part is already in index order.
    let mut readers = Vec::new();
    let mut header = None;
    for dir in parts {
        let path = dir.join(TABLE);
        let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let h = lines
            .next()
            .transpose()
            .map_err(|e| Error::io(&path, e))?
            .unwrap_or_default();
        if header.get_or_insert_with(|| h.clone()) != &h {
            return Err(refuse(dir, "its sweep.csv has another header".into()));
        }
        readers.push((path, lines));
    }
    let partial = out.join(PARTIAL);
    let file = std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?;
    let mut w = std::io::BufWriter::new(file);
    let io = |e| Error::io(&partial, e);
    writeln!(w, "{}", header.unwrap_or_default()).map_err(io)?;
    let mut heads: Vec<Option<(u64, String)>> = Vec::with_capacity(readers.len());
    let next = |(path, lines): &mut (PathBuf, std::io::Lines<std::io::BufReader<std::fs::File>>)| -> Result<Option<(u64, String)>> {
        match lines.next() {
            None => Ok(None),
            Some(line) => {
                let line = line.map_err(|e| Error::io(path.as_path(), e))?;
                let index = line.split(',').next().and_then(|c| c.parse().ok()).ok_or_else(|| Error::Data {
                    file: path.clone(),
                    row: None,
                    column: Some("index".into()),
                    message: "a row does not start with its index".into(),
                })?;
                Ok(Some((index, line)))
            }
        }
    };
    for r in readers.iter_mut() {
        heads.push(next(r)?);
    }
    let mut rows = 0u64;
    while let Some(k) = heads
        .iter()
        .enumerate()
        .filter_map(|(k, h)| h.as_ref().map(|(i, _)| (*i, k)))
        .min()
        .map(|(_, k)| k)
    {
        let (_, line) = heads[k].take().expect("the minimum is a live head");
        writeln!(w, "{line}").map_err(io)?;
        rows += 1;
        heads[k] = next(&mut readers[k])?;
    }
    w.flush().map_err(io)?;
    drop(w);
    let table = out.join(TABLE);
    std::fs::rename(&partial, &table).map_err(|e| Error::io(&table, e))?;
    let planned = plan["runs"].as_u64().unwrap_or(rows);
    let mut files = vec![table];
    files.extend(finish(out, &plan, None, planned, rows == planned)?);
    Ok(files)
}
