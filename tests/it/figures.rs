//! The figures this crate owns beyond the 2-D portrait and the curves: the projected portrait, the
//! conserved-quantity drift, the order plot; their settings; and the contour lattice checked against the
//! closed-form ellipses of a quadratic. Files are checked by decoding (PNG) and parsing (SVG), never by
//! comparing image bytes.

use flowgap::compare::{compare, Comparison};
use flowgap::continuous::{solve, GradientFlow, SolverKind, SolverSettings};
use flowgap::discrete::gradient_descent;
use flowgap::landscape::{Projection, ScalarGrid};
use flowgap::method::MethodRun;
use flowgap::objective::{Objective, Quadratic};
use flowgap::order::{OrderFit, OrderStudy};
use flowgap::outspec::{FigureKind, FigureSettings, ImageFormat, DEFAULT_FIGURE};
use flowgap::render::contour::contour_lines;
use flowgap::render::{draw, draw_order, FigureInput};
use flowgap::trajectory::TimeMap;
use flowgap::{TimeGrid, Trajectory};
use std::path::{Path, PathBuf};

const BOTH: [ImageFormat; 2] = [ImageFormat::Png, ImageFormat::Svg];

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_figures_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Decodes a PNG and returns its size and pixel density (pixels per metre) if any.
fn decode_png(path: &Path) -> ((u32, u32), Option<u32>) {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    assert!(frame.width > 0 && frame.height > 0);
    // Not blank: a figure has more than one colour.
    let first = &buf[..3];
    assert!(
        buf[..frame.buffer_size()].chunks(3).any(|p| p != first),
        "{path:?} is blank"
    );
    let dims = reader.info().pixel_dims.map(|d| d.xppu);
    ((frame.width, frame.height), dims)
}

/// Parses an SVG as XML and returns every text element's content.
fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| n.descendants().filter_map(|d| d.text()).collect::<String>())
        .collect()
}

fn has(texts: &[String], needle: &str) -> bool {
    texts.iter().any(|t| t.contains(needle))
}

fn settings() -> SolverSettings {
    SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-9,
        atol: 1e-12,
        max_steps: 1_000_000,
        dt: 1e-3,
        controller: None,
    }
}

/// GD and gradient flow on a 4-D quadratic.
fn quadratic_runs() -> (Quadratic, Vec<MethodRun>, Vec<Comparison>) {
    let objective = Quadratic::from_eigenvalues(&[4.0, 2.0, 1.0, 0.5], vec![0.0; 4]);
    let grid = TimeGrid::new(0.1, 60, 1);
    let start = [1.0, -1.0, 1.5, 2.0];
    let gd = gradient_descent(&objective, &start, &grid, 1e10);
    let flow = solve(
        &GradientFlow {
            objective: &objective,
        },
        &objective,
        &start,
        &grid,
        &settings(),
        1e10,
    );
    let cmp = compare("gd", &gd, "flow", &flow, 1e-3);
    let runs = vec![
        MethodRun {
            id: "gd".into(),
            kind: "gd".into(),
            discrete: true,
            ensemble: None,
            trajectory: gd,
        },
        MethodRun {
            id: "flow".into(),
            kind: "gradient_flow".into(),
            discrete: false,
            ensemble: None,
            trajectory: flow,
        },
    ];
    (objective, runs, vec![cmp])
}

#[test]
fn projected_portrait_states_its_plane_and_variance() {
    let (objective, methods, comparisons) = quadratic_runs();
    let input = FigureInput {
        title: "quad4",
        objective: &objective,
        methods: &methods,
        comparisons: &comparisons,
        step_size: 0.1,
        settings: &DEFAULT_FIGURE,
    };
    let dir = temp_dir("projected");
    let files = draw(FigureKind::ProjectedPortrait, &input, &dir, &BOTH).unwrap();
    assert_eq!(decode_png(&files[0]).0, (1000, 800));
    let texts = svg_texts(&files[1]);
    assert!(
        has(&texts, "projected portrait") && !has(&texts, "quad4"),
        "{texts:?}"
    );
    assert!(has(&texts, "PC1 (") && has(&texts, "% of variance)"), "{texts:?}");
    assert!(has(&texts, "gd") && has(&texts, "flow: gradient flow"));
    // The minimum (the origin) lies in the plane only approximately; drawn or not, no panic. Named
    // directions relabel the axes.
    let named = FigureSettings {
        projection: Some([vec![1.0, 0.0, 0.0, 0.0], vec![1.0, 1.0, 0.0, 0.0]]),
        ..FigureSettings::default()
    };
    let input = FigureInput {
        settings: &named,
        ..input
    };
    let files = draw(FigureKind::ProjectedPortrait, &input, &dir, &[ImageFormat::Svg]).unwrap();
    let texts = svg_texts(&files[0]);
    assert!(
        has(&texts, "direction 1 (") && has(&texts, "direction 2 ("),
        "{texts:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn principal_directions_and_explained_variance_match_the_construction() {
    // Points c + s·p + t·q with p ⟂ q unit vectors in R⁵ and s, t on a symmetric grid, var(s) = 9 var(t):
    // PC1 = ±p, PC2 = ±q, explained variance 0.9 and 0.1.
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let p = [1.0, 2.0, 0.0, -1.0, 0.5];
    let q0 = [0.0, 1.0, 3.0, 2.0, 0.0];
    let pn: Vec<f64> = p.iter().map(|x| x / norm(&p)).collect();
    let along: f64 = q0.iter().zip(&pn).map(|(a, b)| a * b).sum();
    let q: Vec<f64> = q0.iter().zip(&pn).map(|(a, b)| a - along * b).collect();
    let qn: Vec<f64> = q.iter().map(|x| x / norm(&q)).collect();
    let c = [5.0, -1.0, 2.0, 0.0, 1.0];
    let mut rows = Vec::new();
    for i in -10..=10 {
        for j in -10..=10 {
            let (s, t) = (3.0 * i as f64, j as f64);
            rows.push((0..5).map(|k| c[k] + s * pn[k] + t * qn[k]).collect::<Vec<f64>>());
        }
    }
    let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
    let fit = Projection::fit(&refs, 5, None).unwrap();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    assert!((dot(&fit.u, &pn).abs() - 1.0).abs() < 1e-10, "u = {:?}", fit.u);
    assert!((dot(&fit.v, &qn).abs() - 1.0).abs() < 1e-10, "v = {:?}", fit.v);
    assert!((fit.explained.0 - 0.9).abs() < 1e-10, "{:?}", fit.explained);
    assert!((fit.explained.1 - 0.1).abs() < 1e-10, "{:?}", fit.explained);
    for (a, b) in fit.centre.iter().zip(&c) {
        assert!((a - b).abs() < 1e-10);
    }
    // Every point lies in the plane; coordinates reproduce (s, t) up to sign.
    assert!(refs.iter().all(|r| fit.off_plane(r) < 1e-9));
    let (a, b) = fit.coordinates(&rows[0]);
    assert!((a.abs() - 30.0).abs() < 1e-9 && (b.abs() - 10.0).abs() < 1e-9);
    // Wider than tall (d > n) takes the Gram route and agrees.
    let few: Vec<&[f64]> = refs.iter().copied().step_by(150).collect();
    assert!(few.len() < 5);
    let gram = Projection::fit(&few, 5, None).unwrap();
    assert!(gram.explained.0 + gram.explained.1 <= 1.0 + 1e-12);
    assert!(
        few.iter().all(|r| gram.off_plane(r) < 1e-9),
        "{few:?} off {:?}",
        gram
    );
    // One dimension has no plane.
    assert!(Projection::fit(&[], 1, None).is_err());
}

/// A trajectory recording one conserved quantity q(t) = q0 + drift(t).
fn with_drift(drift: impl Fn(f64) -> f64) -> Trajectory {
    let mut t = Trajectory::with_conserved(1, 101, vec!["balance_1_trace".into()]);
    for k in 0..=100u64 {
        let time = k as f64 * 0.1;
        t.push(k, time, &[0.0], 1.0, 0.0, &[0.7 + drift(time)]);
    }
    t
}

#[test]
fn conserved_figure_draws_the_drift_on_a_log_axis_when_it_spans_decades() {
    let objective = Quadratic::from_eigenvalues(&[1.0], vec![0.0]);
    let methods = vec![
        MethodRun {
            id: "gd".into(),
            kind: "gd".into(),
            discrete: true,
            ensemble: None,
            trajectory: with_drift(|t| 1e-3 * t),
        },
        MethodRun {
            id: "flow".into(),
            kind: "gradient_flow".into(),
            discrete: false,
            ensemble: None,
            trajectory: with_drift(|t| 1e-14 * t.sin()),
        },
    ];
    let input = FigureInput {
        title: "balance",
        objective: &objective,
        methods: &methods,
        comparisons: &[],
        step_size: 0.1,
        settings: &DEFAULT_FIGURE,
    };
    let dir = temp_dir("conserved");
    let files = draw(FigureKind::Conserved, &input, &dir, &BOTH).unwrap();
    decode_png(&files[0]);
    let texts = svg_texts(&files[1]);
    assert!(has(&texts, "conserved quantities"), "{texts:?}");
    assert!(
        has(&texts, "tr(W₂ᵀW₂ − W₁W₁ᵀ), layers 1–2") && has(&texts, "q(0) = 0.7"),
        "{texts:?}"
    );
    assert!(has(&texts, "|q − q(0)|, log scale"), "{texts:?}");
    assert!(
        has(&texts, "10⁻¹⁴") || has(&texts, "10⁻¹²"),
        "decade ticks: {texts:?}"
    );
    // Drifts of one size (a jump, then within a factor 3): a linear, signed axis.
    let methods = vec![MethodRun {
        id: "gd".into(),
        kind: "gd".into(),
        discrete: true,
        ensemble: None,
        trajectory: with_drift(|t| {
            if t > 0.0 {
                1e-3 * (1.0 + 0.5 * t.sin())
            } else {
                0.0
            }
        }),
    }];
    let input = FigureInput {
        methods: &methods,
        ..input
    };
    let files = draw(FigureKind::Conserved, &input, &dir, &[ImageFormat::Svg]).unwrap();
    let texts = svg_texts(&files[0]);
    assert!(has(&texts, "q − q(0)") && !has(&texts, "log scale"), "{texts:?}");
    // No conserved quantity: said on the figure.
    let plain = [MethodRun {
        id: "gd".into(),
        kind: "gd".into(),
        discrete: true,
        ensemble: None,
        trajectory: Trajectory::with_capacity(1, 0),
    }];
    let input = FigureInput {
        methods: &plain,
        ..input
    };
    let files = draw(FigureKind::Conserved, &input, &dir, &[ImageFormat::Svg]).unwrap();
    assert!(has(&svg_texts(&files[0]), "conserves no quantity"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn order_figure_shows_points_fit_and_reference_slopes() {
    let etas = vec![0.04, 0.02, 0.01, 0.005];
    let distances: Vec<f64> = etas.iter().map(|e| 3.0 * e).collect();
    let (slope, intercept) = flowgap::order::loglog_fit(&etas, &distances).unwrap();
    assert!((slope - 1.0).abs() < 1e-12);
    let study = OrderStudy {
        scenario: "quad".into(),
        source: "quad.toml".into(),
        t_end: 2.0,
        time_map: TimeMap::Eta,
        step_sizes: etas.clone(),
        steps: vec![50, 100, 200, 400],
        comparisons: vec![OrderFit {
            a: "gd".into(),
            b: "flow".into(),
            max_distances: distances,
            completed: vec![false, true, true, true],
            points_used: 3,
            slope: Some(slope),
            intercept: Some(intercept),
        }],
    };
    let dir = temp_dir("order");
    let files = draw_order(&study, &dir, &BOTH, &DEFAULT_FIGURE).unwrap();
    assert_eq!(files[0].file_name().unwrap(), "order.png");
    decode_png(&files[0]);
    let texts = svg_texts(&files[1]);
    for label in [
        "order of the gap",
        "gd vs flow: slope 1.00",
        "slope 2",
        "slope 3",
        "not fitted",
    ] {
        assert!(has(&texts, label), "{label}: {texts:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn quadratic_contours_lie_on_ellipses_with_the_closed_form_axes() {
    // L = ½(a θ₀² + b θ₁²): the level set L = c is the ellipse with semi-axes √(2c/a), √(2c/b).
    let (a, b) = (4.0, 1.0);
    let objective = Quadratic::from_eigenvalues(&[a, b], vec![0.0, 0.0]);
    let n = 201;
    let grid = ScalarGrid::sample((-2.5, 2.5), (-2.5, 2.5), n, n, |x, y| objective.loss(&[x, y]));
    let h = 5.0 / (n - 1) as f64;
    for c in [0.1, 0.5, 1.0, 2.0] {
        let (ra, rb) = ((2.0 * c / a).sqrt(), (2.0 * c / b).sqrt());
        let lines = contour_lines(&grid, c);
        assert_eq!(lines.len(), 1, "one closed curve at level {c}");
        let line = &lines[0];
        assert_eq!(line.first(), line.last(), "closed");
        let (mut max_x, mut max_y) = (0.0f64, 0.0f64);
        for &(x, y) in line {
            // Linear interpolation along lattice edges is exact to O(h²) relative to the curvature.
            let r = (x / ra).powi(2) + (y / rb).powi(2);
            assert!(
                (r - 1.0).abs() < 2.0 * h * h / ra.min(rb).powi(2) + 1e-12,
                "level {c}: r = {r}"
            );
            max_x = max_x.max(x.abs());
            max_y = max_y.max(y.abs());
        }
        // The curve reaches out to both semi-axes (within a lattice cell).
        assert!((max_x - ra).abs() < h, "level {c}: {max_x} vs {ra}");
        assert!((max_y - rb).abs() < h, "level {c}: {max_y} vs {rb}");
    }
}

#[test]
fn canvas_size_and_dpi_reach_the_files_and_svg_names_dejavu() {
    let (objective, methods, comparisons) = quadratic_runs();
    let custom = FigureSettings {
        width: 640,
        height: 480,
        dpi: Some(300),
        projection: None,
        ..FigureSettings::default()
    };
    let input = FigureInput {
        title: "sized",
        objective: &objective,
        methods: &methods,
        comparisons: &comparisons,
        step_size: 0.1,
        settings: &custom,
    };
    let dir = temp_dir("sized");
    let files = draw(FigureKind::Loss, &input, &dir, &BOTH).unwrap();
    let (size, ppm) = decode_png(&files[0]);
    assert_eq!(size, (640, 480));
    // 300 dpi = 300 / 0.0254 ≈ 11811 pixels per metre.
    assert_eq!(ppm, Some(11811));
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("640"));
    assert_eq!(root.attribute("height"), Some("480"));
    let families: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("font-family"))
        .collect();
    assert!(!families.is_empty());
    assert!(
        families.iter().all(|f| f.starts_with("DejaVu Sans")),
        "{families:?}"
    );
    // Default settings write no pHYs chunk.
    let input = FigureInput {
        settings: &DEFAULT_FIGURE,
        ..input
    };
    let files = draw(FigureKind::Loss, &input, &dir, &[ImageFormat::Png]).unwrap();
    assert_eq!(decode_png(&files[0]), ((1000, 800), None));
    std::fs::remove_dir_all(&dir).ok();
}

/// Loads a scenario text and returns the error message (or panics when it loads).
fn refusal(tag: &str, text: &str) -> String {
    let dir = temp_dir(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.toml");
    std::fs::write(&path, text).unwrap();
    let message = match flowgap::scenario::load(&path) {
        Ok(_) => panic!("{tag}: loaded"),
        Err(e) => e.to_string(),
    };
    std::fs::remove_dir_all(&dir).ok();
    message
}

#[test]
fn figure_keys_are_checked_with_located_errors() {
    let base = "name = \"k\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [2.0, 1.0, 0.5]\n\
                [init]\npoint = [1.0, 1.0, 1.0]\n[run]\nstep_size = 0.1\nsteps = 10\n\
                [[method]]\nid = \"gd\"\nkind = \"gd\"\n[output]\n";
    let line = base.lines().count() + 1;
    for (key, bad, expect) in [
        ("width", "width = 10", "from 400 to 10000"),
        ("height", "height = 1e3", ""),
        ("dpi", "dpi = 0", "from 10 to 2400"),
        ("projection", "projection = [[1.0, 0.0]]", "two direction vectors"),
        (
            "projection",
            "projection = [[1.0, 0.0, 0.0], [1.0, 0.0]]",
            "dimension is 3",
        ),
        (
            "projection",
            "projection = [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]",
            "parallel",
        ),
        (
            "projection",
            "projection = [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]",
            "zero",
        ),
    ] {
        let message = refusal(key, &format!("{base}{bad}\n"));
        assert!(message.contains(&format!("output.{key}")), "{bad}: {message}");
        assert!(
            message.contains(&format!(":{line}")),
            "{bad}: no line {line} in {message}"
        );
        assert!(message.contains(expect), "{bad}: {message}");
    }
}

#[test]
fn plot_redraws_a_finished_run_byte_for_byte() {
    let dir = temp_dir("replot");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("replot.toml");
    std::fs::write(
        &path,
        "name = \"replot\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [3.0, 1.0, 0.2]\n\
         [init]\npoint = [1.0, -1.0, 2.0]\n[run]\nstep_size = 0.2\nsteps = 40\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n\
         [[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n\
         [[compare]]\na = \"gd\"\nb = \"flow\"\n\
         [output]\nfigures = [\"projected_portrait\", \"loss\", \"distance\"]\nformats = [\"png\", \"svg\"]\n\
         width = 700\nheight = 500\n",
    )
    .unwrap();
    let out = dir.join("out");
    let (experiment, spec) = flowgap::scenario::load(&path).unwrap().into_parts();
    flowgap::output::write_report(&experiment.run(), &spec, &out, false).unwrap();
    assert!(out.join("scenario.toml").is_file());
    let figures = out.join("figures");
    let names = [
        "projected_portrait.png",
        "projected_portrait.svg",
        "loss.png",
        "loss.svg",
        "distance.png",
        "distance.svg",
    ];
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(figures.join(n)).unwrap())
        .collect();
    std::fs::remove_dir_all(&figures).unwrap();
    let written = flowgap::replot::replot(&out, None, None).unwrap();
    assert_eq!(written.len(), names.len());
    for (n, b) in names.iter().zip(&before) {
        assert!(
            std::fs::read(figures.join(n)).unwrap() == *b,
            "{n} differs after replot"
        );
    }
    // A subset in one format.
    std::fs::remove_dir_all(&figures).unwrap();
    let written =
        flowgap::replot::replot(&out, Some(&[FigureKind::Loss]), Some(&[ImageFormat::Svg])).unwrap();
    assert_eq!(written, vec![figures.join("loss.svg")]);
    assert!(std::fs::read(figures.join("loss.svg")).unwrap() == before[3]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn diverged_and_odd_runs_are_projected_without_panicking() {
    // GD with η·λ_max = 0.7·4 = 2.8 > 2 diverges along the first axis; a run of NaN and huge values and an
    // empty run ride along.
    let objective = Quadratic::from_eigenvalues(&[4.0, 1.0, 0.5], vec![0.0; 3]);
    let grid = TimeGrid::new(0.7, 200, 1);
    let gd = gradient_descent(&objective, &[1.0, 1.0, 1.0], &grid, 1e10);
    assert!(matches!(gd.termination, flowgap::Termination::Diverged { .. }));
    let mut odd = Trajectory::with_conserved(3, 3, vec!["q".into()]);
    odd.push(0, 0.0, &[f64::NAN, 0.0, 1.0], f64::NAN, 1.0, &[f64::NAN]);
    odd.push(1, 0.1, &[1e300, -1e300, 1e300], f64::INFINITY, 1.0, &[1e300]);
    odd.push(2, 0.2, &[0.5, 0.5, 0.5], 0.3, 1.0, &[0.0]);
    let run = |id: &str, discrete: bool, trajectory: Trajectory| MethodRun {
        id: id.into(),
        kind: "gd".into(),
        discrete,
        ensemble: None,
        trajectory,
    };
    let methods = vec![
        run("gd", true, gd),
        run("odd", false, odd),
        run("empty", true, Trajectory::with_capacity(3, 0)),
    ];
    let input = FigureInput {
        title: "odd",
        objective: &objective,
        methods: &methods,
        comparisons: &[],
        step_size: 0.7,
        settings: &DEFAULT_FIGURE,
    };
    let dir = temp_dir("odd");
    for kind in [FigureKind::ProjectedPortrait, FigureKind::Conserved] {
        let files = draw(kind, &input, &dir, &BOTH).unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        decode_png(&files[0]);
        svg_texts(&files[1]);
    }
    let texts = svg_texts(&dir.join("projected_portrait.svg"));
    assert!(has(&texts, "gd (diverged)"), "{texts:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn matched_time_markers_sit_at_closed_form_points_of_both_paths() {
    use flowgap::render::matched::{matched_points, MATCHED_TIMES};
    // GD on ½ Σ λ_i θ_i² at η = 0.1 over 60 steps: θ_i(k) = (1 − ηλ_i)^k θ_i(0); the flow: e^{−λ_i t} θ_i(0).
    let (_, methods, comparisons) = quadratic_runs();
    let paths: Vec<Vec<(f64, f64)>> = methods
        .iter()
        .map(|m| {
            m.trajectory
                .states
                .chunks_exact(4)
                .map(|s| (s[0], s[1]))
                .collect()
        })
        .collect();
    let points = matched_points(&methods, &comparisons, &paths);
    assert_eq!(points.len(), MATCHED_TIMES);
    let (lambda, start): ([f64; 2], [f64; 2]) = ([4.0, 2.0], [1.0, -1.0]);
    for (j, p) in points.iter().enumerate() {
        let k = 6 * (j + 1) as i32;
        let t = 0.1 * k as f64;
        assert!((p.t - t).abs() < 1e-12, "t_j = {} at j = {j}", p.t);
        assert_eq!((p.a, p.b), (0, 1));
        let gd = |i: usize| (1.0 - 0.1 * lambda[i]).powi(k) * start[i];
        let flow = |i: usize| (-lambda[i] * t).exp() * start[i];
        assert!((p.at_a.0 - gd(0)).abs() < 1e-14 && (p.at_a.1 - gd(1)).abs() < 1e-14);
        assert!((p.at_b.0 - flow(0)).abs() < 1e-8 && (p.at_b.1 - flow(1)).abs() < 1e-8);
    }
    // The portrait draws them and says so in its legend.
    let objective = Quadratic::from_eigenvalues(&[4.0, 2.0], vec![0.0; 2]);
    let runs2: Vec<MethodRun> = methods
        .iter()
        .map(|m| {
            let mut t = m.trajectory.clone();
            t.dim = 2;
            t.states = t.states.chunks_exact(4).flat_map(|s| [s[0], s[1]]).collect();
            MethodRun {
                trajectory: t,
                id: m.id.clone(),
                kind: m.kind.clone(),
                discrete: m.discrete,
                ensemble: None,
            }
        })
        .collect();
    let input = FigureInput {
        title: "quad2",
        objective: &objective,
        methods: &runs2,
        comparisons: &comparisons,
        step_size: 0.1,
        settings: &DEFAULT_FIGURE,
    };
    let dir = temp_dir("matched");
    let files = draw(FigureKind::PhasePortrait, &input, &dir, &[ImageFormat::Svg]).unwrap();
    let texts = svg_texts(&files[0]);
    assert!(has(&texts, "same time tⱼ"), "{texts:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The sharpness figure is drawn from the run's diagnostics rather than from a FigureInput, but goes
/// through the same writer: the scenario's canvas size and dpi reach its PNG and SVG too.
#[test]
fn the_sharpness_figure_honours_the_canvas_size_and_dpi() {
    let dir = temp_dir("sharpness_sized");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sized.toml");
    std::fs::write(
        &path,
        "name = \"sized\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [100.0, 1.0]\n\
         [init]\npoint = [1.0, 1.0]\n[run]\nstep_size = 0.0196\nsteps = 50\nrecord_every = 1\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n[diagnostics.sharpness]\nevery = 5\n\
         [output]\nfigures = [\"sharpness\"]\nformats = [\"png\", \"svg\"]\nwidth = 640\nheight = 480\ndpi = 300\n",
    )
    .unwrap();
    let (experiment, spec) = flowgap::scenario::load(&path).unwrap().into_parts();
    let report = experiment.run();
    let out = dir.join("figures");
    let files = flowgap::output::draw_figures(&report, &spec, &[FigureKind::Sharpness], &BOTH, &out).unwrap();
    assert_eq!(decode_png(&files[0]), ((640, 480), Some(11811)));
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().attribute("width"), Some("640"));
    assert!(svg.contains("@font-face"), "the SVG embeds its font");
    std::fs::remove_dir_all(&dir).ok();
}

/// The text of every `<text>` element of an SVG held in memory.
fn texts_of(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| n.descendants().filter_map(|d| d.text()).collect::<String>())
        .collect()
}

#[test]
fn the_ensemble_figure_drops_its_title_when_title_is_off() {
    // Ensemble: a small SGD / SME run drawn as SVG, once with the title and once without.
    let dir = temp_dir("untitled");
    std::fs::create_dir_all(&dir).unwrap();
    let mut texts = Vec::new();
    for title in [true, false] {
        let path = dir.join(format!("ens_{title}.toml"));
        std::fs::write(
            &path,
            format!(
                "name = \"ens\"\n[objective]\nkind = \"noisy_quadratic\"\neigenvalues = [4.0, 1.0]\n\
                 noise_diagonal = [1.0, 1.0]\n[init]\npoint = [1.0, 1.0]\n[run]\nstep_size = 0.1\nsteps = 20\n\
                 [[method]]\nid = \"sgd\"\nkind = \"sgd\"\npaths = 50\nseed = 7\n\
                 [output]\nfigures = [\"ensemble\"]\nformats = [\"svg\"]\ntitle = {title}\n"
            ),
        )
        .unwrap();
        let out = dir.join(format!("out_{title}"));
        let (experiment, spec) = flowgap::scenario::load(&path).unwrap().into_parts();
        flowgap::output::write_report(&experiment.run(), &spec, &out, false).unwrap();
        texts.push(svg_texts(&out.join("figures/ensemble.svg")));
    }
    assert!(has(&texts[0], "ensemble mean"), "{:?}", texts[0]);
    assert!(!has(&texts[1], "ensemble mean"), "{:?}", texts[1]);
    // The legend stays (in the loss panel) without the title.
    assert!(has(&texts[1], "sgd (M = 50)"), "{:?}", texts[1]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sweep_curve_and_orbit_diagram_name_their_axes_in_words() {
    use flowgap::formats::sweep_summary::SweepPlan;
    use plotters::prelude::*;
    flowgap::render::style::ensure_font().unwrap();
    // A sweep table written by hand: GD's distance to its flow against η, with tails.
    let dir = temp_dir("sweep_words");
    std::fs::create_dir_all(&dir).unwrap();
    let table = dir.join("sweep.csv");
    let mut csv = String::from("index,run.step_size,gd.tail_0,gd.tail_1,flow.x0,gd_vs_flow.max_distance\n");
    for (i, eta) in [0.5, 1.1, 1.2].iter().enumerate() {
        csv.push_str(&format!("{i},{eta},1.0,0.9,1.0,{}\n", 0.1 * eta));
    }
    std::fs::write(&table, csv).unwrap();
    let plan: SweepPlan = serde_json::from_value(serde_json::json!({
        "scenario": "words_scenario",
        "runs": 3,
        "axes": [{"key": "run.step_size", "log": false, "values": [0.5, 1.1, 1.2]}],
        "tail": 2,
        "figures": [],
        "minima": [],
        "methods": [{"id": "gd", "discrete": true}, {"id": "flow", "discrete": false}],
        "comparisons": ["gd_vs_flow"]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let draw = |f: &dyn Fn(&DrawingArea<SVGBackend, plotters::coord::Shift>)| {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (1000, 800)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            f(&root);
            root.present().unwrap();
        }
        texts_of(&svg)
    };
    let curve = flowgap::render::sweep_curve::Curve::read(
        &plan,
        "run.step_size",
        "gd_vs_flow.max_distance",
        true,
        &table,
    )
    .unwrap();
    let texts = draw(&|root| curve.plot(root).unwrap());
    assert!(has(&texts, "step size η (log scale)"), "{texts:?}");
    assert!(has(&texts, "max distance from gd to flow"), "{texts:?}");
    assert!(
        !has(&texts, "run.step_size") && !has(&texts, "words_scenario"),
        "{texts:?}"
    );
    let orbits = flowgap::render::bifurcation::Orbits::read(&plan, &table).unwrap();
    let texts = draw(&|root| orbits.plot(root).unwrap());
    assert!(has(&texts, "step size η"), "{texts:?}");
    assert!(
        !has(&texts, "run.step_size") && !has(&texts, "words_scenario"),
        "{texts:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
