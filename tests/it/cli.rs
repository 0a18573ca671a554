//! The command line as a user meets it: exit codes, messages on stderr, and nothing written on refusal.

use super::sweep::{flowgap, temp_dir};
use std::path::Path;

fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(format!("{name}.toml")),
    )
    .unwrap()
}

/// Writes `text` as `bad.toml` in a fresh folder, runs it, and checks the refusal: exit 2, stderr naming
/// the file, the line and `key`, and no output folder.
fn assert_refused(tag: &str, text: &str, key: &str, line: usize, also: &str) {
    let dir = temp_dir(tag);
    std::fs::write(dir.join("bad.toml"), text).unwrap();
    let out = flowgap(&["run", "bad.toml", "--out", "out"], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{tag}: stderr = {stderr}");
    assert!(
        stderr.contains(&format!("bad.toml:{line}:")),
        "{tag}: no file:line {line} in {stderr}"
    );
    assert!(stderr.contains(key), "{tag}: key `{key}` not named in {stderr}");
    assert!(stderr.contains(also), "{tag}: `{also}` not in {stderr}");
    assert!(!stderr.contains("panicked"), "{tag}: {stderr}");
    assert!(
        !dir.join("out").exists(),
        "{tag}: a refused scenario wrote output"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{tag}: wrote {leftovers:?}");
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
        + 1
}

#[test]
fn misspelt_key_exits_2_and_names_the_key() {
    let text = scenario_text("rosenbrock_valley").replace("step_size = 1e-3", "step_sise = 1e-3");
    assert_refused(
        "misspelt",
        &text,
        "run.step_sise",
        line_of(&text, "step_sise"),
        "unknown field",
    );
}

#[test]
fn impossible_values_are_refused_with_line_and_key() {
    let base = scenario_text("rosenbrock_valley");
    let cases = [
        (
            "eta-zero",
            base.replace("step_size = 1e-3", "step_size = 0.0"),
            "run.step_size",
            "step_size",
            "> 0",
        ),
        (
            "eta-negative",
            base.replace("step_size = 1e-3", "step_size = -1e-3"),
            "run.step_size",
            "step_size",
            "> 0",
        ),
        (
            "steps-zero",
            base.replace("steps = 20000", "steps = 0"),
            "run.steps",
            "steps = 0",
            "≥ 1",
        ),
        (
            "init-dim",
            base.replace("point = [-1.2, 1.0]", "point = [-1.2, 1.0, 3.0]"),
            "init.point",
            "point",
            "dimension 2",
        ),
        (
            "compare-unknown",
            base.replace("b = \"flow\"", "b = \"flwo\""),
            "compare[0].b",
            "flwo",
            "names no method",
        ),
        (
            "wrong-type",
            base.replace("steps = 20000", "steps = \"many\""),
            "run.steps",
            "steps =",
            "invalid type",
        ),
        (
            "unknown-solver",
            base.replace("solver = \"dop853\"", "solver = \"euler\""),
            "method[1].solver",
            "euler",
            "dopri5, dop853, rk4",
        ),
        (
            "unknown-kind",
            base.replace("kind = \"rosenbrock\"", "kind = \"rosenbrok\""),
            "objective.kind",
            "rosenbrok",
            "himmelblau",
        ),
        (
            "unknown-figure",
            base.replace("\"distance\"]", "\"distanse\"]"),
            "output.figures",
            "distanse",
            "phase_portrait",
        ),
        (
            "record-every",
            base.replace("record_every = 10", "record_every = 7"),
            "run.record_every",
            "record_every",
            "divides",
        ),
        (
            "rtol-for-gd",
            base.replace(
                "id = \"gd\"\nkind = \"gd\"",
                "id = \"gd\"\nkind = \"gd\"\nrtol = 1e-3",
            ),
            "method[0].rtol",
            "rtol = 1e-3",
            "does not apply",
        ),
        (
            "syntax",
            base.replace("b = 100.0", "b = = 100.0"),
            "objective",
            "b = = 100.0",
            "",
        ),
    ];
    for (tag, text, key, needle, also) in cases {
        assert_refused(tag, &text, key, line_of(&text, needle), also);
    }
}

#[test]
fn unknown_scenario_name_exits_2() {
    let dir = temp_dir("cli-unknown-name");
    let out = flowgap(&["run", "no_such_scenario"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("flowgap list"));
    // A path that leads nowhere is the user's input too, for every command that reads one.
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling.toml")).unwrap();
    for args in [
        &["run", "missing.toml"][..],
        &["run", "dangling.toml"],
        &["check", "missing.toml"],
        &["sweep", "missing.toml", "--grid", "run.step_size=0.1,0.2"],
        &["order", "missing.toml", "--step-sizes", "0.1,0.05"],
    ] {
        let out = flowgap(args, &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("No such file"), "{args:?}: {stderr}");
    }
}

#[test]
fn list_names_every_scenario_with_its_description() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = flowgap(&["list"], root);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for entry in std::fs::read_dir(root.join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        // Only .toml files are scenarios (scenarios/data/ holds their datasets).
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let line = stdout
            .lines()
            .find(|l| l.starts_with(stem))
            .unwrap_or_else(|| panic!("{stem} not listed"));
        assert!(
            line.len() > stem.len() + 10,
            "{stem} listed without a description"
        );
        assert!(!line.contains("(invalid"), "{line}");
    }
}

#[test]
fn run_writes_the_output_contract_and_refuses_foreign_folders() {
    let dir = temp_dir("cli-run");
    let out = flowgap(
        &["run", &scenario_path("quadratic_above_threshold"), "--out", "res"],
        &dir,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = dir.join("res");
    for f in [
        "summary.json",
        "trajectories/gd.csv",
        "trajectories/flow.csv",
        "figures/phase_portrait.png",
        "figures/phase_portrait.svg",
        "figures/loss.png",
        "figures/distance.png",
    ] {
        assert!(res.join(f).is_file(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["methods"][0]["termination"]["status"], "diverged");
    assert_eq!(summary["methods"][1]["termination"]["status"], "completed");
    // The figures decode as PNG images of the style's size, and the SVG names its axes.
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(res.join("figures/phase_portrait.png")).unwrap(),
    ));
    let reader = decoder.read_info().expect("a decodable PNG");
    assert_eq!((reader.info().width, reader.info().height), (1000, 800));
    let svg = std::fs::read_to_string(res.join("figures/phase_portrait.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "a complete SVG document"
    );
    assert!(
        svg.contains("θ₀") && svg.contains("θ₁") && svg.contains("phase portrait"),
        "axis labels and title"
    );
    let csv = std::fs::read_to_string(res.join("trajectories/gd.csv")).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "step,t,loss,grad_norm,theta_0,theta_1"
    );
    // Running again into the same folder replaces the run; another scenario is refused without --force.
    assert_eq!(
        flowgap(
            &["run", &scenario_path("quadratic_above_threshold"), "--out", "res"],
            &dir
        )
        .status
        .code(),
        Some(0)
    );
    let other = flowgap(
        &["run", &scenario_path("quadratic_below_threshold"), "--out", "res"],
        &dir,
    );
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("--force"));
    assert_eq!(
        flowgap(
            &[
                "run",
                &scenario_path("quadratic_below_threshold"),
                "--out",
                "res",
                "--force"
            ],
            &dir
        )
        .status
        .code(),
        Some(0)
    );
    // A folder of someone else's files is never replaced.
    std::fs::create_dir_all(dir.join("mine")).unwrap();
    std::fs::write(dir.join("mine/notes.txt"), "keep").unwrap();
    let refused = flowgap(
        &[
            "run",
            &scenario_path("quadratic_below_threshold"),
            "--out",
            "mine",
            "--force",
        ],
        &dir,
    );
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.join("mine/notes.txt")).unwrap(),
        "keep"
    );
}

fn scenario_path(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
        .display()
        .to_string()
}
