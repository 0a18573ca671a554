//! Every file in scenarios/ parses, validates, runs, writes a complete output, and matches its golden file.

use flowgap::golden::{self, Outcome};
use flowgap::{output, scenario, Termination};
use rayon::prelude::*;
use std::path::Path;

/// Each named scenario runs once, and that one report is both written out and checked against the
/// scenario's golden file (the two checks used to run every scenario twice). The scenarios are spread
/// over the threads, as the slowest take tens of seconds.
#[test]
fn every_named_scenario_runs_writes_its_output_and_matches_its_golden_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let names = scenario::list(&dir).unwrap();
    assert!(names.len() >= 3);
    names.par_iter().for_each(|(name, _)| {
        let name = name.as_str();
        let path = scenario::named_path(&dir, name);
        let scenario = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            scenario.experiment.name, name,
            "a scenario's name matches its file name"
        );
        let figures = scenario.output.figures.len() * scenario.output.formats.len();
        // One CSV per method, plus an NPY of the parameters when d > 128.
        let files_per_method = if scenario.experiment.objective.dim() > flowgap::output::MAX_CSV_DIM {
            2
        } else {
            1
        };
        // Ensemble methods (sgd, sme) add `<id>_ensemble.csv`.
        let ensembles = scenario
            .experiment
            .methods
            .iter()
            .filter(|m| matches!(m.kind.name(), "sgd" | "sme"))
            .count();
        let methods = scenario.experiment.methods.len() * files_per_method + ensembles;
        let (experiment, spec) = scenario.into_parts();
        let report = experiment.run();
        match golden::check(&path, &report, false) {
            Ok(Outcome::Passed) => {}
            Ok(Outcome::Failed(misses)) => {
                let lines: Vec<String> = misses.iter().take(10).map(|m| m.to_string()).collect();
                panic!("{name}: {} quantities moved:\n{}", misses.len(), lines.join("\n"));
            }
            Ok(Outcome::Blessed(_) | Outcome::Replaced(_)) => unreachable!("not blessing"),
            Err(e) => panic!("{name}: {e}"),
        }
        let out = std::env::temp_dir().join(format!("flowgap-scenarios-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let files =
            output::write_report(&report, &spec, &out, false).unwrap_or_else(|e| panic!("{name}: {e}"));
        // A method tracked by [diagnostics.sharpness] adds `<id>_sharpness.csv`.
        let sharpness_csvs = report
            .diagnostics
            .as_ref()
            .map_or(0, |d| d.methods.iter().filter(|m| m.sharpness.is_some()).count());
        // Trajectories, figures, summary.json, timing.json and the scenario's copy.
        assert_eq!(
            files.len(),
            // A test part in [objective.data] adds `<id>_held_out.csv` per method.
            // A central_flow adds `<id>_central.csv`, a `[[compare]]` with `window` its
            // `comparisons/<a>_vs_<b>_central.csv`.
            methods
                + sharpness_csvs
                + report.held_out.len()
                + report.central_series.iter().flatten().count()
                + report.stable_series.iter().flatten().count()
                + report.central_comparisons.iter().flatten().count()
                + figures
                + 3,
            "{name}: {files:?}"
        );
        for f in &files {
            assert!(
                std::fs::metadata(f).unwrap().len() > 0,
                "{name}: {} is empty",
                f.display()
            );
        }
        for m in &report.methods {
            assert!(!m.trajectory.is_empty(), "{name}/{}", m.id);
            if !m.discrete {
                assert_eq!(
                    m.trajectory.termination,
                    Termination::Completed,
                    "{name}/{}",
                    m.id
                );
            }
        }
        std::fs::remove_dir_all(&out).unwrap();
    });
}

/// The threshold scenarios show what their names say: GD converges just below 2/λ_max and diverges just
/// above it; the flow converges in both.
#[test]
fn threshold_scenarios_land_on_the_right_side_of_two_over_lambda() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for (name, gd_diverges) in [
        ("quadratic_below_threshold", false),
        ("quadratic_above_threshold", true),
    ] {
        let report = (scenario::load(&scenario::named_path(&dir, name)).unwrap())
            .experiment
            .run();
        let gd = &report.method("gd").unwrap().trajectory;
        let flow = &report.method("flow").unwrap().trajectory;
        assert_eq!(
            matches!(gd.termination, Termination::Diverged { .. }),
            gd_diverges,
            "{name}"
        );
        assert_eq!(flow.termination, Termination::Completed);
        assert!(
            flow.final_loss() < 1e-4,
            "{name}: flow loss {}",
            flow.final_loss()
        );
    }
}

// ---- What the binary does with unusable scenario files (issue 17) ----

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary in `cwd` with `args` and `env`, failing the test if it takes more than 60 s (a FIFO
/// that blocks would otherwise hang the suite).
pub(crate) fn flowgap(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flowgap"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove(scenario::MEMORY_BUDGET_VAR)
        .env_remove(scenario::WORK_BUDGET_VAR)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary starts");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("flowgap {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Asserts a refusal: exit code 2, `phrase` in stderr, no panic, and nothing written into `cwd/out`.
fn assert_refused(out: &Output, cwd: &Path, phrase: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(phrase), "`{phrase}` not in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!cwd.join("out").exists(), "a refused run wrote output");
    stderr
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A small scenario that runs in milliseconds.
const FINE: &str = "name = \"fine\"\n[objective]\nkind = \"himmelblau\"\n[init]\npoint = [1.0, 1.0]\n[run]\n\
                    step_size = 0.01\nsteps = 20\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n[output]\nfigures = []\n";

#[test]
fn a_fifo_scenario_is_refused_at_once_by_run_list_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sc")).unwrap();
    std::fs::write(d.join("sc/fine.toml"), FINE).unwrap();
    mkfifo(&d.join("sc/pipe.toml"));
    for args in [
        vec!["run", "sc/pipe.toml", "--out", "out"],
        vec!["--scenarios", "sc", "run", "pipe", "--out", "out"],
        vec!["--scenarios", "sc", "check", "pipe"],
    ] {
        let out = flowgap(d, &args, &[]);
        assert_refused(
            &out,
            d,
            "is a FIFO (named pipe); flowgap reads regular files only",
        );
    }
    // `list` flags it and still lists the others.
    let out = flowgap(d, &["--scenarios", "sc", "list"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("fine") && stdout.contains("pipe") && stdout.contains("FIFO"),
        "{stdout}"
    );
}

#[test]
fn devices_folders_and_proc_files_are_refused_as_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("folder.toml")).unwrap();
    for (path, phrase) in [
        ("/dev/zero", "is a device"),
        ("/dev/null", "is a device"),
        ("folder.toml", "is a folder"),
    ] {
        let out = flowgap(d, &["run", path, "--out", "out"], &[]);
        assert_refused(&out, d, phrase);
    }
    // /proc/self/environ is a "regular" file of size 0 holding NUL-separated variables: refused as
    // not text, without printing the environment.
    let out = flowgap(
        d,
        &["run", "/proc/self/environ", "--out", "out"],
        &[("FLOWGAP_TEST_SECRET", "hunter2-secret")],
    );
    let stderr = assert_refused(&out, d, "(encoding)");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_scenario_over_one_mib_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = format!("{FINE}# {}\n", "x".repeat(1 << 20));
    std::fs::write(d.join("big.toml"), big).unwrap();
    let started = Instant::now();
    let out = flowgap(d, &["run", "big.toml", "--out", "out"], &[]);
    assert_refused(&out, d, "is larger than the 1 MiB flowgap reads");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// Scenarios under the size limit built to be slow to parse: deep nesting, long arrays, many tables,
/// long dotted keys. Each is refused (or runs) in seconds, without a crash.
#[test]
fn pathological_scenarios_under_one_mib_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 400_000;
    let cases = [
        (
            "nested_arrays",
            format!("name = \"x\"\nv = {}{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "nested_tables",
            format!(
                "name = \"x\"\nv = {}1{}\n",
                "{a=".repeat(100_000),
                "}".repeat(100_000)
            ),
        ),
        (
            "long_array",
            FINE.replace("[1.0, 1.0]", &format!("[{}]", vec!["1"; 400_000].join(","))),
        ),
        (
            "many_methods",
            format!(
                "{}{}",
                FINE.replace("[output]\nfigures = []\n", ""),
                // 30000 methods, the last a duplicate: refused after every method is built.
                (0..30_000)
                    .chain([0])
                    .map(|i| format!("[[method]]\nid=\"m{i}\"\nkind=\"gd\"\n"))
                    .collect::<String>()
            ),
        ),
        (
            "long_dotted_key",
            format!("name = \"x\"\n{}b = 1\n", "a.".repeat(300_000)),
        ),
        ("long_string", format!("name = \"{}\"\n", "n".repeat(1_000_000))),
    ];
    for (name, text) in cases {
        assert!(text.len() <= 1 << 20, "{name} is {} bytes", text.len());
        let file = format!("{name}.toml");
        std::fs::write(d.join(&file), text).unwrap();
        let started = Instant::now();
        let out = flowgap(d, &["run", &file, "--out", "out"], &[]);
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(stderr.len() < 4000, "{name}: a {}-byte message", stderr.len());
        assert!(elapsed < Duration::from_secs(20), "{name} took {elapsed:?}");
    }
}

#[test]
fn wide_encodings_are_named_and_no_raw_nul_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let utf16 = |big: bool| -> Vec<u8> {
        FINE.encode_utf16()
            .flat_map(|u| if big { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    };
    let utf32le: Vec<u8> = FINE.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "le_bom",
            [&[0xff, 0xfe][..], &utf16(false)].concat(),
            "the file is UTF-16; save it as UTF-8",
        ),
        (
            "be_bom",
            [&[0xfe, 0xff][..], &utf16(true)].concat(),
            "the file is UTF-16; save it as UTF-8",
        ),
        ("le_no_bom", utf16(false), "the file is UTF-16; save it as UTF-8"),
        ("be_no_bom", utf16(true), "the file is UTF-16; save it as UTF-8"),
        (
            "utf32_bom",
            [&[0xff, 0xfe, 0, 0][..], &utf32le].concat(),
            "the file is UTF-32; save it as UTF-8",
        ),
    ];
    for (name, bytes, phrase) in cases {
        let file = format!("{name}.toml");
        std::fs::write(d.join(&file), bytes).unwrap();
        let out = flowgap(d, &["run", &file, "--out", "out"], &[]);
        let stderr = assert_refused(&out, d, phrase);
        assert!(stderr.contains(&format!("{file}:1:1: (encoding)")), "{stderr}");
        assert!(!out.stderr.contains(&0), "{name}: a NUL byte in stderr");
    }
    // A UTF-8 file with one NUL is not called UTF-16: its NUL is located.
    std::fs::write(d.join("nul.toml"), FINE.replace("fine", "fi\0ne")).unwrap();
    let out = flowgap(d, &["run", "nul.toml", "--out", "out"], &[]);
    assert_refused(&out, d, "nul.toml:1:11: (encoding): a NUL byte");
    assert!(!out.stderr.contains(&0));
}

#[test]
fn two_paths_to_one_file_write_the_same_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("a/b")).unwrap();
    std::fs::write(d.join("a/fine.toml"), FINE).unwrap();
    std::os::unix::fs::symlink(d.join("a/fine.toml"), d.join("link.toml")).unwrap();
    let mut summaries = Vec::new();
    for (i, path) in ["a/fine.toml", "a/b/../fine.toml", "./link.toml"]
        .iter()
        .enumerate()
    {
        let out_dir = format!("out{i}");
        let out = flowgap(d, &["run", path, "--out", &out_dir], &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        summaries.push(std::fs::read(d.join(out_dir).join("summary.json")).unwrap());
    }
    assert!(summaries.windows(2).all(|w| w[0] == w[1]), "the summaries differ");
    let summary: serde_json::Value = serde_json::from_slice(&summaries[0]).unwrap();
    let source = Path::new(summary["scenario"]["source"].as_str().unwrap());
    assert!(source.is_absolute(), "{source:?}");
    assert_eq!(source, d.canonicalize().unwrap().join("a/fine.toml"));
}

/// Every file a run writes into trajectories/ is `<id><suffix>` for a suffix of
/// `scenario::METHOD_FILE_SUFFIXES`, the list the id-clash rule is derived from: a writer that adds a
/// per-method file without adding its suffix fails here. Every suffix is used, so the list holds no
/// stale entry either.
#[test]
fn every_per_method_file_a_run_writes_is_on_the_suffix_list() {
    let d = 129;
    let eigenvalues = vec!["1.0"; d].join(", ");
    let point = vec!["0.5"; d].join(", ");
    let noise = vec!["0.01"; d].join(", ");
    let text = format!(
        "name = \"suffixes\"\n[objective]\nkind = \"noisy_quadratic\"\neigenvalues = [{eigenvalues}]\n\
         noise_diagonal = [{noise}]\n[init]\npoint = [{point}]\n[run]\nstep_size = 0.1\nsteps = 4\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n[[method]]\nid = \"sgd\"\nkind = \"sgd\"\npaths = 2\n\
         [[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n[diagnostics.sharpness]\ntop_k = 1\n\
         [output]\nfigures = []\n"
    );
    let s = scenario::parse(&text, Path::new("suffixes.toml")).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = s.experiment.methods.iter().map(|m| m.id.clone()).collect();
    let (experiment, spec) = s.into_parts();
    let report = experiment.run();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    output::write_report(&report, &spec, &out, false).unwrap();
    let mut used = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(out.join("trajectories")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let suffix = ids
            .iter()
            .filter_map(|id| name.strip_prefix(id.as_str()))
            .find(|rest| scenario::METHOD_FILE_SUFFIXES.contains(rest));
        match suffix {
            Some(s) => used.insert(s.to_string()),
            None => panic!("trajectories/{name} is not <id><suffix> for a suffix in METHOD_FILE_SUFFIXES"),
        };
    }
    // `<id>_held_out.csv` needs a data-driven objective with a test part: a second, small run.
    let text = "name = \"held\"\n[objective]\nkind = \"logistic_regression\"\n[objective.data]\n\
                source = \"two_moons\"\nsamples = 20\nseed = 1\ntest_fraction = 0.25\nsplit_seed = 1\n\
                [init]\npoint = [0.0, 0.0, 0.0]\n[run]\nstep_size = 0.1\nsteps = 4\n\
                [[method]]\nid = \"gd\"\nkind = \"gd\"\n[output]\nfigures = []\n";
    let s = scenario::parse(text, Path::new("held.toml")).unwrap_or_else(|e| panic!("{e}"));
    let (experiment, spec) = s.into_parts();
    let out = dir.path().join("held");
    output::write_report(&experiment.run(), &spec, &out, false).unwrap();
    for entry in std::fs::read_dir(out.join("trajectories")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let suffix = name.strip_prefix("gd").expect("one method, gd");
        assert!(scenario::METHOD_FILE_SUFFIXES.contains(&suffix), "{name}");
        used.insert(suffix.to_string());
    }
    // `<id>_central.csv` needs a central_flow, `<id>_stable.csv` a stable_flow: a third, small run on a
    // 2-D quadratic.
    let text = "name = \"central\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [4.0, 1.0]\n\
                [init]\npoint = [1.0, 1.0]\n[run]\nstep_size = 0.1\nsteps = 4\n\
                [[method]]\nid = \"cf\"\nkind = \"central_flow\"\n\
                [[method]]\nid = \"sf\"\nkind = \"stable_flow\"\n[output]\nfigures = []\n";
    let s = scenario::parse(text, Path::new("central.toml")).unwrap_or_else(|e| panic!("{e}"));
    let (experiment, spec) = s.into_parts();
    let out = dir.path().join("central");
    output::write_report(&experiment.run(), &spec, &out, false).unwrap();
    for entry in std::fs::read_dir(out.join("trajectories")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let suffix = name
            .strip_prefix("cf")
            .or_else(|| name.strip_prefix("sf"))
            .expect("two methods, cf and sf");
        assert!(scenario::METHOD_FILE_SUFFIXES.contains(&suffix), "{name}");
        used.insert(suffix.to_string());
    }
    let all: std::collections::BTreeSet<String> = scenario::METHOD_FILE_SUFFIXES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(used, all, "a suffix on the list is never written");
}

#[test]
fn the_memory_budget_comes_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("fine.toml"), FINE).unwrap();
    // 21 points of 5 numbers: 840 bytes, over a 512-byte budget.
    let out = flowgap(
        d,
        &["run", "fine.toml", "--out", "out"],
        &[(scenario::MEMORY_BUDGET_VAR, "512")],
    );
    let stderr = assert_refused(&out, d, "more than the budget of 512 bytes");
    assert!(stderr.contains("fine.toml:8:1: run.steps:"), "{stderr}");
    assert!(stderr.contains("FLOWGAP_MEMORY_BUDGET"), "{stderr}");
    for bad in ["lots", "-1", "1.5GiB", ""] {
        let out = flowgap(
            d,
            &["run", "fine.toml", "--out", "out"],
            &[(scenario::MEMORY_BUDGET_VAR, bad)],
        );
        assert_refused(&out, d, "FLOWGAP_MEMORY_BUDGET: must be a size in bytes");
    }
    let out = flowgap(
        d,
        &["run", "fine.toml", "--out", "out"],
        &[(scenario::MEMORY_BUDGET_VAR, "1KiB")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The estimate against the library's budget: a scenario's parts add up across methods.
#[test]
fn the_budget_counts_every_method_together() {
    let one = FINE.replace("steps = 20", "steps = 1000000");
    let s = scenario::parse(&one, Path::new("one.toml")).unwrap();
    // 10⁶ + 1 points × 5 numbers × 8 bytes = 40 MB for one method.
    assert!(scenario::check_budget(&s.experiment, s.source(), s.text()).is_ok());
    let methods: String = (0..120)
        .map(|i| format!("[[method]]\nid = \"m{i}\"\nkind = \"gd\"\n"))
        .collect();
    let many = one.replace("[output]", &format!("{methods}[output]"));
    let e = match scenario::parse(&many, Path::new("many.toml")) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("121 methods of 40 MB each fit in 4 GiB"),
    };
    assert!(
        e.starts_with("many.toml:8:1: run.steps:") && e.contains("4.5 GiB"),
        "{e}"
    );
}

#[test]
fn the_work_budget_comes_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("fine.toml"), FINE).unwrap();
    // 20 steps × dimension 2 = 40 gradient-coordinate evaluations.
    let out = flowgap(
        d,
        &["run", "fine.toml", "--out", "out"],
        &[(scenario::WORK_BUDGET_VAR, "39")],
    );
    let stderr = assert_refused(
        &out,
        d,
        "about 4.0e1 gradient-coordinate evaluations (20 steps × dimension 2)",
    );
    assert!(stderr.contains("fine.toml:8:1: run.steps:"), "{stderr}");
    for bad in ["many", "0", "nan", "inf"] {
        let out = flowgap(
            d,
            &["run", "fine.toml", "--out", "out"],
            &[(scenario::WORK_BUDGET_VAR, bad)],
        );
        assert_refused(&out, d, "FLOWGAP_WORK_BUDGET: must be a number ≥ 1");
    }
    let out = flowgap(
        d,
        &["run", "fine.toml", "--out", "out"],
        &[(scenario::WORK_BUDGET_VAR, "40")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `read_source` reads as `load` does, for callers that parse the text themselves (sweeps).
#[test]
fn read_source_refuses_what_load_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("fine.toml"), FINE).unwrap();
    assert_eq!(scenario::read_source(&d.join("fine.toml")).unwrap(), FINE);
    mkfifo(&d.join("pipe.toml"));
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(FINE.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(d.join("wide.toml"), utf16).unwrap();
    for (file, phrase) in [("pipe.toml", "FIFO"), ("wide.toml", "UTF-16")] {
        let e = scenario::read_source(&d.join(file)).unwrap_err();
        assert!(e.is_bad_input() && e.to_string().contains(phrase), "{e}");
    }
}
