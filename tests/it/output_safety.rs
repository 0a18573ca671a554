//! Output folders never lose a user's file (issue 17): every command that writes a folder (`run`,
//! `order`, `sweep`, `merge`) refuses an `--out` that is not a folder flowgap made (exit 2, untouched),
//! resolves `..` before checking, never deletes files it did not write, refuses an occupied folder before
//! computing, survives a full disk and a concurrent run without losing the previous output or leaving
//! strays, and takes long folder names. "Untouched" is checked on the whole temporary folder: a
//! snapshot of every entry (type, bytes, link target) before and after, canaries beside and inside the
//! target included.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn flowgap(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
}

/// A quick scenario named `name` with a comparison (so `order` and `sweep` take it too).
fn scenario(name: &str, steps: u64) -> String {
    format!(
        r#"name = "{name}"
[objective]
kind = "quadratic"
eigenvalues = [4.0, 1.0]
[init]
point = [1.0, 1.0]
[run]
step_size = 0.01
steps = {steps}
[[method]]
id = "gd"
kind = "gd"
[[method]]
id = "flow"
kind = "gradient_flow"
[[compare]]
a = "gd"
b = "flow"
[output]
figures = ["loss"]
"#
    )
}

/// A temporary folder holding `a.toml` (scenario `a`) and `b.toml` (scenario `b`).
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), scenario("a", 100)).unwrap();
    std::fs::write(dir.path().join("b.toml"), scenario("b", 100)).unwrap();
    dir
}

/// The arguments of each writing command for scenario file `file` into `out`.
fn command<'a>(cmd: &str, file: &'a str, out: &'a str) -> Vec<&'a str> {
    match cmd {
        "run" => vec!["run", file, "--out", out],
        "order" => vec!["order", file, "--step-sizes", "0.01,0.005", "--out", out],
        "sweep" => vec![
            "sweep",
            file,
            "--quiet",
            "--grid",
            "run.step_size=0.01,0.02",
            "--out",
            out,
        ],
        _ => unreachable!(),
    }
}

const COMMANDS: [&str; 3] = ["run", "order", "sweep"];

/// Every entry under `dir` (links not followed): its kind and bytes, or its link target.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    use std::os::unix::fs::FileTypeExt;
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let t = std::fs::symlink_metadata(&path).unwrap().file_type();
            let what = if t.is_symlink() {
                format!("link to {}", std::fs::read_link(&path).unwrap().display())
            } else if t.is_dir() {
                todo.push(path.clone());
                "folder".to_string()
            } else if t.is_file() {
                format!("file {:?}", std::fs::read(&path).unwrap())
            } else if t.is_fifo() {
                "fifo".to_string()
            } else {
                "device".to_string()
            };
            out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), what);
        }
    }
    out
}

/// Runs `args` in `dir`, expects exit 2 with a message naming `out`, and that nothing changed.
fn refused_untouched(dir: &Path, args: &[&str], says: &str) -> String {
    let before = snapshot(dir);
    let out = flowgap(args, dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains("will not write into") && err.contains(says),
        "{args:?}: {err}"
    );
    assert_eq!(snapshot(dir), before, "{args:?} changed the folder");
    err
}

#[test]
fn an_out_that_is_not_a_folder_is_refused_and_left_untouched() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("notes.txt"), "data").unwrap();
    assert!(Command::new("mkfifo")
        .arg(d.join("pipe"))
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink("notes.txt", d.join("to_file")).unwrap();
    std::os::unix::fs::symlink("nowhere", d.join("dangling")).unwrap();
    ok(&flowgap(&["run", "a.toml", "--out", "run"], d));
    std::os::unix::fs::symlink("run", d.join("to_run")).unwrap();
    let mut targets = vec![
        ("notes.txt", "a file"),
        ("pipe", "FIFO"),
        ("to_file", "symbolic link"),
        ("dangling", "symbolic link"),
        ("to_run", "symbolic link (to run)"),
    ];
    // A device node (a copy of /dev/null), where this user may make one.
    let made_device = Command::new("mknod")
        .arg(d.join("null"))
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made_device {
        targets.push(("null", "a device"));
    } else {
        eprintln!("mknod not allowed here: the device case is skipped");
    }
    for cmd in COMMANDS {
        for (target, says) in &targets {
            refused_untouched(d, &command(cmd, "a.toml", target), says);
        }
    }
    // `.`, `..` and `/` name no folder of its own.
    for out in [".", "..", "/"] {
        refused_untouched(d, &["run", "a.toml", "--out", out], "folder's name");
    }
}

#[test]
fn dotdot_and_links_in_the_path_are_resolved_before_the_check() {
    let dir = setup();
    let d = dir.path();
    std::fs::create_dir(d.join("victim")).unwrap();
    std::fs::write(d.join("victim/thesis.tex"), "years of work").unwrap();
    std::fs::write(d.join("notes.txt"), "data").unwrap();
    for cmd in COMMANDS {
        // `victim` is refused; so is the same folder reached through a folder that does not exist.
        refused_untouched(d, &command(cmd, "a.toml", "victim"), "thesis.tex");
        refused_untouched(d, &command(cmd, "a.toml", "nothere/../victim"), "thesis.tex");
        refused_untouched(
            d,
            &command(cmd, "a.toml", "nothere/deeper/../../victim"),
            "thesis.tex",
        );
        refused_untouched(d, &command(cmd, "a.toml", "./victim/."), "thesis.tex");
        // A file where a folder must be.
        refused_untouched(d, &command(cmd, "a.toml", "notes.txt/res"), "not a folder");
    }
    // A link among the ancestors is followed: the output lands in the folder it names.
    std::fs::create_dir(d.join("real")).unwrap();
    std::os::unix::fs::symlink("real", d.join("via")).unwrap();
    ok(&flowgap(&["run", "a.toml", "--out", "via/res"], d));
    assert!(d.join("real/res/summary.json").is_file());
    assert_eq!(std::fs::read_link(d.join("via")).unwrap(), Path::new("real"));
    // And a run through `..` of a missing folder writes where the path leads, creating nothing else.
    ok(&flowgap(&["run", "a.toml", "--out", "nothere/../fresh"], d));
    assert!(d.join("fresh/summary.json").is_file());
    assert!(!d.join("nothere").exists());
}

#[test]
fn a_rerun_never_deletes_files_flowgap_did_not_write() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("canary"), "beside").unwrap();
    for cmd in COMMANDS {
        let out = format!("{cmd}-res");
        ok(&flowgap(&command(cmd, "a.toml", &out), d));
        let res = d.join(&out);
        // A rerun of the same scenario replaces the folder.
        ok(&flowgap(&command(cmd, "a.toml", &out), d));
        // A file the user added, at the top or inside a folder flowgap made, stops it, --force or not.
        for added in ["notes.md", "figures/mine.png", "extra/data.csv"] {
            let path = res.join(added);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "mine").unwrap();
            let name = added.split('/').next().unwrap();
            refused_untouched(d, &command(cmd, "a.toml", &out), name);
            let mut forced = command(cmd, "a.toml", &out);
            forced.push("--force");
            let err = refused_untouched(d, &forced, name);
            assert!(err.contains("--force or not"), "{err}");
            std::fs::remove_file(&path).unwrap();
            let _ = std::fs::remove_dir(path.parent().unwrap()); // a folder the test made, if empty
        }
        // A flowgap file replaced by a link is not what flowgap wrote either.
        let summary = res.join(if cmd == "order" {
            "order.json"
        } else {
            "summary.json"
        });
        std::fs::rename(&summary, d.join("moved")).unwrap();
        std::os::unix::fs::symlink(d.join("moved"), &summary).unwrap();
        refused_untouched(d, &command(cmd, "a.toml", &out), "json");
        std::fs::remove_file(&summary).unwrap();
        std::fs::remove_file(d.join("moved")).unwrap();
        // With the foreign files gone, it runs again (a missing file of its own is no obstacle).
        ok(&flowgap(&command(cmd, "a.toml", &out), d));
        // A folder without flowgap's record of what it wrote is not replaced, even if it looks like output.
        std::fs::remove_file(res.join(".flowgap-manifest.json")).unwrap();
        let says = if cmd == "order" {
            "did not write"
        } else {
            "older flowgap"
        };
        refused_untouched(d, &command(cmd, "a.toml", &out), says);
    }
    assert_eq!(std::fs::read_to_string(d.join("canary")).unwrap(), "beside");
}

#[test]
fn another_scenarios_or_commands_output_needs_force() {
    let dir = setup();
    let d = dir.path();
    ok(&flowgap(&["run", "a.toml", "--out", "res"], d));
    // Another scenario, or another command's output of the same one: --force, and only then.
    for args in [
        command("run", "b.toml", "res"),
        command("order", "a.toml", "res"),
        command("sweep", "a.toml", "res"),
    ] {
        refused_untouched(d, &args, "--force");
    }
    for cmd in ["order", "sweep", "run"] {
        let mut args = command(cmd, "b.toml", "res");
        args.push("--force");
        ok(&flowgap(&args, d));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("res/.flowgap-manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["kind"], cmd);
        assert_eq!(manifest["scenario"], "b");
    }
}

#[test]
fn concurrent_runs_into_one_folder_succeed_or_one_is_refused_as_in_use() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("slow.toml"), scenario("slow", 20_000)).unwrap();
    let mut in_use = 0;
    for round in 0..12 {
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_flowgap"))
                .args(["run", "slow.toml", "--out", "res"])
                .current_dir(d)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        for out in &outs {
            match out.status.code() {
                Some(0) => {}
                Some(2) => {
                    assert!(
                        stderr(out).contains("in use by another flowgap"),
                        "{}",
                        stderr(out)
                    );
                    in_use += 1;
                }
                code => panic!("round {round}: exit {code:?}: {}", stderr(out)),
            }
        }
        assert!(
            outs.iter().any(|o| o.status.success()),
            "round {round}: both refused"
        );
        let mut beside: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        beside.sort();
        assert_eq!(
            beside,
            ["a.toml", "b.toml", "res", "slow.toml"],
            "round {round}: strays"
        );
        assert!(d.join("res/summary.json").is_file());
    }
    eprintln!("{in_use} of 24 runs were refused as in use");
}

#[test]
fn a_folder_name_of_250_bytes_is_written_and_rewritten() {
    let dir = setup();
    let d = dir.path();
    let long = "n".repeat(250);
    for cmd in COMMANDS {
        let out = format!("{cmd}{}", &long[cmd.len()..]);
        ok(&flowgap(&command(cmd, "a.toml", &out), d));
        ok(&flowgap(&command(cmd, "a.toml", &out), d));
        assert!(d.join(&out).join(".flowgap-manifest.json").is_file());
    }
    let names: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "strays: {names:?}");
}

#[test]
fn an_occupied_folder_is_refused_before_the_run_is_computed() {
    let dir = setup();
    let d = dir.path();
    // 10⁹ GD steps (the most a scenario may ask for): ten seconds or more of work, if it were started.
    let slow = scenario("long", 1_000_000_000).replace(
        "[[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n[[compare]]\na = \"gd\"\nb = \"flow\"\n",
        "",
    );
    let slow = slow.replace(
        "steps = 1000000000",
        "steps = 1000000000\nrecord_every = 100000000",
    );
    std::fs::write(d.join("long.toml"), slow).unwrap();
    std::fs::create_dir(d.join("taken")).unwrap();
    std::fs::write(d.join("taken/notes.md"), "mine").unwrap();
    for (args, says) in [
        (vec!["run", "long.toml", "--out", "taken"], "notes.md"),
        (vec!["run", "long.toml", "--out", "taken/notes.md"], "a file"),
    ] {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowgap"))
            .args(&args)
            .current_dir(d)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{args:?}: still running after 5 s: the run was computed before the check");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(2));
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(err.contains(says), "{err}");
    }
}

/// A tmpfs of `kib` KiB mounted at `at`, unmounted on drop; `None` where mounting is not allowed.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, kib: u64) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_the_previous_output_and_leaves_nothing_else() {
    let dir = setup();
    let d = dir.path();
    let Some(_disk) = SmallDisk::mount(&d.join("disk"), 2048) else {
        eprintln!("cannot mount a tmpfs here: the full-disk test is skipped");
        return;
    };
    let disk = d.join("disk");
    // A first output of each command, small enough to fit.
    for cmd in COMMANDS {
        let out = format!("disk/{cmd}");
        ok(&flowgap(&command(cmd, "a.toml", &out), d));
    }
    // And a merge of two small shards (the shards off the small disk).
    let shards = |grid: &str| {
        for i in 0..2 {
            let (shard, out) = (format!("{i}/2"), format!("part{i}"));
            let args = [
                "sweep", "a.toml", "--quiet", "--grid", grid, "--shard", &shard, "--out", &out, "--force",
            ];
            ok(&flowgap(&args, d));
        }
    };
    shards("run.step_size=0.01,0.02");
    ok(&flowgap(&["merge", "part0", "part1", "--out", "disk/merge"], d));
    shards("run.step_size=0.0001:0.01:400");
    // Then a canary beside them, and filler until little room is left.
    std::fs::write(disk.join("canary"), "beside").unwrap();
    let free = |p: &Path| {
        let out = Command::new("df")
            .args(["--output=avail", "-k"])
            .arg(p)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let filler = free(&disk).saturating_sub(24) * 1024;
    std::fs::write(disk.join("filler"), vec![7u8; filler as usize]).unwrap();
    // A mount point cannot be replaced by a rename: refused before anything is written.
    refused_untouched(d, &command("run", "a.toml", "disk"), "mount point");
    // The same commands with more to write than the room left: exit 1 naming the output, the previous
    // output whole, nothing beside it.
    std::fs::write(d.join("a.toml"), scenario("a", 20_000)).unwrap();
    let before = snapshot(&disk);
    for cmd in COMMANDS {
        let out = format!("disk/{cmd}");
        let mut args = command(cmd, "a.toml", &out);
        if cmd == "sweep" {
            args[4] = "run.step_size=0.0001:0.01:400";
        }
        let result = flowgap(&args, d);
        let err = stderr(&result);
        assert_eq!(result.status.code(), Some(1), "{cmd}: {err}");
        assert!(err.contains("No space left"), "{cmd}: {err}");
        // A file's error names it in the output folder (a figure's names the figure).
        assert!(err.contains(&out) || err.contains("figure"), "{cmd}: {err}");
        assert!(
            !err.contains("staging"),
            "{cmd}: the message names the staging folder: {err}"
        );
        assert_eq!(snapshot(&disk), before, "{cmd}: the disk's contents changed");
    }
    let result = flowgap(&["merge", "part0", "part1", "--out", "disk/merge"], d);
    assert_eq!(result.status.code(), Some(1), "merge: {}", stderr(&result));
    assert!(
        stderr(&result).contains("No space left"),
        "merge: {}",
        stderr(&result)
    );
    assert_eq!(snapshot(&disk), before, "merge: the disk's contents changed");
}
