//! `[output.figure.<kind>]`: a figure kind's own title, axis labels, ranges and scale reach the drawn
//! figure (read back from the SVG's text: the labels, and the tick labels a fixed range must give), and
//! every key a kind cannot honour, or a malformed value, is refused with the file, line and key (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn flowgap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(args)
        .output()
        .expect("the flowgap binary runs")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_figure_settings_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// GD and its gradient flow on diag(4, 1) from (1, 1), η = 0.1: L(θ₀) = 2.5, and both losses fall
/// below 1e-4 before t = 5 (the flow's slowest mode decays as e^{−2t}·0.5).
const BASE: &str = r#"name = "figure_settings"
description = "per-figure settings"

[objective]
kind = "quadratic"
eigenvalues = [4.0, 1.0]

[init]
point = [1.0, 1.0]

[run]
step_size = 0.1
steps = 100
record_every = 1

[[method]]
id = "gd"
kind = "gd"

[[method]]
id = "flow"
kind = "gradient_flow"
solver = "dop853"
rtol = 1e-10
atol = 1e-12

[[compare]]
a = "gd"
b = "flow"

[output]
figures = ["phase_portrait", "loss", "distance"]
formats = ["svg"]
"#;

/// Every text element's content in an SVG.
fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        // A label's text node may be repeated (a halo under the text): its first non-blank line is it.
        .map(|n| {
            let all = n.descendants().filter_map(|d| d.text()).collect::<String>();
            all.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// Runs `BASE` + `extra` and returns the figures folder.
fn run(tag: &str, extra: &str) -> PathBuf {
    let dir = temp_dir(tag);
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, format!("{BASE}{extra}")).unwrap();
    let out = dir.join("out");
    let o = flowgap(&["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out.join("figures")
}

#[test]
fn titles_labels_ranges_and_scales_reach_the_figures() {
    let figures = run(
        "custom",
        r#"
[output.figure.loss]
title = "Loss on a 2-D quadratic"
x_label = "time t"
y_label = "training loss"
x_range = [0.0, 5.0]
y_range = [1e-4, 10.0]

[output.figure.distance]
title = false
y_log = false
y_range = [0.0, 0.05]
x_range = [1.0, 8.0]

[output.figure.phase_portrait]
x_label = "first weight w₁"
"#,
    );
    let loss = svg_texts(&figures.join("loss.svg"));
    for want in ["Loss on a 2-D quadratic", "time t", "training loss"] {
        assert!(loss.iter().any(|t| t == want), "{want} in {loss:?}");
    }
    assert!(
        !loss.iter().any(|t| t == "loss" || t.starts_with("t = k")),
        "{loss:?}"
    );
    // The fixed log range 1e-4..10 gives exactly the decade ticks 10⁻⁴ … 10¹; the fixed x range 0..5 its
    // ends as ticks, and nothing beyond them (the data run to t = 10).
    for decade in ["10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹"] {
        assert!(loss.iter().any(|t| t == decade), "{decade} in {loss:?}");
    }
    assert!(!loss.iter().any(|t| t == "10⁻⁵" || t == "10²"), "{loss:?}");
    assert!(
        loss.iter().any(|t| t == "0") && loss.iter().any(|t| t == "5"),
        "{loss:?}"
    );
    assert!(!loss.iter().any(|t| t == "6" || t == "10"), "{loss:?}");

    let distance = svg_texts(&figures.join("distance.svg"));
    assert!(
        !distance.iter().any(|t| t.contains("distance between methods")),
        "{distance:?}"
    );
    // A linear axis over 0..0.05: plain tick numbers up to 0.05, no decades.
    assert!(distance.iter().any(|t| t == "0.05"), "{distance:?}");
    assert!(!distance.iter().any(|t| t.starts_with("10")), "{distance:?}");
    // The departure (t = 0.1) lies left of the frame (1..8): neither drawn nor in the legend.
    assert!(!distance.iter().any(|t| t.contains("departs")), "{distance:?}");
    assert!(
        distance.iter().any(|t| t == "1") && distance.iter().any(|t| t == "8"),
        "{distance:?}"
    );

    let portrait = svg_texts(&figures.join("phase_portrait.svg"));
    assert!(portrait.iter().any(|t| t == "first weight w₁"), "{portrait:?}");
    assert!(
        portrait.iter().any(|t| t == "θ₁"),
        "the other axis keeps its name: {portrait:?}"
    );
    assert!(portrait.iter().any(|t| t == "phase portrait"), "{portrait:?}");
    std::fs::remove_dir_all(figures.parent().unwrap().parent().unwrap()).ok();
}

#[test]
fn a_title_string_is_drawn_even_when_output_titles_are_off() {
    let figures = run(
        "paper",
        "style = \"paper\"\n\n[output.figure.loss]\ntitle = \"(a) loss\"\n",
    );
    let loss = svg_texts(&figures.join("loss.svg"));
    assert!(loss.iter().any(|t| t == "(a) loss"), "{loss:?}");
    let distance = svg_texts(&figures.join("distance.svg"));
    assert!(
        !distance.iter().any(|t| t.contains("distance between")),
        "{distance:?}"
    );
    std::fs::remove_dir_all(figures.parent().unwrap().parent().unwrap()).ok();
}

/// The line `BASE` + `extra` gives the first line of `extra` (1-based, in the whole file).
fn line_of(extra: &str, needle: &str) -> usize {
    let text = format!("{BASE}{extra}");
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn settings_a_kind_cannot_honour_or_malformed_ones_are_refused_with_their_place() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (extra text, the line's needle, key, phrase)
        (
            "\n[output.figure.ensemble]\ny_range = [0.0, 1.0]\n",
            "y_range",
            "output.figure.ensemble.y_range",
            "can honour",
        ),
        (
            "\n[output.figure.loss]\nx_log = true\n",
            "x_log",
            "output.figure.loss.x_log",
            "can honour",
        ),
        (
            "\n[output.figure.phase_portrait]\ny_log = true\n",
            "y_log",
            "output.figure.phase_portrait.y_log",
            "can honour",
        ),
        (
            "\n[output.figure.losses]\ntitle = \"x\"\n",
            "title",
            "output.figure.losses",
            "unknown figure",
        ),
        (
            "\n[output.figure.loss]\ny_range = [1.0, 0.5]\n",
            "y_range",
            "output.figure.loss.y_range",
            "lo < hi",
        ),
        (
            "\n[output.figure.loss]\nx_range = [0.0, 1.0, 2.0]\n",
            "x_range",
            "output.figure.loss.x_range",
            "found 3 numbers",
        ),
        (
            "\n[output.figure.loss]\ntitle = true\n",
            "title",
            "output.figure.loss.title",
            "or false",
        ),
        (
            "\n[output.figure.distance]\ny_log = true\ny_range = [0.0, 1.0]\n",
            "y_range",
            "output.figure.distance.y_range",
            "positive range",
        ),
        (
            "\n[output.figure.loss]\ny_label = \"a\\nb\"\n",
            "y_label",
            "output.figure.loss.y_label",
            "control character",
        ),
    ];
    let dir = temp_dir("refused");
    for (k, (extra, needle, key, phrase)) in cases.iter().enumerate() {
        let scenario = dir.join(format!("bad{k}.toml"));
        std::fs::write(&scenario, format!("{BASE}{extra}")).unwrap();
        let out = dir.join(format!("out{k}"));
        let o = flowgap(&["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {k}: {err}");
        let line = line_of(extra, needle);
        // The unknown kind is reported at its table (the header's line), every other key at its value.
        let line = if phrase == &"unknown figure" {
            line - 1
        } else {
            line
        };
        assert!(
            err.contains(&format!("bad{k}.toml:{line}:")),
            "case {k} line {line}: {err}"
        );
        assert!(err.contains(key) && err.contains(phrase), "case {k}: {err}");
        assert!(!out.exists(), "case {k}: nothing is written");
    }
    std::fs::remove_dir_all(&dir).ok();
}
