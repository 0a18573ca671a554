//! The layers of src/ import one way.
//!
//! Every top-level module of the library has a place in [`ORDER`], and a module may name through
//! `crate::` only modules placed before it (or itself). This test reads every `.rs` file under src/
//! (except src/main.rs, the binary, which may use everything), finds each `crate::NAME` path in code —
//! comments and string literals do not count, grouped imports `use crate::{a::B, c}` count once per
//! group member — and fails listing every `file:line: a -> b` that runs back up the order. A module
//! declared in src/lib.rs but missing from [`ORDER`] also fails, so a new module must be placed before
//! it can be merged. `super::` paths stay inside one top-level module and are not read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The top-level modules of src/, bottom layer first: each may import only modules earlier in this
/// list. Numerics first (objective, data), then the methods (discrete, continuous, stochastic, and the
/// method values over them), what is measured of a run (diagnostics), one run (experiment), the files
/// it writes (formats, outdir), what figures draw from and how they are specified (landscape,
/// outspec), drawing (render), writing a run's results (output), the scenario file that ties them
/// together, and the drivers over scenarios last. A name here that src/lib.rs does not declare is a
/// module still to come and is harmless.
const ORDER: &[&str] = &[
    "error",
    "files",
    "schedule",
    "trajectory",
    "watch",
    "data",
    "objective",
    "compare",
    "discrete",
    "continuous",
    "stochastic",
    "method",
    "diagnostics",
    "experiment",
    "formats",
    "outdir",
    "landscape",
    "outspec",
    "render",
    "output",
    "scenario",
    "replot",
    "sweep",
    "golden",
    "order",
];

/// One `crate::` path found in code: the 1-based line and the crate-root name it starts with.
#[derive(Debug, PartialEq)]
struct CrateRef {
    line: usize,
    name: String,
}

/// `text` with comments and the insides of string and character literals replaced by spaces, newlines
/// kept, so what remains is code at the same line numbers.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !is_ident(prev(&chars, i)) {
            // A raw string r"…" or r#"…"#: no escapes, ends at a quote followed by as many hashes.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.push(' ');
            for _ in 0..=hashes {
                out.push(' ');
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) => {
                        for _ in 0..=hashes {
                            out.push(' ');
                        }
                        j += 1 + hashes;
                        break;
                    }
                    Some(&d) => {
                        out.push(blank(d));
                        j += 1;
                    }
                }
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    out.push(' ');
                    i += 1;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '"') is blanked; a lifetime ('a) is code.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                for _ in i..=j.min(chars.len() - 1) {
                    out.push(' ');
                }
                i = j + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev(chars: &[char], i: usize) -> Option<char> {
    i.checked_sub(1).map(|p| chars[p])
}

fn is_ident(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Every `crate::NAME` in the code of `text`; `crate::{a::B, c::{D}}` gives `a` and `c`.
fn crate_refs(text: &str) -> Vec<CrateRef> {
    let code: Vec<char> = code_only(text).chars().collect();
    let pattern: Vec<char> = "crate::".chars().collect();
    let line_of = |at: usize| 1 + code[..at].iter().filter(|&&c| c == '\n').count();
    let ident_at = |mut at: usize| {
        while code.get(at).is_some_and(|c| c.is_whitespace()) {
            at += 1;
        }
        let start = at;
        while is_ident(code.get(at).copied()) {
            at += 1;
        }
        (start, code[start..at].iter().collect::<String>())
    };
    let mut refs = Vec::new();
    let mut i = 0;
    while i + pattern.len() <= code.len() {
        if code[i..i + pattern.len()] != pattern[..] || is_ident(prev(&code, i)) {
            i += 1;
            continue;
        }
        let mut at = i + pattern.len();
        while code.get(at).is_some_and(|c| c.is_whitespace()) {
            at += 1;
        }
        if code.get(at) == Some(&'{') {
            // A group: the first segment of each member at the group's own depth.
            let mut depth = 0;
            let mut member_start = true;
            while at < code.len() {
                match code[at] {
                    '{' => {
                        depth += 1;
                        member_start = depth == 1;
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => member_start = true,
                    c if c.is_whitespace() => {}
                    _ if member_start => {
                        let (start, name) = ident_at(at);
                        if !name.is_empty() && name != "self" {
                            refs.push(CrateRef {
                                line: line_of(start),
                                name,
                            });
                        }
                        member_start = false;
                        at = start + 1;
                        continue;
                    }
                    _ => {}
                }
                at += 1;
            }
        } else {
            let (start, name) = ident_at(at);
            if !name.is_empty() {
                refs.push(CrateRef {
                    line: line_of(start),
                    name,
                });
            }
        }
        i += pattern.len();
    }
    refs
}

/// The modules src/lib.rs declares (`mod x;`, `pub mod x;`) and the names it re-exports at the crate
/// root with the module each comes from (`pub use error::{Error, Result};`).
fn lib_names(lib: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let code = code_only(lib);
    let mut modules = Vec::new();
    let mut reexports = BTreeMap::new();
    for statement in code.split(';') {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let rest = match words.as_slice() {
            ["pub", "mod", name] | ["mod", name] | ["pub(crate)", "mod", name] => {
                modules.push(name.to_string());
                continue;
            }
            ["pub", "use", ..] => words[2..].join(" "),
            _ => continue,
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let items = items.trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.rsplit("::").next().unwrap_or(item);
            let exported = item.rsplit(" as ").next().unwrap_or(item).trim();
            if !exported.is_empty() {
                reexports.insert(exported.to_string(), module.to_string());
            }
        }
    }
    (modules, reexports)
}

/// The top-level module a file under src/ belongs to: src/x.rs and src/x/… are `x`.
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    if relative.components().count() == 1 {
        first.strip_suffix(".rs").map(str::to_string)
    } else {
        Some(first.to_string())
    }
}

/// Every import in `files` (path shown, module, text) that runs up `order`, as `path:line: a -> b`,
/// and every `crate::` name that is neither a module in `order` nor a re-export in `reexports`.
fn violations(
    files: &[(String, String, String)],
    order: &[&str],
    reexports: &BTreeMap<String, String>,
) -> Vec<String> {
    let rank = |m: &str| order.iter().position(|&o| o == m);
    let mut found = Vec::new();
    for (path, module, text) in files {
        let Some(from) = rank(module) else {
            found.push(format!("{path}: module {module} is not in ORDER"));
            continue;
        };
        for r in crate_refs(text) {
            let target = reexports.get(&r.name).map_or(r.name.as_str(), String::as_str);
            match rank(target) {
                Some(to) if to > from => {
                    found.push(format!("{path}:{}: {module} -> {target}", r.line))
                }
                Some(_) => {}
                None => found.push(format!(
                    "{path}:{}: {module} -> crate::{} is neither a module in ORDER nor a re-export of src/lib.rs",
                    r.line, r.name
                )),
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_of_lib_rs_has_a_place_in_the_order() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let (modules, _) = lib_names(&lib);
    assert!(modules.len() > 5, "src/lib.rs declares modules: {modules:?}");
    let missing: Vec<&String> = modules.iter().filter(|m| !ORDER.contains(&m.as_str())).collect();
    assert!(
        missing.is_empty(),
        "modules of src/lib.rs with no place in tests/it/layers.rs ORDER (add each where it belongs): {missing:?}"
    );
}

#[test]
fn no_module_imports_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let (_, reexports) = lib_names(&lib);
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(String, String, String)> = paths
        .iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).unwrap();
            if relative == Path::new("main.rs") || relative == Path::new("lib.rs") {
                return None;
            }
            let module = module_of(relative)?;
            let text = std::fs::read_to_string(path).unwrap();
            Some((format!("src/{}", relative.display()), module, text))
        })
        .collect();
    assert!(files.len() > 20, "read {} files under src/", files.len());
    let found = violations(&files, ORDER, &reexports);
    assert!(
        found.is_empty(),
        "{} imports run up the layer order of tests/it/layers.rs ORDER:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_checker_reports_upward_imports_only() {
    let order = ["low", "mid", "high"];
    let text = "\
//! Links [`crate::high::X`] in a doc comment.
use crate::low::A;
/// See crate::high::Y.
use crate::high::B; // crate::mid in a trailing comment
fn f() -> crate::mid::C {
    let s = \"crate::high::Z\";
    /* crate::high::W */
    let c = '\"';
    crate::high::g(s, c)
}
use crate::{
    low::{D, E},
    high,
    self,
};
";
    let files = vec![("src/mid.rs".to_string(), "mid".to_string(), text.to_string())];
    let mut reexports = BTreeMap::new();
    reexports.insert("Top".to_string(), "high".to_string());
    assert_eq!(
        violations(&files, &order, &reexports),
        [
            "src/mid.rs:4: mid -> high",
            "src/mid.rs:9: mid -> high",
            "src/mid.rs:13: mid -> high",
        ]
    );
    // A re-export at the crate root counts as its module; a name that resolves to nothing is reported.
    let files = vec![(
        "src/low.rs".to_string(),
        "low".to_string(),
        "use crate::Top;\nuse crate::nowhere::X;\nuse $crate::low::Y;\n".to_string(),
    )];
    let found = violations(&files, &order, &reexports);
    assert_eq!(found[0], "src/low.rs:1: low -> high");
    assert!(
        found[1].starts_with("src/low.rs:2: low -> crate::nowhere is neither"),
        "{found:?}"
    );
    assert_eq!(found.len(), 2);
    // A module outside the order is reported.
    let files = vec![("src/new.rs".to_string(), "new".to_string(), String::new())];
    assert_eq!(
        violations(&files, &order, &reexports),
        ["src/new.rs: module new is not in ORDER"]
    );
}

#[test]
fn lib_rs_declarations_and_reexports_are_read() {
    let (modules, reexports) =
        lib_names("//! pub mod not_this;\npub mod a;\nmod b;\npub use a::{X, Y as Z};\npub use b::W;\n");
    assert_eq!(modules, ["a", "b"]);
    assert_eq!(reexports.get("X").map(String::as_str), Some("a"));
    assert_eq!(reexports.get("Z").map(String::as_str), Some("a"));
    assert_eq!(reexports.get("W").map(String::as_str), Some("b"));
    assert_eq!(reexports.get("Y"), None);
    assert_eq!(
        module_of(Path::new("render/contour.rs")).as_deref(),
        Some("render")
    );
    assert_eq!(module_of(Path::new("outspec.rs")).as_deref(), Some("outspec"));
}
