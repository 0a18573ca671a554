//! Methods as values: every built-in discrete method and continuous model, with its time map, its
//! stability threshold and whether it is discrete, continuous or an ensemble.

use crate::continuous::{ModifiedOrder, SolverSettings};
use crate::discrete::{
    gd_threshold, heavy_ball_threshold, nesterov_threshold, BlockScales, MomentumStart, NesterovSchedule,
};
use crate::stochastic::{SgdSettings, SmeSettings};
use crate::trajectory::TimeMap;

/// A method as the scenario asks for it.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodKind {
    /// Gradient descent.
    Gd,
    /// Gradient descent with a step-size scale per parameter block (`kind = "gd"` with `step_size_scale`).
    BlockGd(BlockScales),
    /// Heavy ball with momentum β and a velocity start.
    HeavyBall {
        /// β ∈ [0, 1).
        beta: f64,
        /// How the velocity starts.
        start: MomentumStart,
    },
    /// Nesterov's method (Sutskever's form) with a momentum schedule.
    Nesterov(NesterovSchedule),
    /// Gradient flow θ' = −∇L integrated by an ODE solver.
    GradientFlow(SolverSettings),
    /// The modified flow of GD (η = run.step_size) of order 1 or 2.
    ModifiedFlow {
        /// 1 or 2.
        order: ModifiedOrder,
        /// How to integrate.
        solver: SolverSettings,
    },
    /// A continuous model of heavy ball (η = run.step_size).
    HeavyBallFlow {
        /// β ∈ [0, 1), the modelled method's momentum.
        beta: f64,
        /// Which model.
        form: HeavyBallForm,
        /// How to integrate.
        solver: SolverSettings,
    },
    /// Su, Boyd & Candès' ODE X'' + (3/t)X' + ∇L = 0 on t = k·√η.
    NesterovOde(SolverSettings),
    /// SGD, an ensemble of seeded paths.
    Sgd(SgdSettings),
    /// The stochastic modified equation of SGD, an ensemble of seeded paths.
    Sme(SmeSettings),
}

/// The two continuous models of heavy ball.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeavyBallForm {
    /// The first-order modified flow (1 − β)θ' = −∇L − η(1 + β)/(2(1 − β)²)·H∇L.
    Modified,
    /// The mass/friction ODE (η/2)(1 + β)θ'' + (1 − β)θ' + ∇L = 0 with its initial velocity.
    SecondOrder(MomentumStart),
}

impl MethodKind {
    /// The kinds accepted in a scenario.
    pub const NAMES: [&'static str; 9] = [
        "gd",
        "heavy_ball",
        "nesterov",
        "gradient_flow",
        "modified_flow",
        "heavy_ball_flow",
        "nesterov_ode",
        "sgd",
        "sme",
    ];

    /// The scenario name of this kind.
    pub fn name(&self) -> &'static str {
        match self {
            MethodKind::Gd | MethodKind::BlockGd(_) => "gd",
            MethodKind::HeavyBall { .. } => "heavy_ball",
            MethodKind::Nesterov(_) => "nesterov",
            MethodKind::GradientFlow(_) => "gradient_flow",
            MethodKind::ModifiedFlow { .. } => "modified_flow",
            MethodKind::HeavyBallFlow { .. } => "heavy_ball_flow",
            MethodKind::NesterovOde(_) => "nesterov_ode",
            MethodKind::Sgd(_) => "sgd",
            MethodKind::Sme(_) => "sme",
        }
    }

    /// True for discrete iterations.
    pub fn is_discrete(&self) -> bool {
        matches!(
            self,
            MethodKind::Gd
                | MethodKind::BlockGd(_)
                | MethodKind::HeavyBall { .. }
                | MethodKind::Nesterov(_)
                | MethodKind::Sgd(_)
        )
    }

    /// How the method's step k maps to time: t = k·η, except Nesterov with the Su–Boyd–Candès schedule
    /// and its ODE, t = k·√η.
    pub fn time_map(&self) -> TimeMap {
        match self {
            MethodKind::Nesterov(schedule) => schedule.time_map(),
            MethodKind::NesterovOde(_) => TimeMap::SqrtEta,
            _ => TimeMap::Eta,
        }
    }

    /// The linear stability threshold on the sharpness λ_max for a discrete method with step `eta`: on
    /// a quadratic it converges iff λ_max is below it (GD 2/η, heavy ball 2(1 + β)/η, Nesterov
    /// (2 + 2β)/(η(1 + 2β)); for the Su–Boyd–Candès schedule, whose β_k → 1, the limit 4/(3η)).
    /// `None` for continuous models.
    pub fn stability_threshold(&self, eta: f64) -> Option<f64> {
        match *self {
            MethodKind::Gd | MethodKind::Sgd(_) => Some(gd_threshold(eta)),
            MethodKind::HeavyBall { beta, .. } => Some(heavy_ball_threshold(eta, beta)),
            MethodKind::Nesterov(NesterovSchedule::Constant(beta)) => Some(nesterov_threshold(eta, beta)),
            MethodKind::Nesterov(NesterovSchedule::SuBoydCandes) => Some(nesterov_threshold(eta, 1.0)),
            _ => None,
        }
    }

    /// The method's resolved settings, for summary.json.
    pub fn settings(&self) -> serde_json::Value {
        use serde_json::json;
        let solver = |s: &SolverSettings| serde_json::to_value(s).expect("plain data");
        match self {
            MethodKind::Gd => json!({}),
            MethodKind::BlockGd(s) => json!({ "step_size_scale": s.0 }),
            MethodKind::HeavyBall { beta, start } => json!({ "beta": beta, "start": start }),
            MethodKind::Nesterov(NesterovSchedule::Constant(beta)) => {
                json!({ "schedule": "constant", "beta": beta })
            }
            MethodKind::Nesterov(NesterovSchedule::SuBoydCandes) => {
                json!({ "schedule": "su_boyd_candes", "beta": "(k-1)/(k+2)" })
            }
            MethodKind::GradientFlow(s) | MethodKind::NesterovOde(s) => solver(s),
            MethodKind::Sgd(s) => crate::stochastic::sgd_settings_json(s),
            MethodKind::Sme(s) => crate::stochastic::sme_settings_json(s),
            MethodKind::ModifiedFlow { order, solver: s } => {
                let mut v = solver(s);
                v["order"] = json!(order.as_number());
                v
            }
            MethodKind::HeavyBallFlow {
                beta,
                form,
                solver: s,
            } => {
                let mut v = solver(s);
                v["beta"] = json!(beta);
                match form {
                    HeavyBallForm::Modified => v["form"] = json!("modified"),
                    HeavyBallForm::SecondOrder(start) => {
                        v["form"] = json!("second_order");
                        v["start"] = json!(start);
                    }
                }
                v
            }
        }
    }
}

/// One `[[method]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodConfig {
    /// Its unique id (file names and comparisons use it).
    pub id: String,
    /// What to run.
    pub kind: MethodKind,
}
