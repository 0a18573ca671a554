//! The preconditioned sharpness λ₁(P⁻¹H) along a continuous model of an adaptive method (the RMSProp
//! flow, the Adam ODE), whose P = √ν + ε (or √v̂ + ε) is part of the state: the solver records P at every
//! sample beside θ ([`crate::continuous::VectorField::preconditioner`]), so no second run is needed.
//! Drawn against the modelled method's threshold at the same η, as for the discrete method.

use super::sharpness::{Eigensolver, SharpnessSettings};
use super::{PreconditionedSharpness, SharpnessSeries};
use crate::continuous::AdaptiveFlow;
use crate::objective::Objective;
use crate::trajectory::Trajectory;

/// λ₁(P(t)⁻¹H(θ(t))) at the samples of `series` on the flow `model`'s path `run` (the top eigenvalue of
/// P^{-1/2} H P^{-1/2}, exact or Lanczos as `settings` choose), against the modelled method's threshold
/// at step `eta`. `None` for a model without a P state or threshold (sign, preconditioned flows), or a
/// run that recorded no P (a scheduled run, whose segments are integrated apart).
pub fn flow_preconditioned_sharpness(
    objective: &dyn Objective,
    model: &AdaptiveFlow,
    eta: f64,
    run: &Trajectory,
    series: &SharpnessSeries,
    settings: &SharpnessSettings,
) -> Option<PreconditionedSharpness> {
    let threshold = model.preconditioned_threshold(eta)?;
    let d = objective.dim();
    if run.preconditioners.len() != run.len() * d {
        return None;
    }
    let only_top = SharpnessSettings {
        top_k: 1,
        lambda_min: false,
        ..*settings
    };
    let mut solver = Eigensolver::new(d, only_top);
    let mut scale = vec![0.0; d];
    let (mut hvps, mut unconverged) = (0, 0);
    let mut lambda_1 = Vec::with_capacity(series.indices.len());
    for &i in &series.indices {
        for (s, p) in scale.iter_mut().zip(&run.preconditioners[i * d..(i + 1) * d]) {
            *s = 1.0 / p.sqrt();
        }
        let spec = solver.scaled_spectrum(objective, run.state(i), &scale);
        hvps += spec.hvps;
        unconverged += usize::from(!spec.converged);
        lambda_1.push(spec.top.first().copied().unwrap_or(f64::NAN));
    }
    Some(PreconditionedSharpness::new(
        threshold,
        lambda_1,
        hvps,
        unconverged,
    ))
}
