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

#[test]
fn portraits_and_the_sharpness_figure_take_ranges() {
    // λ₁ of diag(4, 1) is 4 at every sample; GD's threshold 2/η = 20 lies above the fixed y range 0..10,
    // so neither its line nor its legend entry is drawn, while λ₁'s curve is. Each frame is exactly the
    // given one: its ends are ticks, and no tick lies beyond them.
    let dir = temp_dir("ranges");
    let scenario = dir.join("s.toml");
    let base = BASE.replace(
        r#"figures = ["phase_portrait", "loss", "distance"]"#,
        r#"figures = ["phase_portrait", "sharpness"]"#,
    );
    let extra = r#"
[output.figure.sharpness]
x_range = [2.0, 6.0]
y_range = [0.0, 10.0]

[output.figure.phase_portrait]
x_range = [-0.5, 2.0]
y_range = [-0.5, 1.5]

[diagnostics.sharpness]
every = 5
"#;
    std::fs::write(&scenario, format!("{base}{extra}")).unwrap();
    let out = dir.join("out");
    let o = flowgap(&["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let numbers = |texts: &[String]| -> Vec<f64> {
        texts
            .iter()
            .filter_map(|t| t.replace('−', "-").parse::<f64>().ok())
            .collect()
    };
    let sharpness = svg_texts(&out.join("figures/sharpness.svg"));
    assert!(sharpness.iter().any(|t| t == "gd"), "{sharpness:?}");
    assert!(
        !sharpness.iter().any(|t| t.contains("threshold")),
        "{sharpness:?}"
    );
    let ticks = numbers(&sharpness);
    for end in [2.0, 6.0, 0.0, 10.0] {
        assert!(ticks.contains(&end), "{end} in {sharpness:?}");
    }
    assert!(ticks.iter().all(|&v| (0.0..=10.0).contains(&v)), "{sharpness:?}");

    let portrait = svg_texts(&out.join("figures/phase_portrait.svg"));
    let ticks = numbers(&portrait);
    for end in [-0.5, 2.0, 1.5] {
        assert!(ticks.contains(&end), "{end} in {portrait:?}");
    }
    // The colour bar's ticks are losses (≥ 0); every tick of the axes lies in its range.
    assert!(
        ticks.iter().all(|&v| (-0.5..=2.0).contains(&v) || v >= 0.0),
        "{portrait:?}"
    );
    assert!(!ticks.iter().any(|&v| v < -0.5), "{portrait:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_time_window_frames_both_axes_on_what_it_holds() {
    // t_max = 2 on BASE's 100 steps of η = 0.1 (t = 0..10): at t = 2, GD's loss is ½(4·0.6⁴⁰ + 0.9⁴⁰)
    // = 7.4e-3 and the flow's ½(4e⁻¹⁶ + e⁻⁴) = 9.2e-3, so the window's loss axis stops above 10⁻³
    // (the whole run reaches ½·0.9²⁰⁰ = 3.5e-10) and its time axis at 2.
    let figures = run("window", "\n[output.figure.loss]\nt_max = 2.0\n");
    let loss = svg_texts(&figures.join("loss.svg"));
    assert!(loss.iter().any(|t| t == "10⁻²"), "{loss:?}");
    assert!(!loss.iter().any(|t| t == "10⁻³" || t == "10⁻⁴"), "{loss:?}");
    let times: Vec<f64> = loss.iter().filter_map(|t| t.parse::<f64>().ok()).collect();
    assert!(
        times.contains(&2.0) && times.iter().all(|&t| t <= 2.05),
        "{loss:?}"
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
            "\n[output.figure.loss]\nt_max = 0.0\n",
            "t_max",
            "output.figure.loss.t_max",
            "above 0",
        ),
        (
            "\n[output.figure.phase_portrait]\nt_max = 1.0\n",
            "t_max",
            "output.figure.phase_portrait.t_max",
            "can honour",
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

/// A sweep of GD and its flow on the double well ¼(x² − 1)² over nine step sizes (the orbit diagram and
/// the distance curve), with `extra` appended to its `[output]`.
fn sweep_scenario(extra: &str, label: &str) -> String {
    format!(
        r#"name = "sweep_settings"
description = "sweep figures with the scenario's [output]"

[objective]
kind = "double_well"
dim = 1

[init]
point = [0.5]

[run]
step_size = 1.1
steps = 200
record_every = 1

[[method]]
id = "gd"
kind = "gd"
{label}

[[method]]
id = "flow"
kind = "gradient_flow"
solver = "dop853"
rtol = 1e-8
atol = 1e-10

[[compare]]
a = "gd"
b = "flow"
tolerance = 1e-2

[output]
figures = ["loss"]
{extra}

[sweep]
grid = ["run.step_size = 0.6:1.4:9"]
tail = 8
figures = ["bifurcation", "curve"]
curve = {{ x = "run.step_size", y = "gd_vs_flow.max_distance", log = true }}
"#
    )
}

/// Sweeps `text` into `<dir>/out` and returns that folder.
fn sweep(dir: &Path, text: &str) -> PathBuf {
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join("out");
    let o = flowgap(&[
        "sweep",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{path:?} is a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn sweep_figures_honour_the_scenarios_output_and_redraw_byte_for_byte() {
    let dir = temp_dir("sweep_paper");
    let extra = r#"formats = ["png", "svg", "pdf"]
style = "paper"

[output.figure.bifurcation]
title = "(b) period doubling"
y_label = "last iterates x"

[output.figure.curve]
x_label = "learning rate""#;
    let out = sweep(&dir, &sweep_scenario(extra, r#"label = "GD (η swept)""#));
    let figures = out.join("figures");
    // The paper style: 3.25 × 2.6 in, PNG at 300 dpi, SVG sized in inches, PDF page in points.
    for name in ["bifurcation", "curve"] {
        assert_eq!(
            png_size(&figures.join(format!("{name}.png"))),
            (975, 780),
            "{name}"
        );
        let svg = std::fs::read_to_string(figures.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with(r#"<svg width="3.2500in" height="2.6000in""#),
            "{name}"
        );
        // 3.25 × 2.6 in = 234 × 187.2 pt, read by a PDF parser with its fonts embedded.
        crate::pdf_parse::assert_pdf(&figures.join(format!("{name}.pdf")), (234.0, 187.2), name);
    }
    let orbit = svg_texts(&figures.join("bifurcation.svg"));
    for want in [
        "(b) period doubling",
        "last iterates x",
        "step size η",
        "GD (η swept): last iterates",
    ] {
        assert!(orbit.iter().any(|t| t == want), "{want:?} not in {orbit:?}");
    }
    // The label replaces the id; the default title is not drawn in the paper style.
    assert!(
        !orbit
            .iter()
            .any(|t| t.starts_with("gd:") || t.contains("orbit diagram")),
        "{orbit:?}"
    );
    let curve = svg_texts(&figures.join("curve.svg"));
    assert!(curve.iter().any(|t| t == "learning rate"), "{curve:?}");
    assert!(
        curve
            .iter()
            .any(|t| t == "max distance from gd to flow (log scale)"),
        "{curve:?}"
    );
    assert!(
        !curve.iter().any(|t| t.contains("against")),
        "no title: {curve:?}"
    );
    // No scenario file name, and no dotted key, anywhere.
    for t in orbit.iter().chain(&curve) {
        assert!(
            !t.contains("sweep_settings") && !t.contains("run.step_size"),
            "{t:?}"
        );
    }
    // `flowgap plot` redraws every file of every format byte for byte, from summary.json alone.
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    assert_eq!(before.len(), 6);
    std::fs::remove_dir_all(&figures).unwrap();
    std::fs::remove_file(dir.join("s.toml")).unwrap();
    let o = flowgap(&["plot", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (name, bytes) in &before {
        let again = std::fs::read(figures.join(name)).unwrap();
        if name.ends_with(".pdf") {
            // svg2pdf lists a page's resources in hash order, which differs between processes: the
            // PDF is redrawn with the same content and size, not byte for byte.
            assert_eq!(again.len(), bytes.len(), "{name} differs when redrawn");
        } else {
            assert!(again == *bytes, "{name} differs when redrawn");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sweep_figures_keep_their_default_look_without_output_settings() {
    let dir = temp_dir("sweep_screen");
    let out = sweep(&dir, &sweep_scenario(r#"formats = ["png", "svg"]"#, ""));
    let figures = out.join("figures");
    assert_eq!(png_size(&figures.join("bifurcation.png")), (1000, 800));
    // Drawn on white: the top-left pixel, outside every axis, is white.
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(figures.join("bifurcation.png")).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut buf).unwrap();
    assert_eq!(&buf[..3], &[255, 255, 255], "the background is white");
    let orbit = svg_texts(&figures.join("bifurcation.svg"));
    for want in [
        "orbit diagram of gd",
        "gd: last iterates",
        "flow: end point",
        "θ₀ (last iterates)",
    ] {
        assert!(orbit.iter().any(|t| t == want), "{want:?} not in {orbit:?}");
    }
    let curve = svg_texts(&figures.join("curve.svg"));
    let title = "max distance from gd to flow against step size η";
    assert!(curve.iter().any(|t| t == title), "{curve:?}");
    // A summary written before the settings were saved draws PNG at the default size.
    let summary = out.join("summary.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    value
        .as_object_mut()
        .unwrap()
        .remove("output")
        .expect("the plan saves the output settings");
    std::fs::write(&summary, serde_json::to_string(&value).unwrap()).unwrap();
    std::fs::remove_dir_all(&figures).unwrap();
    let o = flowgap(&["plot", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["bifurcation.png", "curve.png"]);
    assert_eq!(png_size(&figures.join("bifurcation.png")), (1000, 800));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_sweep_figure_refuses_keys_it_cannot_honour() {
    let dir = temp_dir("sweep_refused");
    let text = sweep_scenario("\n[output.figure.overlay]\ny_range = [0.0, 1.0]", "");
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, &text).unwrap();
    let o = flowgap(&[
        "sweep",
        scenario.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let line = text.lines().position(|l| l.starts_with("y_range")).unwrap() + 1;
    assert!(err.contains(&format!("s.toml:{line}:")), "{err}");
    assert!(
        err.contains("output.figure.overlay.y_range") && err.contains("title, x_label, y_label"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The x positions of the SVG's tick labels on the x axis (the texts below the plot whose content is a
/// number and whose anchor is centred), as (value, x).
fn x_ticks(svg: &Path) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let mut ticks: Vec<(f64, f64, f64)> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text" && n.attribute("text-anchor") == Some("middle"))
        .filter(|n| n.attribute("transform").is_none())
        .filter_map(|n| {
            let t: String = n
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect();
            let v: f64 = t.trim().parse().ok()?;
            let x: f64 = n.attribute("x")?.parse().ok()?;
            let y: f64 = n.attribute("y")?.parse().ok()?;
            Some((v, x, y))
        })
        .collect();
    // The x axis's labels share the lowest row of numbers.
    let row = ticks.iter().map(|t| t.2).fold(f64::NEG_INFINITY, f64::max);
    ticks.retain(|t| t.2 == row);
    ticks.sort_by(|a, b| a.1.total_cmp(&b.1));
    ticks.iter().map(|&(v, x, _)| (v, x)).collect()
}

#[test]
fn the_sweep_curve_takes_a_log_x_axis_and_redraws_with_it() {
    let dir = temp_dir("sweep_x_log");
    // The curve's `log = true` makes both axes log; the figure's own keys set each: x log, y linear.
    let extra = "formats = [\"svg\"]\n\n[output.figure.curve]\nx_log = true\ny_log = false";
    let out = sweep(&dir, &sweep_scenario(extra, ""));
    let curve = out.join("figures").join("curve.svg");
    let texts = svg_texts(&curve);
    assert!(texts.iter().any(|t| t == "step size η (log scale)"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t == "max distance from gd to flow"),
        "{texts:?}"
    );
    // On a log axis a tick's position is affine in log10 of its value, not in the value: with the
    // ticks v₀ < … < vₙ, (x_i − x₀)/(xₙ − x₀) = (log v_i − log v₀)/(log vₙ − log v₀) to the pixel.
    let ticks = x_ticks(&curve);
    assert!(ticks.len() >= 3, "{ticks:?}");
    let (v0, x0) = ticks[0];
    let (vn, xn) = ticks[ticks.len() - 1];
    let mut off_linear = 0.0f64;
    for &(v, x) in &ticks {
        let log_share = (v.ln() - v0.ln()) / (vn.ln() - v0.ln());
        assert!(
            ((x - x0) - log_share * (xn - x0)).abs() <= 1.0,
            "tick {v} at {x}: not on a log axis ({ticks:?})"
        );
        off_linear = off_linear.max(((x - x0) - (v - v0) / (vn - v0) * (xn - x0)).abs());
    }
    // …and far from where a linear axis would put them (0.6..1.4: 0.8 sits 9% of the axis apart).
    assert!(off_linear > 20.0, "{ticks:?}");
    // `flowgap plot` redraws it from summary.json, log x axis and all, byte for byte.
    let before = std::fs::read(&curve).unwrap();
    std::fs::remove_dir_all(out.join("figures")).unwrap();
    let o = flowgap(&["plot", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::read(&curve).unwrap() == before,
        "the redrawn curve differs"
    );
    // The setting is what summary.json saved (and `plot` read back).
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"x_log\": true"), "{summary}");
    std::fs::remove_dir_all(&dir).ok();
}
