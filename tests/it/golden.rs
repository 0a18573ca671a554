//! A moved result or a missing golden file fails loudly (every named scenario is checked against its golden
//! file by tests/it/scenarios.rs, in the same pass that writes its output).

use flowgap::golden;
use std::path::Path;
use std::process::Command;

/// A copy of a scenario whose golden file pins a loss that is off by more than its tolerance must fail
/// with exit code 1, naming the method, quantity, time, expected and found values; without a golden file
/// the check fails too; `--bless` writes one that then passes.
#[test]
fn a_moved_value_or_a_missing_golden_file_fails_the_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("flowgap-golden-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("golden")).unwrap();
    let scenario = dir.join("quadratic_below_threshold.toml");
    std::fs::copy(root.join("scenarios/quadratic_below_threshold.toml"), &scenario).unwrap();
    let flowgap = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_flowgap"))
            .args(args)
            .output()
            .unwrap()
    };
    let s = scenario.to_str().unwrap();

    let missing = flowgap(&["check", s]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("--bless"));

    assert_eq!(flowgap(&["check", "--bless", s]).status.code(), Some(0));
    assert_eq!(flowgap(&["check", s]).status.code(), Some(0));

    // Move θ₁ of the flow at the second pinned point (t ≈ 1, θ₁ ≈ e^{−1}) by 1e-6 relative: far beyond
    // dop853's allowance of 100·rtol = 1e-8 relative plus 100·atol = 1e-10.
    let golden_path = dir.join("golden/quadratic_below_threshold.json");
    let mut g: golden::Golden =
        serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap();
    let flow = g.methods.iter_mut().find(|m| m.id == "flow").unwrap();
    let last = &mut flow.points[1];
    last.theta[1] *= 1.0 + 1e-6;
    let t_last = last.t;
    std::fs::write(&golden_path, serde_json::to_string_pretty(&g).unwrap()).unwrap();
    let failed = flowgap(&["check", s]);
    assert_eq!(failed.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        stdout.contains(&format!("flow theta_1 at t={t_last}")),
        "{stdout}"
    );
    assert!(stdout.contains("the allowed difference"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tolerances_accept_within_and_refuse_beyond() {
    let tol = golden::Tolerance {
        rel: 1e-9,
        abs: 1e-12,
    };
    assert!(tol.accepts(1.0, 1.0 + 0.9e-9));
    assert!(!tol.accepts(1.0, 1.0 + 1.2e-9));
    assert!(tol.accepts(0.0, 0.9e-12));
    assert!(!tol.accepts(0.0, 1.1e-12));
    assert!(tol.accepts(f64::NAN, f64::NAN));
    assert!(!tol.accepts(1.0, f64::NAN));
}

fn flowgap(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(args)
        .output()
        .unwrap()
}

/// A fresh temporary folder holding a copy of the named scenario `name` (and, with `golden`, of its
/// golden file in `golden/`, and of the data folder). Returns the folder and the scenario's path.
fn copy_scenario(tag: &str, name: &str, golden: bool) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let dir = std::env::temp_dir().join(format!("flowgap-golden-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("golden")).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(root.join("data/iris.csv"), dir.join("data/iris.csv")).unwrap();
    let scenario = dir.join(format!("{name}.toml"));
    std::fs::copy(root.join(format!("{name}.toml")), &scenario).unwrap();
    if golden {
        std::fs::copy(
            root.join(format!("golden/{name}.json")),
            dir.join(format!("golden/{name}.json")),
        )
        .unwrap();
    }
    (dir, scenario)
}

/// stdout and stderr of `flowgap check ARGS`, which must exit with `code` within a minute and not panic.
fn check_exits(args: &[&str], code: i32) -> (String, String) {
    let started = std::time::Instant::now();
    let out = flowgap(&[&["check"], args].concat());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(code), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
    (stdout, stderr)
}

/// Removes whatever is at `path` (file, folder, link, FIFO).
fn clear(path: &Path) {
    let _ = std::fs::remove_dir_all(path).or_else(|_| std::fs::remove_file(path));
}

#[test]
fn unusable_golden_files_are_bad_input_and_never_pass() {
    let name = "quadratic_below_threshold";
    let (dir, scenario) = copy_scenario("unusable", name, true);
    let s = scenario.to_str().unwrap();
    let golden_path = dir.join(format!("golden/{name}.json"));
    let good = std::fs::read_to_string(&golden_path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();
    check_exits(&[s], 0);

    // Golden files that would check nothing, or another scenario, or with impossible tolerances.
    let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = value.clone();
        edit(&mut v);
        serde_json::to_string_pretty(&v).unwrap()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            edited(&|v| v["methods"] = serde_json::json!([])),
            "checks nothing",
        ),
        (
            edited(&|v| v["methods"][0]["points"] = serde_json::json!([])),
            "pins no points of method `gd`",
        ),
        (
            edited(&|v| v["methods"][1]["points"] = serde_json::json!([])),
            "pins no points of method `flow`",
        ),
        (
            edited(&|v| v["scenario"] = serde_json::json!("logistic_iris")),
            "does not match this scenario",
        ),
        (
            edited(&|v| {
                let first = v["methods"][0].clone();
                v["methods"] = serde_json::json!([first]);
            }),
            "does not match this scenario",
        ),
        (
            edited(&|v| v["methods"][0]["tolerance"]["rel"] = serde_json::json!(-1e-9)),
            "must be finite and ≥ 0",
        ),
        (
            edited(&|v| v["methods"][1]["tolerance"]["abs"] = serde_json::json!(-1.0)),
            "must be finite and ≥ 0",
        ),
        (
            edited(&|v| v["comparisons"][0]["tolerance"]["rel"] = serde_json::json!(-0.5)),
            "must be finite and ≥ 0",
        ),
        (
            edited(&|v| v["methods"][0]["points"][3]["roundoff"]["theta"] = serde_json::json!(-1e-3)),
            "must be finite and ≥ 0",
        ),
        // Not a golden file at all: empty, garbage, cut in half, other JSON.
        (String::new(), "golden file is unreadable"),
        ("\u{0}\u{1}garbage ÿ".to_string(), "golden file is unreadable"),
        (good[..good.len() / 2].to_string(), "golden file is unreadable"),
        ("[]".to_string(), "golden file is unreadable"),
        ("{\"scenario\": 3}".to_string(), "golden file is unreadable"),
    ];
    for (text, expect) in &cases {
        std::fs::write(&golden_path, text).unwrap();
        let (stdout, stderr) = check_exits(&[s], 2);
        assert!(stderr.contains(expect), "{expect}: {stderr}");
        assert!(stderr.contains(&format!("{name}.json")), "{stderr}");
        assert!(stdout.contains(&format!("BAD     {name}")), "{stdout}");
        assert!(
            !stdout.contains("quantities moved") && !stdout.contains("ok "),
            "{stdout}"
        );
    }
    // Non-UTF-8 bytes, and things that are not a regular file: refused without blocking.
    std::fs::write(&golden_path, [0xff, 0xfe, b'{']).unwrap();
    assert!(check_exits(&[s], 2).1.contains("not UTF-8"));
    for (what, expect) in [
        ("fifo", "FIFO"),
        ("folder", "folder"),
        ("devzero", "device"),
        ("huge", "larger than"),
    ] {
        clear(&golden_path);
        match what {
            "fifo" => assert!(Command::new("mkfifo")
                .arg(&golden_path)
                .status()
                .unwrap()
                .success()),
            "folder" => std::fs::create_dir(&golden_path).unwrap(),
            "devzero" => std::os::unix::fs::symlink("/dev/zero", &golden_path).unwrap(),
            _ => std::fs::File::create(&golden_path)
                .unwrap()
                .set_len((4 << 30) + 1)
                .unwrap(),
        }
        let (_, stderr) = check_exits(&[s], 2);
        assert!(
            stderr.contains(expect) && stderr.contains("golden file is unreadable"),
            "{what}: {stderr}"
        );
    }
    // Another scenario after the unusable one is still checked, and the command exits 2.
    clear(&golden_path);
    std::fs::write(&golden_path, "{").unwrap();
    let (other_dir, other) = copy_scenario("unusable-other", "quadratic_at_threshold", true);
    let (stdout, _) = check_exits(&[s, other.to_str().unwrap()], 2);
    assert!(stdout.contains("ok      quadratic_at_threshold"), "{stdout}");

    // --bless replaces the unusable file, saying so; the new one passes.
    let (stdout, _) = check_exits(&["--bless", s], 0);
    assert!(stdout.contains("replaced an unusable golden file"), "{stdout}");
    check_exits(&[s], 0);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&other_dir).unwrap();
}

#[test]
fn a_changed_setting_is_named_by_its_dotted_key_with_old_and_new_values() {
    let name = "quadratic_below_threshold";
    let (dir, scenario) = copy_scenario("settings", name, true);
    let s = scenario.to_str().unwrap();
    let text = std::fs::read_to_string(&scenario).unwrap();
    for (from, to, expect) in [
        (
            "step_size = 0.0196",
            "step_size = 0.019796",
            "setting run.step_size: 0.0196 → 0.019796",
        ),
        (
            "point = [1.0, 1.0]",
            "point = [1.0, 1.5]",
            "setting init[1]: 1.0 → 1.5",
        ),
        (
            "rtol = 1e-10",
            "rtol = 1e-9",
            "setting methods[flow].settings.rtol: 1e-10 → 1e-9",
        ),
    ] {
        assert_eq!(text.matches(from).count(), 1, "{from}");
        std::fs::write(&scenario, text.replace(from, to)).unwrap();
        let (stdout, _) = check_exits(&[s], 1);
        assert!(stdout.contains(expect), "{expect}: {stdout}");
        assert!(stdout.contains("changed"), "{stdout}");
        // Not the whole settings object: a few short lines.
        assert!(!stdout.contains("\"objective\""), "{stdout}");
        assert!(stdout.lines().count() <= 6, "{stdout}");
        assert!(stdout.lines().all(|l| l.chars().count() < 200), "{stdout}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn many_moved_values_are_summarised_per_method_in_a_few_lines() {
    let name = "quadratic_below_threshold";
    let (dir, scenario) = copy_scenario("many", name, true);
    let s = scenario.to_str().unwrap();
    let golden_path = dir.join(format!("golden/{name}.json"));
    let mut g: golden::Golden =
        serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap();
    // Move every pinned value of both methods from the third point on by 1e-3 relative plus 1e-6: far
    // beyond every allowance (at most 1e-8 relative plus 1e-10).
    let shift = |x: &mut f64| *x = *x * (1.0 + 1e-3) + 1e-6;
    let mut moved = 0;
    let mut third_t = Vec::new();
    for m in &mut g.methods {
        third_t.push(m.points[2].t);
        for p in m.points.iter_mut().skip(2) {
            shift(&mut p.loss);
            p.theta.iter_mut().for_each(shift);
            moved += 3;
        }
    }
    std::fs::write(&golden_path, serde_json::to_string_pretty(&g).unwrap()).unwrap();
    let (stdout, _) = check_exits(&[s], 1);
    assert!(
        stdout.contains(&format!("FAILED  {name}: {moved} quantities moved")),
        "{stdout}"
    );
    for (id, third_t) in ["gd", "flow"].into_iter().zip(third_t) {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{id}: ")))
            .unwrap_or_else(|| panic!("no summary line for {id}: {stdout}"));
        assert!(line.contains(&format!("{} moved", moved / 2)), "{line}");
        assert!(
            line.contains("worst") && line.contains("× the allowed difference"),
            "{line}"
        );
        assert!(line.contains(&format!("first at t={third_t}")), "{line}");
    }
    assert!(
        stdout.contains(&format!("… and {} more", moved - golden::LISTED)),
        "{stdout}"
    );
    assert!(stdout.lines().count() <= 3 + golden::LISTED + 1, "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_changed_data_file_is_named_as_the_cause() {
    let name = "linear_regression_iris";
    let (dir, scenario) = copy_scenario("data", name, false);
    let s = scenario.to_str().unwrap();
    let (stdout, _) = check_exits(&["--bless", s], 0);
    assert!(stdout.contains("new golden file"), "{stdout}");
    let golden_path = dir.join(format!("golden/{name}.json"));
    let g: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap();
    assert_eq!(g["data_files"][0]["path"], "data/iris.csv");
    assert!(g["data_files"][0]["hash"]
        .as_str()
        .unwrap()
        .starts_with("fnv1a64:"));
    check_exits(&[s], 0);

    let data = dir.join("data/iris.csv");
    let good = std::fs::read_to_string(&data).unwrap();
    // A column the scenario does not use: the results stand, the data file is still named.
    std::fs::write(&data, good.replacen(",setosa\n", ",setosx\n", 1)).unwrap();
    let (stdout, _) = check_exits(&[s], 1);
    assert!(
        stdout.contains(&format!("FAILED  {name}: 1 data file changed")),
        "{stdout}"
    );
    assert!(
        stdout.contains("data file data/iris.csv changed since the golden file was blessed: fnv1a64:"),
        "{stdout}"
    );
    // One cell the fit uses: the data file first, then what moved, in a few lines.
    std::fs::write(&data, good.replacen("\n5.1,3.5,", "\n5.1,3.6,", 1)).unwrap();
    let (stdout, _) = check_exits(&[s], 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[1].contains("data file data/iris.csv changed"), "{stdout}");
    assert!(lines.len() <= 2 * golden::LISTED + 6, "{stdout}");
    std::fs::write(&data, &good).unwrap();
    check_exits(&[s], 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Unmounts a test's tmpfs when dropped, failing or not.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn bless_on_a_full_disk_keeps_the_old_golden_file_and_leaves_no_temporary() {
    let name = "quadratic_below_threshold";
    let (dir, scenario) = copy_scenario("full", name, false);
    let disk = dir.join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=200k", "tmpfs", disk.to_str().unwrap()])
        .output();
    if !mounted.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot mount a tmpfs here");
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let _unmount = Mounted(disk.clone());
    std::fs::create_dir_all(disk.join("golden")).unwrap();
    let on_disk = disk.join(format!("{name}.toml"));
    std::fs::copy(&scenario, &on_disk).unwrap();
    let old = b"{\"old\": true}\n";
    let golden_path = disk.join(format!("golden/{name}.json"));
    std::fs::write(&golden_path, old).unwrap();
    // Fill the disk.
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(disk.join("filler")).unwrap();
        while filler.write_all(&[0u8; 1024]).is_ok() {}
        let _ = filler.sync_all();
    }
    let (_, stderr) = check_exits(&["--bless", on_disk.to_str().unwrap()], 1);
    assert!(stderr.contains(&format!("{name}.json")), "{stderr}");
    let left: Vec<String> = std::fs::read_dir(disk.join("golden"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, [format!("{name}.json")]);
    assert_eq!(std::fs::read(&golden_path).unwrap(), old);
    // With room again the same bless replaces the old (unusable) file.
    std::fs::remove_file(disk.join("filler")).unwrap();
    let (stdout, _) = check_exits(&["--bless", on_disk.to_str().unwrap()], 0);
    assert!(stdout.contains("replaced an unusable golden file"), "{stdout}");
    check_exits(&[on_disk.to_str().unwrap()], 0);
    drop(_unmount);
    std::fs::remove_dir_all(&dir).unwrap();
}
