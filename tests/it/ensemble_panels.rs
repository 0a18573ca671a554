//! The ensemble figure's panels, as docs/figures.md promises: the loss, then one panel per parameter up to
//! d = 8 (θ₀ … θ_{d−1}), and beyond that one panel of ‖θ‖; checked on the SVG's axis descriptions for
//! d = 2, d = 3 and d = 12.

use crate::sweep_overlay::text_boxes;
use flowgap::outspec::ImageFormat;
use flowgap::scenario;

/// The texts of the ensemble figure of an SGD run on a d-dimensional noisy quadratic.
fn ensemble_texts(d: usize) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("flowgap_ensemble_panels_{d}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let list = |v: f64| vec![format!("{v}"); d].join(", ");
    let toml = format!(
        "name = \"panels\"\n[objective]\nkind = \"noisy_quadratic\"\neigenvalues = [{}]\n\
         noise_diagonal = [{}]\n[init]\npoint = [{}]\n[run]\nstep_size = 0.1\nsteps = 20\n\
         [[method]]\nid = \"sgd\"\nkind = \"sgd\"\npaths = 20\nseed = 1\n\
         [output]\nfigures = [\"ensemble\"]\nformats = [\"svg\"]\n",
        list(1.0),
        list(0.5),
        list(1.0)
    );
    let path = dir.join("panels.toml");
    std::fs::write(&path, toml).unwrap();
    let (experiment, spec) = scenario::load(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_parts();
    let report = experiment.run();
    let out = dir.join("f");
    flowgap::output::draw_figures(&report, &spec, &spec.figures, &[ImageFormat::Svg], &out).unwrap();
    let svg = std::fs::read_to_string(out.join("ensemble.svg")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text_boxes(&svg).into_iter().map(|b| b.0).collect()
}

#[test]
fn the_ensemble_figure_has_a_panel_per_parameter_up_to_eight_then_the_norm() {
    let subscripts = ["θ₀", "θ₁", "θ₂", "θ₃", "θ₈"];
    let has = |texts: &[String], s: &str| texts.iter().any(|t| t == s);
    // d = 2: the loss and θ₀, θ₁ (θ₀ alone was drawn before).
    let two = ensemble_texts(2);
    assert!(has(&two, "loss L(θ)"), "{two:?}");
    assert!(has(&two, subscripts[0]) && has(&two, subscripts[1]), "{two:?}");
    assert!(!has(&two, subscripts[2]) && !has(&two, "‖θ‖"), "{two:?}");
    // d = 3: the loss and three parameter panels (only the loss was drawn before).
    let three = ensemble_texts(3);
    assert!(has(&three, "loss L(θ)"), "{three:?}");
    for s in &subscripts[..3] {
        assert!(has(&three, s), "{s}: {three:?}");
    }
    assert!(!has(&three, subscripts[3]) && !has(&three, "‖θ‖"), "{three:?}");
    // d = 12, beyond 8: the loss and one panel of ‖θ‖, no per-parameter panel.
    let twelve = ensemble_texts(12);
    assert!(has(&twelve, "loss L(θ)") && has(&twelve, "‖θ‖"), "{twelve:?}");
    assert!(subscripts.iter().all(|s| !has(&twelve, s)), "{twelve:?}");
}
