//! The data files a scenario reads, pinned by a hash of their bytes: a golden file and a run's
//! summary.json record them, so that a dataset changed since (one cell edited, a file replaced) is
//! named as the cause instead of showing up only as moved numbers or as figures that are not the run's.
//!
//! The hash is 64-bit FNV-1a: no cryptographic claim, only "these are not the bytes that were pinned".

use crate::error::Result;
use crate::files::{self, MAX_DATA_BYTES};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One data file: its path as the scenario writes it (relative to the scenario's folder) and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// The path as written in the scenario (`data/iris.csv`).
    pub path: String,
    /// `fnv1a64:` and 16 hex digits of the 64-bit FNV-1a hash of the file's bytes.
    pub hash: String,
}

/// The 64-bit FNV-1a hash of `bytes`, continuing from `state` (start from [`FNV_OFFSET`]).
fn fnv1a64(mut state: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    for &b in bytes {
        state ^= u64::from(b);
        state = state.wrapping_mul(PRIME);
    }
    state
}

/// FNV-1a's starting state.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// `fnv1a64:<16 hex digits>` of `bytes`.
pub fn hash_bytes(bytes: &[u8]) -> String {
    format!("fnv1a64:{:016x}", fnv1a64(FNV_OFFSET, bytes))
}

/// The hash of the file at `path` (a regular file of at most [`MAX_DATA_BYTES`]), read in blocks so
/// that a large dataset is not held twice in memory.
pub fn hash_file(path: &Path) -> Result<String> {
    let file = files::open_regular(path, MAX_DATA_BYTES)?;
    let mut reader = file.take(MAX_DATA_BYTES + 1);
    let mut state = FNV_OFFSET;
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut block).map_err(|e| crate::Error::io(path, e))?;
        if n == 0 {
            break;
        }
        state = fnv1a64(state, &block[..n]);
    }
    Ok(format!("fnv1a64:{state:016x}"))
}

/// The data paths a scenario's objective reads, as written in the scenario: every `source = "csv"`
/// table in its resolved settings (synthetic sources read no file).
pub fn data_paths(objective_settings: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_csv_paths(objective_settings, &mut out);
    out
}

fn collect_csv_paths(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(o) => {
            if o.get("source").and_then(|s| s.as_str()) == Some("csv") {
                if let Some(p) = o.get("path").and_then(|p| p.as_str()) {
                    out.push(p.to_string());
                }
            }
            o.values().for_each(|x| collect_csv_paths(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_csv_paths(x, out)),
        _ => {}
    }
}

/// The folder the scenario's relative data paths resolve against (its file's folder), made absolute so
/// that it still holds when read back from another working directory.
/// `source` is the scenario file; an experiment built in code (`None`) resolves against the working
/// directory.
pub fn base_folder(source: Option<&Path>) -> PathBuf {
    let parent = match source.and_then(|s| s.parent()) {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf())
}

/// Every data file the objective described by `objective_settings` reads (relative paths against the
/// folder of the scenario file `source`), with the hash of its bytes now.
pub fn pin(objective_settings: &serde_json::Value, source: Option<&Path>) -> Result<Vec<DataFile>> {
    let base = base_folder(source);
    data_paths(objective_settings)
        .into_iter()
        .map(|path| {
            let hash = hash_file(&base.join(&path))?;
            Ok(DataFile { path, hash })
        })
        .collect()
}

/// summary.json's record of the data files a run read ([`super::DATA_FILES`]), so that `flowgap plot`
/// finds them from any working directory and knows whether they changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFilesSummary {
    /// The absolute folder the scenario's relative data paths resolve against.
    pub folder: PathBuf,
    /// Every data file, in the order the objective's settings name them.
    pub files: Vec<PinnedFile>,
}

/// One data file in [`DataFilesSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PinnedFile {
    /// The path as written in the scenario.
    pub path: String,
    /// The hash of its bytes ([`hash_bytes`]'s form); `None` if it could not be read again after the run.
    pub hash: Option<String>,
}

/// The [`DataFilesSummary`] of the scenario at `source` whose objective has the settings
/// `objective_settings`, with each file's hash now.
pub fn summarise(source: Option<&Path>, objective_settings: &serde_json::Value) -> DataFilesSummary {
    let folder = base_folder(source);
    let files = data_paths(objective_settings)
        .into_iter()
        .map(|path| {
            let hash = hash_file(&folder.join(&path)).ok();
            PinnedFile { path, hash }
        })
        .collect();
    DataFilesSummary { folder, files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_values() {
        // The FNV reference test vectors (http://www.isthe.com/chongo/src/fnv/test_fnv.c).
        assert_eq!(hash_bytes(b""), "fnv1a64:cbf29ce484222325");
        assert_eq!(hash_bytes(b"a"), "fnv1a64:af63dc4c8601ec8c");
        assert_eq!(hash_bytes(b"foobar"), "fnv1a64:85944171f73967e8");
    }

    #[test]
    fn a_file_hashes_as_its_bytes_and_one_changed_byte_changes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        let text = "x,y\n".to_string() + &"1.5,2\n".repeat(30_000);
        std::fs::write(&path, &text).unwrap();
        assert_eq!(hash_file(&path).unwrap(), hash_bytes(text.as_bytes()));
        std::fs::write(&path, text.replacen("1.5", "1.6", 1)).unwrap();
        assert_ne!(hash_file(&path).unwrap(), hash_bytes(text.as_bytes()));
    }

    #[test]
    fn csv_paths_are_found_wherever_the_settings_nest_them() {
        let settings = serde_json::json!({
            "kind": "mlp",
            "data": {"source": "csv", "path": "data/a.csv"},
            "other": [{"source": "blobs"}, {"source": "csv", "path": "b.csv"}],
        });
        let mut paths = data_paths(&settings);
        paths.sort();
        assert_eq!(paths, ["b.csv", "data/a.csv"]);
    }
}
