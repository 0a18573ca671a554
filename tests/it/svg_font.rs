//! Every SVG flowgap writes carries its font: a subset of DejaVu Sans as a base64 `@font-face` that maps
//! every character of every label (through a Unicode cmap) and kerns them as the full font does, much
//! smaller than the full font, under the family name the labels ask for. Checked on the real figures of a `flowgap run` (the run figures and
//! the sharpness figure, which are written by different code).

use base64::Engine as _;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_svg_font_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small scenario (a 2-D quadratic where GD diverges) asking for four figures in PNG and SVG, the
/// sharpness figure among them.
fn scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quadratic_above_threshold.toml"),
    )
    .unwrap();
    let (head, _) = text.split_once("[output]").unwrap();
    let text = format!(
        "{head}[diagnostics.sharpness]\nevery = 25\n\n[output]\n\
         figures = [\"phase_portrait\", \"loss\", \"distance\", \"sharpness\"]\nformats = [\"png\", \"svg\"]\n"
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(scenario: &Path, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// One `@font-face` rule: family, weight and the decoded font.
struct FontFace {
    family: String,
    weight: String,
    font: Vec<u8>,
}

/// The value of `descriptor` in a CSS rule body (`font-family: "X";` → `X`).
fn descriptor(rule: &str, name: &str) -> Option<String> {
    let at = rule.find(&format!("{name}:"))? + name.len() + 1;
    let value = rule[at..].split(';').next()?.trim();
    Some(value.trim_matches('"').to_string())
}

fn font_faces(style: &str) -> Vec<FontFace> {
    style
        .split("@font-face")
        .skip(1)
        .map(|rule| {
            let body = &rule[rule.find('{').unwrap() + 1..rule.find('}').unwrap()];
            // The data URL holds a `;`, so `src` is read up to its closing parenthesis.
            let src = &body[body.find("src:").expect("a src descriptor") + 4..];
            let data = src
                .trim_start()
                .strip_prefix("url(data:font/ttf;base64,")
                .and_then(|s| s.split(')').next())
                .unwrap_or_else(|| panic!("not a base64 TrueType data URL: {src:.80}"));
            FontFace {
                family: descriptor(body, "font-family").unwrap(),
                weight: descriptor(body, "font-weight").unwrap(),
                font: base64::engine::general_purpose::STANDARD.decode(data).unwrap(),
            }
        })
        .collect()
}

/// The horizontal `kern` value of the pair `a b` in `face`, when it has one.
fn kerning(face: &ttf_parser::Face, a: char, b: char) -> Option<i16> {
    let (a, b) = (face.glyph_index(a)?, face.glyph_index(b)?);
    face.tables()
        .kern?
        .subtables
        .into_iter()
        .filter(|st| st.horizontal && !st.variable)
        .find_map(|st| st.glyphs_kerning(a, b))
}

/// The first family of a CSS font list, unquoted.
fn primary(list: &str) -> &str {
    list.split(',')
        .next()
        .unwrap()
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
}

/// Checks one SVG's embedded font against its labels and returns (label texts, embedded font bytes).
fn check_svg(path: &Path) -> (Vec<String>, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    // The font sits in <defs><style> before anything is drawn.
    let style = root
        .children()
        .find(|n| n.is_element())
        .filter(|n| n.tag_name().name() == "defs")
        .and_then(|defs| defs.children().find(|n| n.tag_name().name() == "style"))
        .unwrap_or_else(|| panic!("{path:?}: no <defs><style> first"));
    let faces = font_faces(style.text().unwrap());
    assert!(!faces.is_empty(), "{path:?}: no @font-face");

    let mut labels = Vec::new();
    let mut used: BTreeSet<(String, char)> = BTreeSet::new();
    for node in doc.descendants().filter(|n| n.tag_name().name() == "text") {
        let family = primary(node.attribute("font-family").unwrap()).to_string();
        let weight = node.attribute("font-weight").unwrap_or("normal").to_string();
        let label: String = node.descendants().filter_map(|d| d.text()).collect();
        for c in label.chars().filter(|c| !c.is_control()) {
            used.insert((format!("{family}/{weight}"), c));
        }
        labels.push(label);
    }
    assert!(!used.is_empty(), "{path:?}: no text");

    let full = dejavu::sans::regular().len();
    let mut embedded = 0;
    for face in &faces {
        // The family the labels ask for, and a font that parses, with a Unicode cmap.
        assert_eq!(face.family, "DejaVu Sans", "{path:?}");
        let parsed = ttf_parser::Face::parse(&face.font, 0)
            .unwrap_or_else(|e| panic!("{path:?}: the embedded font does not parse: {e}"));
        let cmap = parsed.tables().cmap.expect("a cmap table");
        assert!(
            cmap.subtables.into_iter().any(|s| s.is_unicode()),
            "{path:?}: no Unicode cmap subtable"
        );
        // A subset: a small fraction of the full font.
        assert!(
            face.font.len() < 60_000 && face.font.len() * 10 < full,
            "{path:?}: {} bytes embedded, full font {full}",
            face.font.len()
        );
        assert!(parsed.number_of_glyphs() < 200, "{path:?}");
        embedded += face.font.len();
        // Characters no label uses have no glyph.
        let key = format!("{}/{}", face.family, face.weight);
        for c in ['Q', 'Z', 'ж', '€', 'λ', '∞'] {
            if !used.contains(&(key.clone(), c)) {
                assert!(
                    parsed.glyph_index(c).is_none_or(|g| g.0 == 0),
                    "{path:?}: unused {c:?} is embedded"
                );
            }
        }
    }
    // Every character of every label has a real glyph in the face for its family and weight.
    for (key, c) in &used {
        let (family, weight) = key.split_once('/').unwrap();
        let face = faces
            .iter()
            .find(|f| f.family == family && f.weight == weight)
            .unwrap_or_else(|| panic!("{path:?}: no @font-face for {key} (label character {c:?})"));
        let parsed = ttf_parser::Face::parse(&face.font, 0).unwrap();
        assert!(
            parsed.glyph_index(*c).is_some_and(|g| g.0 != 0),
            "{path:?}: {c:?} (U+{:04X}) has no glyph in the embedded {key}",
            *c as u32
        );
    }
    // The subset kerns the label characters as the full font does (plotters measured with the kerning).
    let full = ttf_parser::Face::parse(dejavu::sans::regular(), 0).unwrap();
    let regular = faces.iter().find(|f| f.weight == "normal").unwrap();
    let sub = ttf_parser::Face::parse(&regular.font, 0).unwrap();
    let chars: Vec<char> = used
        .iter()
        .filter(|(k, _)| k.ends_with("/normal"))
        .map(|(_, c)| *c)
        .collect();
    let mut kerned = 0;
    for &a in &chars {
        for &b in &chars {
            let (x, y) = (kerning(&full, a, b), kerning(&sub, a, b));
            assert_eq!(x, y, "{path:?}: kerning of {a:?}{b:?}");
            kerned += usize::from(x.is_some_and(|v| v != 0));
        }
    }
    assert!(kerned > 0, "{path:?}: no kerned pair among {chars:?}");
    (labels, embedded)
}

#[test]
fn every_svg_embeds_a_font_subset_covering_its_labels() {
    let dir = temp_dir("run");
    let scenario = scenario(&dir);
    let out = dir.join("out");
    run(&scenario, &out);
    let figures = out.join("figures");
    let mut checked = Vec::new();
    for (name, expect) in [
        ("phase_portrait", "phase portrait"),
        ("loss", "loss"),
        ("distance", "distance"),
        ("sharpness", "sharpness"),
    ] {
        let svg = figures.join(format!("{name}.svg"));
        let (labels, bytes) = check_svg(&svg);
        assert!(
            // Titles name the figure, not the scenario (issue 19).
            labels.iter().any(|l| l.contains(expect))
                && !labels.iter().any(|l| l.contains("quadratic_above_threshold")),
            "{name}: {labels:?}"
        );
        assert!(labels.iter().any(|l| l.contains("gd")), "{name}: {labels:?}");
        assert!(figures.join(format!("{name}.png")).is_file());
        checked.push((name, bytes));
    }
    // Labels differ between figures, so do their subsets.
    assert!(checked.iter().any(|c| c.1 != checked[0].1), "{checked:?}");

    // The same run again gives byte-identical SVGs.
    let again = dir.join("again");
    run(&scenario, &again);
    for (name, _) in &checked {
        let a = std::fs::read(figures.join(format!("{name}.svg"))).unwrap();
        let b = std::fs::read(again.join("figures").join(format!("{name}.svg"))).unwrap();
        assert!(a == b, "{name}.svg differs between two runs");
    }
    std::fs::remove_dir_all(&dir).ok();
}
