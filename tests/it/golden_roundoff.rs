//! The roundoff allowance of golden files (src/golden/roundoff.rs, docs/golden.md) on the chaotic
//! edge_of_stability_mlp, whose GD path is not reproducible past its first catapult: another build's
//! arithmetic passes the check, a change of the dynamics by 1e-7 fails it, and the points pinned exactly
//! reach past GD's crossing of 2/η, so the golden file pins progressive sharpening up to the edge.

use flowgap::golden::{self, roundoff::Jittered};
use flowgap::objective::Objective;
use flowgap::scenario;
use std::path::Path;

/// The objective with its gradient scaled by 1 + `by`: gradient descent with η·(1 + by), a change of the
/// dynamics rather than of the arithmetic.
struct Scaled<'a> {
    inner: &'a dyn Objective,
    by: f64,
}

impl Objective for Scaled<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn loss(&self, theta: &[f64]) -> f64 {
        self.inner.loss(theta)
    }
    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.inner.gradient(theta, grad);
        grad.iter_mut().for_each(|g| *g *= 1.0 + self.by);
    }
}

#[test]
fn at_the_edge_of_stability_another_builds_roundoff_passes_and_a_change_of_eta_fails() {
    let path = scenario::named_path(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        "edge_of_stability_mlp",
    );
    let mut report = (scenario::load(&path).unwrap()).experiment.run();
    let pinned = golden::load(&golden::path_for(&path)).unwrap();
    let gd = pinned.methods.iter().find(|m| m.id == "gd").unwrap();
    let horizon = gd
        .horizon
        .expect("GD at the edge of stability is chaotic: it has a horizon");

    // The exactly pinned stretch covers the rise of λ_1 to 2/η; past the horizon the windows pin the loss.
    let d = report.diagnostics.as_ref().unwrap().method("gd").unwrap();
    let crossing = d.edge_of_stability.as_ref().unwrap().crossing_time.unwrap();
    assert!(
        horizon.t > crossing,
        "horizon t = {} before the crossing t = {crossing}",
        horizon.t
    );
    assert!(gd
        .points
        .iter()
        .any(|p| p.roundoff.is_some_and(|r| r.beyond_horizon)));
    assert!(!gd.windows.is_empty());
    let notes = pinned.horizon_notes();
    assert!(
        notes[0].starts_with("gd: past its predictability horizon"),
        "{notes:?}"
    );

    let i = report.methods.iter().position(|m| m.id == "gd").unwrap();
    let kind = report.experiment.methods[i].kind.clone();
    let rerun = |objective: &dyn Objective| {
        let s = &report.experiment;
        flowgap::method::run_method(&kind, objective, &s.init, &s.grid, s.divergence_bound)
    };
    // A twin with a salt the bless did not use: another build's roundoff (64 ulps per gradient component).
    let other_build = rerun(&Jittered::new(report.experiment.objective.as_ref(), 0xF10_6A9));
    let eta_moved = rerun(&Scaled {
        inner: report.experiment.objective.as_ref(),
        by: 1e-7,
    });

    report.methods[i].trajectory = other_build;
    let misses = golden::compare(&pinned, &report);
    assert!(misses.is_empty(), "{}", misses[0]);

    report.methods[i].trajectory = eta_moved;
    let misses = golden::compare(&pinned, &report);
    assert!(
        misses
            .iter()
            .any(|m| m.subject == "gd" && m.t.is_some_and(|t| t < horizon.t)),
        "a 1e-7 change of η must fail before the horizon: {misses:?}"
    );
}
