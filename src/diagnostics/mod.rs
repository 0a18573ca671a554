//! Diagnostics that explain why a discrete method and its continuous model part: sharpness against the
//! stability threshold (edge of stability), the Elkabetz–Cohen curvature bound, conserved-quantity
//! drift, end states, and finite-time Lyapunov exponents. A post-pass over finished runs, switched on by
//! a scenario's `[diagnostics]` table; docs/diagnostics.md states every formula.

pub mod conserved;
pub mod elkabetz_cohen;
pub mod end_state;
pub mod ensemble_preconditioned;
pub mod eos;
pub mod flow_preconditioned;
pub mod lyapunov;
pub mod sharpness;

use crate::compare::Comparison;
use crate::discrete::{adaptive_preconditioners, AdaptiveMethod};
use crate::method::{MethodConfig, MethodKind, MethodRun, Problem};
use crate::objective::Objective;
use crate::trajectory::{TimeGrid, Trajectory};
use conserved::ConservedDrift;
use elkabetz_cohen::ElkabetzCohen;
use end_state::{EndState, EndStateSettings};
use eos::{DepartureVsCrossing, EdgeOfStability};
use lyapunov::{Lyapunov, LyapunovSettings};
use serde::Serialize;
use sharpness::{Eigensolver, SharpnessSettings};

/// What to diagnose (the scenario's `[diagnostics]` table). End states and conserved drift are always
/// reported; sharpness and Lyapunov exponents cost Hessian products or a second run, so each is on only
/// when its table is given.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct DiagnosticsConfig {
    /// `[diagnostics.sharpness]`.
    pub sharpness: Option<SharpnessSettings>,
    /// `[diagnostics.lyapunov]` (with `enabled = true`).
    pub lyapunov: Option<LyapunovSettings>,
    /// `[diagnostics.end_state]`.
    pub end_state: EndStateSettings,
}

/// Sampled Hessian spectra along one path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharpnessSeries {
    /// `exact` or `lanczos`.
    pub method: &'static str,
    /// Hessian-vector products spent.
    pub hvps: u64,
    /// Points where Lanczos stopped at its iteration cap before meeting its tolerance.
    pub unconverged_points: usize,
    /// Index into the trajectory's recorded points of each sample.
    #[serde(skip)]
    pub indices: Vec<usize>,
    /// The sample times.
    #[serde(skip)]
    pub times: Vec<f64>,
    /// λ_1 ≥ … ≥ λ_k at each sample (row-major, `k` per sample).
    #[serde(skip)]
    pub top: Vec<f64>,
    /// k, the number of top eigenvalues per sample.
    pub k: usize,
    /// λ_min at each sample.
    #[serde(skip)]
    pub min: Vec<f64>,
    /// λ_1 at the first and last samples, and its maximum.
    pub initial_lambda_1: f64,
    /// λ_1 at the last sample.
    pub final_lambda_1: f64,
    /// max λ_1 over the samples.
    pub max_lambda_1: f64,
    /// λ_min at the last sample.
    pub final_lambda_min: f64,
    /// min λ_min over the samples.
    pub min_lambda_min: f64,
    /// The preconditioned sharpness λ₁(P⁻¹H) at the same samples (adaptive methods with a diagonal P).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preconditioned: Option<PreconditionedSharpness>,
}

/// The preconditioned sharpness λ₁(P⁻¹H) of an adaptive method along its path, P_k the diagonal its step
/// from θ_k divides by (Adam, RMSProp: √v̂ + ε), computed as the top eigenvalue of P^{-1/2} H P^{-1/2}.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreconditionedSharpness {
    /// The method's threshold on it (`MethodKind::preconditioned_threshold`).
    pub threshold: f64,
    /// Hessian-vector products spent on it.
    pub hvps: u64,
    /// Points where Lanczos stopped at its cap before meeting its tolerance.
    pub unconverged_points: usize,
    /// λ₁(P⁻¹H) at each sample of the series.
    #[serde(skip)]
    pub lambda_1: Vec<f64>,
    /// At the first sample.
    pub initial_lambda_1: f64,
    /// At the last sample.
    pub final_lambda_1: f64,
    /// The largest over the samples.
    pub max_lambda_1: f64,
    /// For a minibatch adaptive ensemble, whose `lambda_1` is the mean over its paths of
    /// λ₁(P_i⁻¹H(θ_i)): the spread over the paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<ensemble_preconditioned::EnsemblePreconditioned>,
}

impl PreconditionedSharpness {
    /// The series `lambda_1` against `threshold`, with its summary numbers.
    pub fn new(threshold: f64, lambda_1: Vec<f64>, hvps: u64, unconverged_points: usize) -> Self {
        PreconditionedSharpness {
            threshold,
            hvps,
            unconverged_points,
            initial_lambda_1: lambda_1.first().copied().unwrap_or(f64::NAN),
            final_lambda_1: lambda_1.last().copied().unwrap_or(f64::NAN),
            max_lambda_1: lambda_1.iter().copied().fold(f64::NAN, f64::max),
            lambda_1,
            ensemble: None,
        }
    }
}

impl SharpnessSeries {
    /// λ_1 at each sample.
    pub fn lambda_1(&self) -> Vec<f64> {
        self.top.chunks(self.k.max(1)).map(|c| c[0]).collect()
    }

    /// Sets the summary numbers (λ_1 at the first and last samples and its maximum, λ_min at the last
    /// sample and its minimum) from the samples.
    pub fn summarise(&mut self) {
        let l1 = self.lambda_1();
        self.initial_lambda_1 = l1.first().copied().unwrap_or(f64::NAN);
        self.final_lambda_1 = l1.last().copied().unwrap_or(f64::NAN);
        self.max_lambda_1 = l1.iter().copied().fold(f64::NAN, f64::max);
        self.final_lambda_min = self.min.last().copied().unwrap_or(f64::NAN);
        self.min_lambda_min = self.min.iter().copied().fold(f64::NAN, f64::min);
    }
}

/// The diagnostics of one method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodDiagnostics {
    /// The method's id.
    pub id: String,
    /// Sampled spectra (when `[diagnostics.sharpness]` is given).
    pub sharpness: Option<SharpnessSeries>,
    /// Sharpness against the stability threshold (discrete methods with sharpness; for the adaptive
    /// methods the preconditioned sharpness against their preconditioned threshold).
    pub edge_of_stability: Option<EdgeOfStability>,
    /// Drift of each conserved quantity.
    pub conserved: Vec<ConservedDrift>,
    /// Where the method ended.
    pub end_state: EndState,
    /// Finite-time Lyapunov exponent (when `[diagnostics.lyapunov]` is enabled).
    pub lyapunov: Option<Lyapunov>,
}

/// The diagnostics of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonDiagnostics {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// Departure against crossing, for each discrete side that has a threshold and sharpness.
    pub edge_of_stability: Vec<DepartureVsCrossing>,
    /// The Elkabetz–Cohen bound (GD against gradient flow, with sharpness).
    pub elkabetz_cohen: Option<ElkabetzCohen>,
    /// Whether both methods end alike (see [`end_state::agree`]).
    pub end_states_agree: bool,
}

/// Everything the post-pass found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Per method, in scenario order.
    pub methods: Vec<MethodDiagnostics>,
    /// Per comparison, in scenario order.
    pub comparisons: Vec<ComparisonDiagnostics>,
}

impl Diagnostics {
    /// The diagnostics of the method with this id.
    pub fn method(&self, id: &str) -> Option<&MethodDiagnostics> {
        self.methods.iter().find(|m| m.id == id)
    }
}

/// The spectra of `run`'s path at every `settings.every`-th recorded point and at the last one.
pub fn sharpness_series(
    objective: &dyn crate::objective::Objective,
    run: &crate::trajectory::Trajectory,
    settings: &SharpnessSettings,
) -> SharpnessSeries {
    let mut solver = Eigensolver::new(objective.dim(), *settings);
    let k = settings.top_k.min(objective.dim());
    let n = run.len();
    let mut indices: Vec<usize> = (0..n).step_by(settings.every.max(1)).collect();
    if n > 0 && indices.last() != Some(&(n - 1)) {
        indices.push(n - 1);
    }
    let mut s = SharpnessSeries {
        method: if solver.is_exact() { "exact" } else { "lanczos" },
        hvps: 0,
        unconverged_points: 0,
        indices: Vec::with_capacity(indices.len()),
        times: Vec::with_capacity(indices.len()),
        top: Vec::with_capacity(indices.len() * k),
        k,
        min: Vec::with_capacity(indices.len()),
        initial_lambda_1: f64::NAN,
        final_lambda_1: f64::NAN,
        max_lambda_1: f64::NAN,
        final_lambda_min: f64::NAN,
        min_lambda_min: f64::NAN,
        preconditioned: None,
    };
    for i in indices {
        let theta = run.state(i);
        if !theta.iter().all(|x| x.is_finite()) {
            break;
        }
        let spec = solver.spectrum(objective, theta);
        s.hvps += spec.hvps;
        s.unconverged_points += usize::from(!spec.converged);
        s.indices.push(i);
        s.times.push(run.times[i]);
        s.top.extend(spec.top.iter().copied());
        // Fewer Ritz values than k (Lanczos in a tiny invariant subspace): pad so rows stay aligned.
        s.top.extend(std::iter::repeat_n(f64::NAN, k - spec.top.len()));
        s.min.push(spec.min);
    }
    s.summarise();
    s
}

/// λ₁(P_k⁻¹H(θ_k)) at the samples of `series` on `run`, the path of the adaptive `method` from `init`
/// over `grid`: P_k is recovered by running the method again ([`adaptive_preconditioners`]); the top
/// eigenvalue is that of P^{-1/2} H P^{-1/2} (exact or Lanczos, as `settings` choose for H). `None` for
/// methods without a diagonal preconditioner or threshold (the sign methods).
pub fn preconditioned_sharpness(
    objective: &dyn Objective,
    (init, grid): (&[f64], &TimeGrid),
    method: &AdaptiveMethod,
    run: &Trajectory,
    series: &SharpnessSeries,
    settings: &SharpnessSettings,
) -> Option<PreconditionedSharpness> {
    let threshold = method.preconditioned_threshold(grid.step_size)?;
    let steps: Vec<u64> = series.indices.iter().map(|&i| run.steps[i]).collect();
    let p = adaptive_preconditioners(objective, init, grid, method, &steps)?.p;
    Some(preconditioned_lambda_1(
        objective,
        run,
        series,
        settings,
        threshold,
        (&p, |j, _| j),
    ))
}

/// λ₁(P⁻¹H) at each sample of `series` on `run` against `threshold`: the top eigenvalue of
/// P^{-1/2} H P^{-1/2} (exact or Lanczos, as `settings` choose for H). P at the j-th sample (run index
/// i) is row `row(j, i)` of `p` (d numbers a row), so a method's recovered P (one row per sample) and a
/// flow's recorded P (one row per run point) share this loop.
fn preconditioned_lambda_1(
    objective: &dyn Objective,
    run: &Trajectory,
    series: &SharpnessSeries,
    settings: &SharpnessSettings,
    threshold: f64,
    (p, row): (&[f64], impl Fn(usize, usize) -> usize),
) -> PreconditionedSharpness {
    let d = objective.dim();
    // Only λ₁ is wanted: no λ_min, one top value.
    let only_top = SharpnessSettings {
        top_k: 1,
        lambda_min: false,
        ..*settings
    };
    let mut solver = Eigensolver::new(d, only_top);
    let mut scale = vec![0.0; d];
    let (mut hvps, mut unconverged) = (0, 0);
    let mut lambda_1 = Vec::with_capacity(series.indices.len());
    for (j, &i) in series.indices.iter().enumerate() {
        let r = row(j, i);
        for (s, pi) in scale.iter_mut().zip(&p[r * d..(r + 1) * d]) {
            *s = 1.0 / pi.sqrt();
        }
        let spec = solver.scaled_spectrum(objective, run.state(i), &scale);
        hvps += spec.hvps;
        unconverged += usize::from(!spec.converged);
        lambda_1.push(spec.top.first().copied().unwrap_or(f64::NAN));
    }
    PreconditionedSharpness::new(threshold, lambda_1, hvps, unconverged)
}

/// Runs every diagnostic `config` asks for over the finished runs `methods` of the methods `configs` on
/// `problem`.
pub fn diagnose(
    config: &DiagnosticsConfig,
    problem: Problem,
    configs: &[MethodConfig],
    methods: &[MethodRun],
    comparisons: &[Comparison],
) -> Diagnostics {
    let objective = problem.objective;
    let sharpness = methods
        .iter()
        .zip(configs)
        .map(|(run, config_m)| {
            let settings = config.sharpness.as_ref()?;
            let mut series = sharpness_series(objective, &run.trajectory, settings);
            if let MethodKind::Adaptive(method) = &config_m.kind {
                let grid = config_m
                    .grid(problem.grid)
                    .with_time_map(config_m.kind.time_map());
                series.preconditioned = preconditioned_sharpness(
                    objective,
                    (problem.init, &grid),
                    method,
                    &run.trajectory,
                    &series,
                    settings,
                );
            }
            if let MethodKind::Sgd(ensemble) = &config_m.kind {
                let grid = config_m
                    .grid(problem.grid)
                    .with_time_map(config_m.kind.time_map());
                series.preconditioned = ensemble_preconditioned::ensemble_preconditioned_sharpness(
                    objective,
                    (problem.init, &grid, problem.divergence_bound),
                    ensemble,
                    &run.trajectory,
                    &series,
                    settings,
                );
            }
            if let MethodKind::AdaptiveFlow { model, .. } = &config_m.kind {
                let eta = problem.grid.with_time_map(config_m.kind.time_map()).step_size;
                series.preconditioned = flow_preconditioned::flow_preconditioned_sharpness(
                    objective,
                    model,
                    eta,
                    &run.trajectory,
                    &series,
                    settings,
                );
            }
            Some(series)
        })
        .collect();
    let eta = problem.grid.step_size;
    let mut per_method = method_diagnostics(config, objective, eta, configs, methods, sharpness);
    if let Some(l) = &config.lyapunov {
        for ((d, run), config_m) in per_method.iter_mut().zip(methods).zip(configs) {
            d.lyapunov = Some(lyapunov::lyapunov(
                &config_m.kind,
                objective,
                problem.init,
                config_m.grid(problem.grid),
                problem.divergence_bound,
                &run.trajectory,
                l,
            ));
        }
    }
    let index = |id: &str| methods.iter().position(|m| m.id == id).expect("validated id");
    let per_comparison = comparisons
        .iter()
        .map(|c| {
            let (ia, ib) = (index(&c.a), index(&c.b));
            let mut eos_rel = Vec::new();
            for &i in &[ia, ib] {
                if let Some(e) = &per_method[i].edge_of_stability {
                    eos_rel.push(eos::relate(&methods[i].id, e.crossing_time, c.departure_time));
                }
            }
            let elkabetz_cohen =
                elkabetz_cohen_for((objective, eta), configs, methods, &per_method, c, (ia, ib));
            ComparisonDiagnostics {
                a: c.a.clone(),
                b: c.b.clone(),
                edge_of_stability: eos_rel,
                elkabetz_cohen,
                end_states_agree: end_state::agree(
                    &per_method[ia].end_state,
                    &per_method[ib].end_state,
                    config.end_state.minimum_radius,
                ),
            }
        })
        .collect();
    Diagnostics {
        methods: per_method,
        comparisons: per_comparison,
    }
}

/// The diagnostics of each method given its sharpness series (`None` without `[diagnostics.sharpness]`):
/// edge of stability, conserved drift and end states, all cheap functions of the recorded paths. The
/// series are computed by [`diagnose`] or read back from a run's `<id>_sharpness.csv` by `flowgap plot`;
/// `lyapunov` is left `None` (it costs a second run of each method, which [`diagnose`] makes).
/// `objective` and the step size `eta` are the experiment's; `configs` are its methods.
pub fn method_diagnostics(
    config: &DiagnosticsConfig,
    objective: &dyn Objective,
    eta: f64,
    configs: &[MethodConfig],
    methods: &[MethodRun],
    sharpness: Vec<Option<SharpnessSeries>>,
) -> Vec<MethodDiagnostics> {
    let mut per_method: Vec<MethodDiagnostics> = methods
        .iter()
        .zip(configs)
        .zip(sharpness)
        .map(|((run, config_m), sharpness)| {
            let t = &run.trajectory;
            let edge_of_stability = match (&sharpness, config_m.kind.stability_threshold(eta)) {
                (Some(s), _) if s.preconditioned.is_some() => {
                    let p = s.preconditioned.as_ref().expect("matched");
                    Some(eos::edge_of_stability(
                        "preconditioned_sharpness",
                        &s.times,
                        &p.lambda_1,
                        p.threshold,
                    ))
                }
                (Some(s), Some(threshold)) => Some(eos::edge_of_stability(
                    "sharpness",
                    &s.times,
                    &s.lambda_1(),
                    threshold,
                )),
                _ => None,
            };
            MethodDiagnostics {
                id: run.id.clone(),
                sharpness,
                edge_of_stability,
                conserved: conserved::drift(t),
                end_state: end_state::classify(objective, &config_m.kind, eta, t, &config.end_state),
                lyapunov: None,
            }
        })
        .collect();
    if objective.known_minima().is_empty() {
        let mut states: Vec<EndState> = per_method.iter().map(|m| m.end_state.clone()).collect();
        end_state::cluster(&mut states, config.end_state.minimum_radius);
        for (m, s) in per_method.iter_mut().zip(states) {
            m.end_state = s;
        }
    }
    per_method
}

/// The Elkabetz–Cohen bound when one side is GD and the other gradient flow with sharpness samples.
fn elkabetz_cohen_for(
    (objective, eta): (&dyn Objective, f64),
    configs: &[MethodConfig],
    methods: &[MethodRun],
    diags: &[MethodDiagnostics],
    c: &Comparison,
    (ia, ib): (usize, usize),
) -> Option<ElkabetzCohen> {
    let kind = |i: usize| &configs[i].kind;
    let (gd, flow) = match (kind(ia), kind(ib)) {
        (MethodKind::Gd, MethodKind::GradientFlow(_)) => (ia, ib),
        (MethodKind::GradientFlow(_), MethodKind::Gd) => (ib, ia),
        _ => return None,
    };
    let s = diags[flow].sharpness.as_ref()?;
    let t = &methods[flow].trajectory;
    let samples: Vec<(f64, f64, &[f64])> = s
        .indices
        .iter()
        .zip(&s.min)
        .map(|(&i, &m)| (t.times[i], m, t.state(i)))
        .collect();
    let distance_at = |time: f64| {
        let j = c
            .times
            .partition_point(|&x| x < time - 1e-12 * time.abs().max(1.0));
        (j < c.times.len() && (c.times[j] - time).abs() <= 1e-12 * time.abs().max(1.0))
            .then(|| c.distances[j])
    };
    let (ec, _hvps) = elkabetz_cohen::bound(
        &methods[gd].id,
        &methods[flow].id,
        objective,
        eta,
        &samples,
        distance_at,
    );
    Some(ec)
}
