//! The bad-input corpus: every file in tests/bad_inputs/ is a scenario with one defect, and its first line
//! says where the defect is: `# expect: key=<dotted key> line=<n> [contains=<text>]`. Each must be refused
//! by the binary with exit code 2, a message naming `file:line:` and the key (and the text, when given),
//! no panic, and nothing written.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a corpus file's first line promises about its error.
struct Expect {
    key: String,
    line: usize,
    contains: Option<String>,
}

/// Reads the `# expect:` line (after an optional UTF-8 byte-order mark; the rest of the file may be
/// anything, even bytes that are not UTF-8).
fn expectation(path: &Path) -> Result<Expect, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = std::str::from_utf8(first).map_err(|_| "the expect line is not UTF-8".to_string())?;
    let rest = first
        .strip_prefix("# expect:")
        .ok_or("the first line is not `# expect: key=... line=...`")?;
    let (fields, contains) = match rest.split_once(" contains=") {
        Some((f, c)) => (f, Some(c.to_string())),
        None => (rest, None),
    };
    let mut key = None;
    let mut line = None;
    for field in fields.split_whitespace() {
        match field.split_once('=') {
            Some(("key", k)) => key = Some(k.to_string()),
            Some(("line", n)) => line = n.parse().ok(),
            _ => return Err(format!("unknown field `{field}` in the expect line")),
        }
    }
    Ok(Expect {
        key: key.ok_or("no key= in the expect line")?,
        line: line.ok_or("no line=<number> in the expect line")?,
        contains,
    })
}

/// Runs one corpus file and returns what is wrong with the refusal (empty when it is right).
fn check(path: &Path) -> Vec<String> {
    let expect = match expectation(path) {
        Ok(e) => e,
        Err(e) => return vec![e],
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .arg("run")
        .arg(path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .current_dir(dir.path())
        // The budget cases assume the default memory and work budgets.
        .env_remove("FLOWGAP_MEMORY_BUDGET")
        .env_remove("FLOWGAP_WORK_BUDGET")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = path.file_name().unwrap().to_string_lossy();
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit code {:?}, expected 2", out.status.code()));
    }
    let file_line = format!("{name}:{}:", expect.line);
    if !stderr.contains(&file_line) {
        problems.push(format!("`{file_line}` not in stderr"));
    }
    if !stderr.contains(&format!(": {}:", expect.key)) {
        problems.push(format!("key `{}` not named in stderr", expect.key));
    }
    if let Some(text) = &expect.contains {
        if !stderr.contains(text.as_str()) {
            problems.push(format!("`{text}` not in stderr"));
        }
    }
    if stderr.contains("panicked") {
        problems.push("it panicked".to_string());
    }
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    if !written.is_empty() {
        problems.push(format!("a refused scenario wrote {written:?}"));
    }
    problems
        .into_iter()
        .map(|p| format!("{name}: {p}\n    stderr: {}", stderr.trim()))
        .collect()
}

#[test]
fn every_bad_input_is_refused_with_its_location_and_nothing_written() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 50, "the corpus has only {} files", files.len());
    let failures: Vec<String> = files.iter().flat_map(|f| check(f)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not refused properly:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The harness itself: a scenario that is fine must be reported, so the corpus test cannot pass on
/// files that are not bad.
#[test]
fn the_harness_reports_a_file_that_is_not_bad() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fine.toml");
    std::fs::write(
        &path,
        "# expect: key=run.steps line=9\nname = \"fine\"\n[objective]\nkind = \"himmelblau\"\n[init]\n\
         point = [1.0, 1.0]\n[run]\nstep_size = 0.01\nsteps = 2\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n\
         [output]\nfigures = []\n",
    )
    .unwrap();
    let problems = check(&path);
    assert!(
        problems.iter().any(|p| p.contains("exit code Some(0)")),
        "{problems:?}"
    );
}
