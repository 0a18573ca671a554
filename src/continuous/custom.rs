//! A user's own continuous model: a vector field built on the objective, integrated by the same solver
//! as the built-in flows.

use super::VectorField;
use crate::objective::Objective;
use crate::trajectory::TimeMap;

/// A continuous-time model of a training method: implement this to integrate your own ODE through
/// [`crate::experiment::Experiment`] with any [`super::SolverSettings`], exactly like a built-in flow.
pub trait ContinuousModel: Send + Sync {
    /// The model's kind, as summary.json and the figures' legends name it (`my_flow`).
    fn name(&self) -> &str;

    /// How the modelled method's step k maps to time (t = k·η unless the model says otherwise).
    fn time_map(&self) -> TimeMap {
        TimeMap::Eta
    }

    /// The model's settings, as summary.json records them beside the solver's (an object).
    fn settings(&self) -> serde_json::Value {
        serde_json::Value::Object(Default::default())
    }

    /// The vector field on `objective` for the modelled method's step size `eta`.
    fn field<'a>(&'a self, objective: &'a dyn Objective, eta: f64) -> Box<dyn VectorField + 'a>;
}
