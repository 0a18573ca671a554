//! Every file flowgap saves, and reads back: the names, the CSV schemas (each with one writer and one
//! reader), and the JSON documents as typed structs. A run folder, a sweep folder and an order study's
//! folder are written through here, and `flowgap plot`, `flowgap merge` and the sweep figures read them
//! through here, so a saved file that is not what flowgap wrote is refused the same way everywhere:
//! [`Error::Input`] (exit 2) naming the file and, where known, the row and column.

pub mod central;
pub mod data_files;
pub mod kept;
pub mod order;
pub mod run_csv;
pub mod summary;
pub mod sweep;
pub mod sweep_summary;
pub mod table;

use crate::error::{Error, Result};
use crate::files;
use std::path::Path;

/// A run's summary inside its output folder (a sweep's folder has one too, of another shape).
pub const SUMMARY: &str = "summary.json";

/// The wall-clock times' file inside an output folder: the one file that differs between runs.
pub const TIMING: &str = "timing.json";

/// The scenario copy's name inside an output folder.
pub const SCENARIO_COPY: &str = "scenario.toml";

/// The figures' folder inside an output folder.
pub const FIGURES: &str = "figures";

/// The trajectories' folder inside a run's output folder.
pub const TRAJECTORIES: &str = "trajectories";

/// summary.json's key for the data files a run read.
pub const DATA_FILES: &str = "data_files";

/// The table's name inside a sweep's output folder.
pub const TABLE: &str = "sweep.csv";

/// Parameter vectors longer than this go to `<id>.npy` instead of CSV columns.
pub const MAX_CSV_DIM: usize = 128;

/// The endings of the files a method `<id>` writes into `trajectories/`: `<id>.csv`, `<id>.npy`
/// (d > [`MAX_CSV_DIM`]), `<id>_ensemble.csv` (sgd, sme), `<id>_sharpness.csv` (`[diagnostics.sharpness]`),
/// `<id>_held_out.csv` (a test part in `[objective.data]`), `<id>_central.csv` (central_flow).
pub const METHOD_FILE_SUFFIXES: [&str; 6] = [
    ".csv",
    ".npy",
    ENSEMBLE_SUFFIX,
    SHARPNESS_SUFFIX,
    HELD_OUT_SUFFIX,
    central::CENTRAL_SUFFIX,
];

/// The ending of a method's ensemble statistics file.
pub const ENSEMBLE_SUFFIX: &str = "_ensemble.csv";

/// The ending of a method's sampled Hessian spectra file.
pub const SHARPNESS_SUFFIX: &str = "_sharpness.csv";

/// The ending of a method's held-out evaluation file.
pub const HELD_OUT_SUFFIX: &str = "_held_out.csv";

/// `<id>_held_out.csv`: a method's training and test loss (and accuracy) per recorded point.
pub fn held_out_csv(id: &str) -> String {
    format!("{id}_held_out.csv")
}

/// `<id>.csv`: a method's trajectory.
pub fn trajectory_csv(id: &str) -> String {
    format!("{id}.csv")
}

/// `<id>.npy`: a method's θ when d > [`MAX_CSV_DIM`].
pub fn trajectory_npy(id: &str) -> String {
    format!("{id}.npy")
}

/// `<id>_ensemble.csv`: a method's ensemble statistics (the name spelled out, as the docs write it).
pub fn ensemble_csv(id: &str) -> String {
    format!("{id}_ensemble.csv")
}

/// `<id>_sharpness.csv`: a method's sampled Hessian spectra (the name spelled out, as the docs write it).
pub fn sharpness_csv(id: &str) -> String {
    format!("{id}_sharpness.csv")
}

/// A saved file that cannot be used: bad input (exit 2) naming the file.
pub fn bad(path: &Path, message: impl Into<String>) -> Error {
    files::input_error(path, message)
}

/// Writes `value` as pretty JSON with a final line end: summary.json, timing.json, order.json.
pub fn write_json<T: serde::Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).expect("flowgap's documents always serialise");
    std::fs::write(path, text + "\n").map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn method_file_names_end_with_their_suffixes() {
        assert!(super::ensemble_csv("gd").ends_with(super::ENSEMBLE_SUFFIX));
        assert!(super::sharpness_csv("gd").ends_with(super::SHARPNESS_SUFFIX));
        assert!(super::held_out_csv("gd").ends_with(super::HELD_OUT_SUFFIX));
        assert_eq!(super::trajectory_csv("gd"), "gd.csv");
    }
}
