//! The preconditioned sharpness λ₁(P⁻¹H) along a continuous model of an adaptive method (the RMSProp
//! flow, the Adam ODE), whose P = √ν + ε (or √v̂ + ε) is part of the state: the solver records P at every
//! sample beside θ ([`crate::continuous::VectorField::preconditioner`]), so no second run is needed.
//! Drawn against the modelled method's threshold at the same η, as for the discrete method.

use super::sharpness::SharpnessSettings;
use super::{preconditioned_lambda_1, PreconditionedSharpness, SharpnessSeries};
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
    Some(preconditioned_lambda_1(
        objective,
        run,
        series,
        settings,
        threshold,
        (&run.preconditioners, |_, i| i),
    ))
}
