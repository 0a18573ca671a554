//! The docs must name only what the program has.
//!
//! README.md and docs/*.md write the program's names in backticks: termination statuses, end states,
//! summary.json keys, CSV columns, output files, figures, scenario keys and names, subcommands and flags.
//! This test collects every backticked span of those files and checks each name in it against the
//! program itself, so a renamed or misspelt name in a doc fails `cargo test`:
//!
//! - a word (`period2`, `final_loss`, `theta_0`, `Termination`) must occur in src/ as an identifier or
//!   inside a string literal (comments do not count: a stale comment must not vouch for a stale doc), as
//!   an enum variant's serde name (`Period2` → `period2`), or be a named scenario or bad-input corpus
//!   file; indexed names (`theta_i`, `lambda_1`) also match a literal template (`"theta_{i}"`);
//! - a flag (`--out`) must be in `flowgap --help` or a subcommand's help, and `flowgap CMD …` must name
//!   a subcommand that has every flag the span gives it;
//! - a repository path (`src/diagnostics/`, `tests/it/kill.rs`) must exist; `cargo test --test X` and
//!   `cargo bench --bench X` must name an existing target, and a test function named in backticks must
//!   exist in tests/ or src/.
//!
//! Nothing is listed by hand except [`NOT_PROGRAM_NAMES`], the backticked words that are not the
//! program's (maths, other crates, example values), and [`OPTIONAL_PATHS`]: a new status, key or flag
//! is found in src/ by itself, so documenting it needs no change here.
//! Fenced code blocks are not read (their TOML examples are checked by the scenarios' own tests).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Backticked words that are not names of this program, grouped by why a doc writes them. Each is
/// here because a doc needs it; a word the program has is found without this list.
#[rustfmt::skip]
const NOT_PROGRAM_NAMES: &[&str] = &[
    // Cell values a user writes or the CSV fuzzer tries.
    "abc", "inf", "NaN",
    // Index placeholders of the maths: layer widths h_1 … h_{D−1}, per-layer scales s_1 … s_L.
    "h_1", "s_1", "s_L",
    // Functions of the formula language that exmex provides and src/ does not name (docs/objectives.md).
    "tan", "asin", "acos", "atan", "cosh", "asinh", "acosh", "atanh", "signum", "trunc",
    // OpenType tables and the PNG chunk that the font subsetter and the encoder write (docs/figures.md).
    "cmap", "notdef", "hhea", "hmtx", "maxp", "OS", "post", "cvt", "fpgm", "prep", "GPOS", "GSUB",
    "GDEF", "pHYs",
    // Other crates' and Rust's names: proptest, serde_json's feature, std, nalgebra.
    "Config", "cases", "PROPTEST_CASES", "float_roundtrip", "catch_unwind", "SVector",
    // The environment: the process id in staging-folder names, rayon's and glibc's variables.
    "PID", "RAYON_NUM_THREADS", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
    // An example file name in a message a user may see (docs/troubleshooting.md).
    "mine",
    // The JAX and numpy/scipy side of the benchmark comparison (README, Speed), its variable and venv.
    "jax", "lax", "scan", "vmap", "value_and_grad", "SaveAt", "solve_ivp", "FLOWGAP_JSON", "wN",
    "venv", "python", "bin",
];

/// Repository paths the docs name that need not exist in a checkout.
const OPTIONAL_PATHS: &[&str] = &[
    // proptest creates it on fuzz_csv's first failure (docs/fuzzing.md says so); none so far.
    "tests/it/fuzz_csv.proptest-regressions",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, as (path relative to the root, text).
fn doc_files() -> Vec<(String, String)> {
    let mut files = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ is readable")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| format!("docs/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(root().join(&f)).expect("doc is readable");
            (f, text)
        })
        .collect()
}

/// The inline code spans of a markdown text with the line each starts on. Fenced blocks are skipped. A
/// span may run over a line break within a paragraph, as markdown allows, but not past a blank line,
/// and a table row's cells are read one by one (GFM splits a row at `|` before it reads code spans).
fn code_spans(text: &str) -> Vec<(usize, String)> {
    let mut blocks: Vec<(usize, String)> = Vec::new();
    let mut paragraph: Option<(usize, String)> = None;
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            fenced = !fenced;
            blocks.extend(paragraph.take());
        } else if fenced || trimmed.is_empty() {
            blocks.extend(paragraph.take());
        } else if trimmed.starts_with('|') {
            blocks.extend(paragraph.take());
            // Cells end at an unescaped `|`.
            let mut cell = String::new();
            let mut chars = trimmed.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if chars.peek() == Some(&'|') => cell.push(chars.next().unwrap()),
                    '|' => blocks.push((number, std::mem::take(&mut cell))),
                    _ => cell.push(c),
                }
            }
            blocks.push((number, cell));
        } else {
            match &mut paragraph {
                Some((_, p)) => {
                    p.push('\n');
                    p.push_str(line);
                }
                None => paragraph = Some((number, line.to_string())),
            }
        }
    }
    blocks.extend(paragraph);
    blocks
        .iter()
        .flat_map(|(first, block)| spans_of_block(*first, block))
        .collect()
}

/// The code spans of one paragraph or table cell starting on line `first`.
fn spans_of_block(first: usize, block: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = block.chars().collect();
    let mut spans = Vec::new();
    let mut line = first;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if chars[i] != '`' {
            i += 1;
            continue;
        }
        // An opening run of n backticks is closed by the next run of exactly n.
        let run = chars[i..].iter().take_while(|&&c| c == '`').count();
        let start = i + run;
        let mut j = start;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let r = chars[j..].iter().take_while(|&&c| c == '`').count();
                if r == run {
                    close = Some(j);
                    break;
                }
                j += r;
            } else {
                j += 1;
            }
        }
        let Some(end) = close else {
            i = start;
            continue;
        };
        let span: String = chars[start..end].iter().collect();
        spans.push((line, span.trim().to_string()));
        line += span.matches('\n').count();
        i = end + run;
    }
    spans
}

/// The Rust source of a file without its comments, and the contents of its string literals.
fn strip_rust(src: &str) -> (String, Vec<String>) {
    let c: Vec<char> = src.chars().collect();
    let mut code = String::new();
    let mut literals = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#'))
            && !c[..i].last().is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string r"…" or r#"…"#.
            let hashes = c[i + 1..].iter().take_while(|&&h| h == '#').count();
            let open = i + 1 + hashes;
            if c.get(open) != Some(&'"') {
                code.push(c[i]);
                i += 1;
                continue;
            }
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let rest: String = c[open + 1..].iter().collect();
            let len = rest.find(&closing).unwrap_or(rest.len());
            literals.push(rest[..len].to_string());
            code.push(' ');
            i = open + 1 + rest[..len].chars().count() + closing.chars().count();
        } else if c[i] == '"' {
            let mut s = String::new();
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                if i < c.len() {
                    s.push(c[i]);
                }
                i += 1;
            }
            i += 1;
            literals.push(s);
            code.push(' ');
        } else if c[i] == '\'' && (c.get(i + 2) == Some(&'\'') || c.get(i + 1) == Some(&'\\')) {
            // A char literal ('a', '\n', '\''); a lifetime ('a) has no closing quote and stays code.
            i += 1;
            while i < c.len() && c[i] != '\'' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            code.push(' ');
        } else {
            code.push(c[i]);
            i += 1;
        }
    }
    (code, literals)
}

/// The runs of letters, digits and `_` in `s` (each a candidate name).
fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// A name with its index segments made wildcards: `theta_i_mean`, `theta_3_mean` → `theta_#_mean`.
fn template_of_name(w: &str) -> String {
    w.split('_')
        .map(|seg| {
            let index =
                seg.chars().all(|c| c.is_ascii_digit()) || ["i", "j", "k", "d", "n", "l"].contains(&seg);
            if index && !seg.is_empty() {
                "#"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// serde's `rename_all = "snake_case"` of a variant name: `SolverFailed` → `solver_failed`.
fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, ch) in ident.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn file_stems(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// What the program calls things.
struct Program {
    /// Identifiers, words of string literals and serde names of src/, named scenarios, corpus files.
    names: BTreeSet<String>,
    /// Those names, and string-literal templates (`"lambda_{}"`), with index segments as `#`.
    templates: BTreeSet<String>,
    /// Test and bench function names (`fn NAME`) in tests/, benches/ and src/.
    functions: BTreeSet<String>,
    /// Subcommand → its flags (the global ones included); "" holds the top level's.
    flags: Vec<(String, BTreeSet<String>)>,
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(args)
        .arg("--help")
        .output()
        .expect("flowgap runs");
    assert!(out.status.success(), "flowgap {args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

fn flags_in(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_string)
        .collect()
}

impl Program {
    fn read() -> Program {
        let mut names = BTreeSet::new();
        let mut templates = BTreeSet::new();
        let mut functions = BTreeSet::new();
        let mut files = Vec::new();
        rust_files(&root().join("src"), &mut files);
        // The Python package's extension (docs/python.md names its API).
        rust_files(&root().join("python").join("src"), &mut files);
        let src_count = files.len();
        // And its Python module: the words of its code (comment lines left out).
        for entry in std::fs::read_dir(root().join("python").join("flowgap")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "py") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
                    names.extend(words(line).map(str::to_string));
                }
            }
        }
        rust_files(&root().join("tests"), &mut files);
        rust_files(&root().join("benches"), &mut files);
        for (n, path) in files.iter().enumerate() {
            let (code, literals) = strip_rust(&std::fs::read_to_string(path).unwrap());
            let code_words: Vec<&str> = words(&code).collect();
            for pair in code_words.windows(2) {
                if pair[0] == "fn" {
                    functions.insert(pair[1].to_string());
                }
            }
            // Names come from src/ and benches/ (the README's Speed section names bench ids and
            // variables), not from tests/: a test may spell a name that the program does not have.
            if n >= src_count && !path.starts_with(root().join("benches")) {
                continue;
            }
            for w in code_words {
                names.insert(w.to_string());
                names.insert(snake_case(w));
            }
            for lit in &literals {
                // "{i}" and "{}" in a format string stand for an index or a name.
                let mut filled = String::new();
                let mut in_braces = false;
                for ch in lit.chars() {
                    match ch {
                        '{' => {
                            in_braces = true;
                            filled.push('#');
                        }
                        '}' => in_braces = false,
                        _ if !in_braces => filled.push(ch),
                        _ => {}
                    }
                }
                for w in filled.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#')) {
                    if w.contains('#') {
                        templates.insert(w.to_string());
                    }
                }
                for w in words(lit) {
                    names.insert(w.to_string());
                }
            }
        }
        // The Python side of the benchmark comparison: its file names (`run.sh`, `w1.py`). Not its
        // text: Python's `lambda` would vouch for a `lambda` key the program does not have.
        for name in file_stems(&root().join("benches/python")) {
            for w in words(&name) {
                names.insert(w.to_string());
            }
        }
        names.insert("sh".to_string());
        names.insert("py".to_string());
        for stem in file_stems(&root().join("scenarios"))
            .into_iter()
            .chain(file_stems(&root().join("scenarios/data")))
        {
            names.insert(stem);
        }
        for stem in file_stems(&root().join("tests/bad_inputs")) {
            names.insert(stem);
        }
        for name in &names {
            templates.insert(template_of_name(name));
        }

        let top = help(&[]);
        let global = flags_in(&top);
        let mut flags = vec![(String::new(), global.clone())];
        let commands = top.split("Commands:").nth(1).expect("help lists commands");
        let commands = commands.split("Options:").next().unwrap();
        for line in commands.lines() {
            let Some(cmd) = line.split_whitespace().next() else {
                continue;
            };
            if cmd == "help" {
                continue;
            }
            let text = help(&[cmd]);
            for w in words(&text) {
                names.insert(w.to_string());
            }
            let mut own = flags_in(&text);
            own.extend(global.iter().cloned());
            flags.push((cmd.to_string(), own));
        }
        Program {
            names,
            templates,
            functions,
            flags,
        }
    }

    fn all_flags(&self) -> BTreeSet<&str> {
        self.flags
            .iter()
            .flat_map(|(_, f)| f.iter().map(String::as_str))
            .collect()
    }

    fn knows_word(&self, w: &str) -> bool {
        if self.names.contains(w) || self.functions.contains(w) || NOT_PROGRAM_NAMES.contains(&w) {
            return true;
        }
        // `csv_*`, `fuzz_*.toml`: a prefix of some name.
        if w.ends_with('_') {
            return self.names.iter().any(|n| n.starts_with(w) && n.len() > w.len());
        }
        // An indexed name (`theta_3`, `minimum_i`) against the same template in src/, or any name
        // against a format-string template (`"{name}_mean"` covers `theta_norm_mean`).
        w.contains('_')
            && (self.templates.contains(&template_of_name(w))
                || self
                    .templates
                    .iter()
                    .any(|t| matches_template(t, w, &|s| self.names.contains(s))))
    }
}

/// True when `w` is `template` with each `#` replaced by what a placeholder holds: an index (digits or
/// one of i, j, k, d, n, l) or another name of the program (`theta_norm` in `{name}_mean`). A template
/// must keep at least three letters of its own, so that `{}_{}` vouches for nothing.
fn matches_template(template: &str, w: &str, is_name: &dyn Fn(&str) -> bool) -> bool {
    if template.chars().filter(|c| c.is_ascii_alphabetic()).count() < 3 {
        return false;
    }
    fn fills(s: &str, is_name: &dyn Fn(&str) -> bool) -> bool {
        !s.is_empty()
            && (s.chars().all(|c| c.is_ascii_digit())
                || ["i", "j", "k", "d", "n", "l"].contains(&s)
                || is_name(s))
    }
    fn go(t: &str, w: &str, is_name: &dyn Fn(&str) -> bool) -> bool {
        match t.find('#') {
            None => t == w,
            Some(at) => {
                w.starts_with(&t[..at])
                    && (at + 1..=w.len())
                        .filter(|&end| w.is_char_boundary(end))
                        .any(|end| fills(&w[at..end], is_name) && go(&t[at + 1..], &w[end..], is_name))
            }
        }
    }
    go(template, w, is_name)
}

/// True for a repository path that names a real file or folder (no placeholder in it).
fn is_repo_path(token: &str) -> bool {
    ["src/", "tests/", "benches/", "scenarios/", "docs/", "python/"].iter().any(|p| token.starts_with(p))
        && !token.contains(['<', '{', '*', '…'])
        && !token.chars().any(|c| c.is_ascii_uppercase())
        // A hidden folder (benches/python/.venv) is made by a script, not kept in the repository.
        && !token.contains("/.")
}

/// What is wrong with one span, one message per unknown name.
fn check_span(program: &Program, span: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut tokens: Vec<&str> = span.split_whitespace().collect();
    // Leading `VAR=value` settings: the variable is checked as a name below, the command after it.
    let command_at = tokens
        .iter()
        .take_while(|t| t.contains('=') && !t.starts_with('-'))
        .count();
    match tokens.get(command_at) {
        Some(&"cargo") => {
            // Only the targets are the project's: `cargo test --test X`, `cargo bench --bench X`.
            for pair in tokens.windows(2) {
                let dir = match pair[0] {
                    "--test" => "tests",
                    "--bench" => "benches",
                    _ => continue,
                };
                // A target is a file (tests/formula_alloc.rs) or a folder with a main.rs (tests/it/).
                let target = root().join(dir);
                if !target.join(format!("{}.rs", pair[1])).is_file()
                    && !target.join(pair[1]).join("main.rs").is_file()
                {
                    problems.push(format!("no target {dir}/{}.rs", pair[1]));
                }
            }
            for setting in &tokens[..command_at] {
                let var = setting.split('=').next().unwrap();
                if !program.knows_word(var) {
                    problems.push(format!("unknown variable `{var}`"));
                }
            }
            return problems;
        }
        Some(&"flowgap") => {
            let cmd = tokens
                .get(command_at + 1)
                .filter(|t| t.chars().all(|c| c.is_ascii_lowercase()));
            if let Some(cmd) = cmd {
                match program.flags.iter().find(|(c, _)| c == cmd) {
                    None => problems.push(format!("no subcommand `{cmd}`")),
                    Some((_, flags)) => {
                        for flag in flags_in(span) {
                            if !flags.contains(&flag) {
                                problems.push(format!("`flowgap {cmd}` has no flag {flag}"));
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
    let all_flags = program.all_flags();
    for flag in flags_in(span) {
        if !all_flags.contains(flag.as_str()) {
            problems.push(format!("no flag {flag}"));
        }
    }
    // A path in the repository is checked as a path; its words (`kill` in `tests/it/kill.rs`) are not
    // program names.
    tokens.retain(|token| {
        let token = token.trim_matches(|c: char| ",;:()[]\"'".contains(c));
        if !is_repo_path(token) {
            return true;
        }
        if !root().join(token).exists() && !OPTIONAL_PATHS.contains(&token) {
            problems.push(format!("no path {token}"));
        }
        false
    });
    for w in tokens.iter().flat_map(|t| words(t)) {
        // Candidate names: at least two characters, starting with a letter. Numbers and single
        // letters are maths.
        if w.len() < 2 || !w.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        if !program.knows_word(w) {
            problems.push(format!("unknown name `{w}`"));
        }
    }
    problems
}

#[test]
fn every_backticked_name_in_the_docs_exists_in_the_program() {
    let program = Program::read();
    let mut problems = Vec::new();
    for (file, text) in doc_files() {
        for (line, span) in code_spans(&text) {
            for p in check_span(&program, &span) {
                problems.push(format!("{file}:{line}: `{span}`: {p}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} backticked names in the docs are not the program's (fix the doc, or add a word that is \
         not a program name to NOT_PROGRAM_NAMES with why):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The checker itself: names that were once wrong in the docs, or could be, are refused, and their
/// right spellings pass. Without this, a checker that accepted everything would pass the test above.
#[test]
fn the_checker_refuses_names_the_program_does_not_have() {
    let program = Program::read();
    let refused = [
        "period_2",                  // the docs' old spelling of the end state `period2`
        "objective.lambda",          // no objective has a `lambda` key (it is `l2`)
        "end_state.periodic",        // a made-up key
        "flowgap run x --outdir d",  // no such flag
        "flowgap replot DIR",        // no such subcommand
        "--dry-run",                 // no such flag anywhere
        "tests/no_such_test.rs",     // no such file
        "tests/kill.rs",             // moved to tests/it/kill.rs, a module of the `it` test binary
        "cargo test --test kill",    // a module of `it`, not a target: `cargo test --test it kill::`
        "cargo test --test nothing", // no such test target
        "theta_norm_median",         // not a column
    ];
    for span in refused {
        assert!(!check_span(&program, span).is_empty(), "`{span}` was accepted");
    }
    let accepted = [
        "period2",
        "objective.l2",
        "diverged",
        "solver_failed",
        "tolerance_unreachable",
        "departed_after_crossing",
        "summary.json",
        "trajectories/<method-id>_ensemble.csv",
        "theta_norm_mean",
        "lambda_1..lambda_k",
        "minimum_i",
        "flowgap sweep NAME --grid 'run.step_size=1e-4:3e-3:40:log' --shard 0/2",
        "cargo test --test it docs_consistency::",
        "cargo test --test formula_alloc",
        "tests/it/kill.rs",
        "edge_of_stability_mlp",
    ];
    for span in accepted {
        assert_eq!(
            check_span(&program, span),
            Vec::<String>::new(),
            "`{span}` was refused"
        );
    }
}
