//! The trainability boundary (Sohl-Dickstein 2024) on the `trainability_boundary` scenario's network:
//! GD with one step size per layer converges for small rates, diverges for large ones, and the boundary
//! between them is not a monotone curve. Plus the loader's checks of `step_size_scale`.

use flowgap::discrete::{blockwise_gradient_descent, BlockScales};
use flowgap::method::MethodKind;
use flowgap::scenario::{load, parse, Scenario};
use flowgap::Termination;
use std::path::Path;

fn scenario() -> Scenario {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trainability_boundary.toml")).unwrap()
}

/// Trains with layer step sizes (η1, η2) (run.step_size is 1); returns (diverged, initial, final loss).
fn train(s: &Scenario, eta1: f64, eta2: f64) -> (bool, f64, f64) {
    let rates = BlockScales(vec![eta1, eta2])
        .rates(s.experiment.objective.as_ref(), s.experiment.grid.step_size)
        .unwrap();
    let t = blockwise_gradient_descent(
        s.experiment.objective.as_ref(),
        &s.experiment.init,
        &s.experiment.grid,
        &rates,
        s.experiment.divergence_bound,
    );
    let diverged = matches!(t.termination, Termination::Diverged { .. });
    (diverged, t.losses[0], t.final_loss())
}

#[test]
fn the_scenario_trains_both_layers_with_its_own_rates() {
    let s = scenario();
    assert_eq!(
        s.experiment.grid.step_size, 1.0,
        "the scales are then the layer step sizes"
    );
    assert!(matches!(&s.experiment.methods[0].kind, MethodKind::BlockGd(b) if b.0 == vec![1.0, 1.0]));
}

#[test]
fn small_rates_converge_and_large_output_rates_diverge() {
    let s = scenario();
    for (e1, e2) in [(1.0, 1.0), (1.0, 10.0), (10.0, 1.0), (10.0, 10.0), (100.0, 30.0)] {
        let (diverged, l0, l) = train(&s, e1, e2);
        assert!(!diverged && l < l0 / 10.0, "({e1}, {e2}): loss {l0} → {l}");
    }
    // Far above the boundary every input-layer rate diverges; just below it, the same rates converge.
    for e1 in [1.0, 100.0, 1000.0] {
        assert!(train(&s, e1, 1000.0).0, "({e1}, 1000) should diverge");
        assert!(!train(&s, e1, 40.0).0, "({e1}, 40) should converge");
    }
}

#[test]
fn the_boundary_is_not_monotone_along_the_output_rate() {
    // At η1 = 650, scanning η2 upwards: some run converges at a larger η2 than one that diverged, so the
    // boundary is no threshold η2*(η1) (the sweep's zooms show islands at every scale).
    let s = scenario();
    let n = 40;
    let runs: Vec<(f64, bool)> = (0..n)
        .map(|k| {
            let e2 = 70.0 * (130.0f64 / 70.0).powf(k as f64 / (n - 1) as f64);
            (e2, train(&s, 650.0, e2).0)
        })
        .collect();
    let first = runs.iter().position(|r| r.1).expect("some η2 ≤ 130 diverges");
    assert!(first > 0, "η2 = 70 converges");
    let after: Vec<f64> = runs[first..].iter().filter(|r| !r.1).map(|r| r.0).collect();
    assert!(
        !after.is_empty(),
        "no converged run above the first divergence at η2 = {}",
        runs[first].0
    );
    assert!(runs[n - 1].1, "η2 = 130 diverges");
}

#[test]
fn bad_scales_are_refused_with_their_line() {
    let mlp = "name = \"t\"\n[objective]\nkind = \"mlp\"\nwidths = [2, 3, 1]\nbias = false\n\
               [objective.data]\nsource = \"teacher_student\"\nsamples = 4\ninputs = 2\nhidden = 2\nseed = 1\n\
               [init]\nseed = 1\n[run]\nstep_size = 0.1\nsteps = 5\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n";
    let quad = "name = \"t\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [1.0, 2.0]\n[init]\npoint = [1.0, 1.0]\n\
                [run]\nstep_size = 0.1\nsteps = 5\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n";
    let cases = [
        (
            mlp,
            "gd",
            "step_size_scale = [1.0]",
            "one scale per layer, 2 in all (layer1, layer2); found 1",
        ),
        (
            mlp,
            "gd",
            "step_size_scale = [1.0, 0.0]",
            "the scale of layer2 must be a finite number > 0",
        ),
        (
            mlp,
            "gd",
            "step_size_scale = [-1.0, 1.0]",
            "the scale of layer1 must be",
        ),
        (
            quad,
            "gd",
            "step_size_scale = [1.0, 1.0]",
            "only to an objective with parameter layers",
        ),
    ];
    for (base, _, line, text) in cases {
        let src = format!("{base}{line}\n");
        let at = src.lines().count();
        let err = parse(&src, Path::new("t.toml")).err().expect(line).to_string();
        assert!(err.starts_with(&format!("t.toml:{at}:")), "{line}: {err}");
        assert!(
            err.contains("method[0].step_size_scale") && err.contains(text),
            "{line}: {err}"
        );
    }
    // A method kind other than gd does not take it.
    let src = format!(
        "{}beta = 0.5\nstep_size_scale = [1.0, 1.0]\n",
        mlp.replace("kind = \"gd\"", "kind = \"heavy_ball\"")
    );
    let err = parse(&src, Path::new("t.toml")).err().unwrap().to_string();
    assert!(err.contains("step_size_scale"), "{err}");
}

#[test]
fn a_small_sweep_writes_the_columns_and_the_trainability_figure() {
    // 3×2 corners of the scenario's grid through the CLI: the rows agree with direct runs, the diverged
    // one records the step it diverged at, and the figure is drawn.
    let dir = std::env::temp_dir().join(format!("flowgap-trainability-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["sweep", "--quiet", "--out"])
        .arg(&dir)
        .args([
            "--grid",
            "method.gd.step_size_scale[0]=1,100,1000",
            "--grid",
            "method.gd.step_size_scale[1]=10,1000",
            "trainability_boundary",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (term, stop, mean) = (col("gd.termination"), col("gd.stop_step"), col("gd.mean_loss"));
    let s = scenario();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 6);
    for r in &rows {
        let (e1, e2): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let (diverged, _, _) = train(&s, e1, e2);
        assert_eq!(r[term] == "diverged", diverged, "({e1}, {e2})");
        assert_eq!(diverged, e2 == 1000.0, "({e1}, {e2})");
        let step: u64 = r[stop].parse().unwrap();
        if diverged {
            assert!(step < 500, "({e1}, {e2}) diverged at {step}");
        } else {
            assert_eq!(step, 500);
            let m: f64 = r[mean].parse().unwrap();
            assert!(m.is_finite() && m > 0.0);
        }
    }
    let png = std::fs::metadata(dir.join("figures/trainability.png")).unwrap();
    assert!(png.len() > 1000);
    let _ = std::fs::remove_dir_all(&dir);
}
