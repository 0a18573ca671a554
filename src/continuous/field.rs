//! Vector fields y' = F(t, y) that model a discrete method. For first-order models the state y is θ;
//! second-order models (momentum ODEs) carry y = (θ, θ') of length 2d and say how to read θ from it.

use crate::objective::Objective;

/// The right-hand side of an ODE y' = F(t, y) whose state y holds the parameters θ.
pub trait VectorField {
    /// The state dimension (d for a first-order model, 2d for a second-order one).
    fn dim(&self) -> usize;

    /// Writes F(t, y) into `out`.
    fn eval(&self, t: f64, state: &[f64], out: &mut [f64]);

    /// The parameter dimension d (the length of [`VectorField::position`]).
    fn position_dim(&self) -> usize {
        self.dim()
    }

    /// θ within a state (by default the state is θ).
    fn position<'a>(&self, state: &'a [f64]) -> &'a [f64] {
        state
    }

    /// Writes the initial state for parameters θ0 into `out` (by default θ0 itself; second-order models
    /// add their initial velocity).
    fn initial_state(&self, theta0: &[f64], out: &mut [f64]) {
        out.copy_from_slice(theta0);
    }

    /// True when F depends on t. ode_solvers 0.6.2's dop853 evaluates its 12th stage at t instead of
    /// t + h (its node c₁₂ is 0, not 1), which makes it first-order accurate for time-dependent fields; the
    /// solver therefore carries time as an extra state component (t' = 1) for such fields, so the
    /// integrator only ever sees an autonomous system.
    fn time_dependent(&self) -> bool {
        false
    }

    /// For a field singular at t = 0 (such as 3/t): a time τ > 0, no later than `horizon`, and the
    /// state at τ written into `state` (which holds the initial state on entry), from a series
    /// expansion of the solution. The solver integrates from τ on. `None` (the default): integrate from 0.
    fn series_start(&self, _state: &mut [f64], _horizon: f64) -> Option<f64> {
        None
    }

    /// For a model of an adaptive method that carries its second moment as state (the RMSProp flow, the
    /// Adam ODE): writes into `out` (length [`VectorField::position_dim`]) the diagonal P its θ' divides
    /// by at (t, state) and returns true, so that the solver can record P beside θ for the preconditioned
    /// sharpness λ₁(P⁻¹H). False (the default, `out` untouched) for every other field.
    fn preconditioner(&self, _t: f64, _state: &[f64], _out: &mut [f64]) -> bool {
        false
    }
}

/// Gradient flow θ' = −∇L(θ), the η → 0 limit of gradient descent.
pub struct GradientFlow<'a, O: Objective + ?Sized> {
    /// The loss whose gradient drives the flow.
    pub objective: &'a O,
}

impl<O: Objective + ?Sized> VectorField for GradientFlow<'_, O> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        self.objective.gradient(theta, out);
        out.iter_mut().for_each(|x| *x = -*x);
    }
}
