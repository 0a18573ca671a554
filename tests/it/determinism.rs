//! The same scenario gives byte-identical output files, run after run and through the library or the
//! binary; only `timing.json` (wall-clock times) may differ.

use flowgap::{output, scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every method kind and solver, a comparison, and a method that diverges (GD with η above 2/λ_max on
/// the stiff direction), so that every code path that writes a number is covered. No figures: the
/// figures are compared too once a scenario asks for them, since every file is compared.
const SCENARIO: &str = r#"
name = "determinism"
description = "every method kind and solver, one divergence"

[objective]
kind = "quadratic"
matrix = [[30.0, 2.0], [2.0, 1.0]]
center = [0.5, -0.25]

[init]
point = [1.0, 2.0]

[run]
step_size = 0.07
steps = 200
record_every = 5

[[method]]
id = "gd"
kind = "gd"

[[method]]
id = "dop853"
kind = "gradient_flow"
solver = "dop853"
rtol = 1e-9
atol = 1e-12

[[method]]
id = "dopri5"
kind = "gradient_flow"
solver = "dopri5"
rtol = 1e-7
atol = 1e-9

[[method]]
id = "rk4"
kind = "gradient_flow"
solver = "rk4"
dt = 0.01

[[compare]]
a = "gd"
b = "dop853"

[[compare]]
a = "rk4"
b = "dopri5"

[output]
figures = []
"#;

/// Every file under `dir`, by path relative to it, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

/// Runs the scenario at `path` in-process into `out`.
fn run_library(path: &Path, out: &Path) {
    let (experiment, spec) = scenario::load(path).unwrap().into_parts();
    output::write_report(&experiment.run(), &spec, out, false).unwrap();
}

/// Asserts that two output folders hold the same files with the same bytes, `timing.json` aside.
fn assert_same(a: &Path, b: &Path, what: &str) {
    let (mut fa, mut fb) = (files(a), files(b));
    for f in [&mut fa, &mut fb] {
        assert!(
            f.remove(Path::new(output::TIMING)).is_some(),
            "{what}: no timing.json"
        );
    }
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "{what}: different files"
    );
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{what}: {} differs", name.display());
    }
}

#[test]
fn the_same_scenario_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("determinism.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let (first, second, cli) = (
        dir.path().join("first"),
        dir.path().join("second"),
        dir.path().join("cli"),
    );
    run_library(&path, &first);
    run_library(&path, &second);
    let status = Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&cli)
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    // The run is not trivial: GD diverges (η·λ_max ≈ 0.07·30.1 > 2), the flows complete, and every
    // method wrote a trajectory.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first.join(output::SUMMARY)).unwrap()).unwrap();
    assert_eq!(summary["methods"][0]["termination"]["status"], "diverged");
    for i in 1..4 {
        assert_eq!(summary["methods"][i]["termination"]["status"], "completed");
    }
    assert_eq!(
        files(&first).len(),
        4 + 4,
        "four CSVs, summary.json, timing.json, scenario.toml, .flowgap-manifest.json"
    );

    assert_same(&first, &second, "two library runs");
    assert_same(&first, &cli, "a library run and a CLI run");
}

/// With figures: a shipped scenario that draws the phase portrait, loss and distance as PNG and SVG.
#[test]
fn figures_are_byte_identical_too() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quadratic_above_threshold.toml");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_library(&path, &a);
    run_library(&path, &b);
    let written = files(&a);
    for f in ["phase_portrait", "loss", "distance"] {
        for ext in ["png", "svg"] {
            let name = PathBuf::from(format!("figures/{f}.{ext}"));
            assert!(written.contains_key(&name), "{} missing", name.display());
        }
    }
    assert_same(&a, &b, "two runs with figures");
}

/// The comparison itself can fail: a changed number is caught (so the test above cannot pass vacuously).
#[test]
fn a_changed_byte_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("determinism.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_library(&path, &a);
    run_library(&path, &b);
    let csv = b.join("trajectories/gd.csv");
    let mut bytes = std::fs::read(&csv).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'1' { b'2' } else { b'1' };
    std::fs::write(&csv, bytes).unwrap();
    let caught = std::panic::catch_unwind(|| assert_same(&a, &b, "tampered"));
    assert!(caught.is_err());
}
