//! Methods as values: every built-in discrete method and continuous model, and a user's own
//! ([`DiscreteMethod`], [`ContinuousModel`]), with its time map, its stability threshold and its class
//! (discrete, continuous, ensemble) — each an exhaustive match, so a new method cannot fall through a
//! default. Running one is [`run_method`].

mod run;
mod scheduled;

pub use run::{run_method, run_method_extras, run_method_watched, MethodRun, Problem, RunExtras};

pub use crate::continuous::ContinuousModel;
pub use crate::discrete::DiscreteMethod;

use crate::continuous::{
    AdaptiveFlow, CentralOptimizer, CentralSettings, ModifiedOrder, SolverSettings, StableSettings,
};
use crate::discrete::{
    gd_threshold, heavy_ball_threshold, nesterov_threshold, AdaptiveMethod, BlockScales, MomentumStart,
    NesterovSchedule,
};
use crate::stochastic::{Ensemble, SgdSettings, SmeSettings};
use crate::trajectory::{TimeGrid, TimeMap};
use std::sync::Arc;

/// A method: one of the built-in kinds a scenario can name, or a user's own.
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
    /// An adaptive or sign method (`rmsprop`, `scalar_rmsprop`, `adam`, `adamw`, `sign_gd`,
    /// `sign_momentum`).
    Adaptive(AdaptiveMethod),
    /// A continuous model of the adaptive methods (`rmsprop_flow`, `adam_ode`, `sign_flow`,
    /// `preconditioned_flow`).
    AdaptiveFlow {
        /// The model.
        model: AdaptiveFlow,
        /// How to integrate it.
        solver: SolverSettings,
    },
    /// SGD's modified flow (Smith, Dherin, Barrett & De 2021): the gradient flow of
    /// L + (η/4m)Σ_k‖∇L_k‖² for SGD with random reshuffling over minibatches of `batch_size`, the model of
    /// the SGD ensemble's mean after whole epochs (a finite-sum objective only).
    SgdModifiedFlow {
        /// B, the modelled SGD's minibatch size (1 ≤ B ≤ n).
        batch_size: usize,
        /// How to integrate.
        solver: SolverSettings,
    },
    /// The central flow of GD (η = run.step_size, Cohen et al. 2025): gradient flow plus the
    /// covariance Σ that holds the critical Hessian eigenvalues at 2/η; with
    /// `settings.optimizer` scalar RMSProp's (`scalar_rmsprop_central_flow`), at 2(√ν + ε)/η.
    CentralFlow {
        /// k_max, the candidate fraction and the relaxation rate.
        settings: CentralSettings,
        /// How to integrate it.
        solver: SolverSettings,
    },
    /// Self-stabilization's constrained trajectory (Damian, Nichani & Lee 2023, η = run.step_size):
    /// gradient flow projected onto {S ≤ 2/η, ∇L·u = 0} once S reaches 2/η.
    StableFlow {
        /// The candidate fraction and the relaxation rate.
        settings: StableSettings,
        /// How to integrate it.
        solver: SolverSettings,
    },
    /// SGD, an ensemble of seeded paths.
    Sgd(SgdSettings),
    /// The stochastic modified equation of SGD, an ensemble of seeded paths.
    Sme(SmeSettings),
    /// A user's discrete method, run by the same driver as the built-in ones.
    Discrete(UserMethod),
    /// A user's continuous model, integrated by the same solver as the built-in flows.
    Continuous {
        /// The model.
        model: UserModel,
        /// How to integrate it.
        solver: SolverSettings,
    },
}

/// A user's [`DiscreteMethod`], shared (cloning a scenario's methods clones the handle).
#[derive(Clone)]
pub struct UserMethod(pub Arc<dyn DiscreteMethod>);

/// A user's [`ContinuousModel`], shared.
#[derive(Clone)]
pub struct UserModel(pub Arc<dyn ContinuousModel>);

impl std::fmt::Debug for UserMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserMethod({})", self.0.name())
    }
}

impl std::fmt::Debug for UserModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserModel({})", self.0.name())
    }
}

/// Two handles are equal when they are the same method (user methods have no other notion of equality).
impl PartialEq for UserMethod {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Two handles are equal when they are the same model.
impl PartialEq for UserModel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What kind of thing a method is: figures draw discrete iterates as markers and continuous models as
/// lines; ensembles carry statistics over seeded paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodClass {
    /// A discrete iteration with one path.
    Discrete,
    /// A continuous-time model with one path.
    Continuous,
    /// An ensemble of discrete paths (SGD).
    DiscreteEnsemble,
    /// An ensemble of continuous paths (the SME).
    ContinuousEnsemble,
}

impl MethodClass {
    /// True for discrete iterations (one path or an ensemble).
    pub fn is_discrete(self) -> bool {
        match self {
            MethodClass::Discrete | MethodClass::DiscreteEnsemble => true,
            MethodClass::Continuous | MethodClass::ContinuousEnsemble => false,
        }
    }

    /// True for ensembles of seeded paths.
    pub fn is_ensemble(self) -> bool {
        match self {
            MethodClass::DiscreteEnsemble | MethodClass::ContinuousEnsemble => true,
            MethodClass::Discrete | MethodClass::Continuous => false,
        }
    }
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
    /// The built-in kinds, as a scenario names them.
    pub const NAMES: [&'static str; 23] = [
        "gd",
        "heavy_ball",
        "nesterov",
        "gradient_flow",
        "modified_flow",
        "heavy_ball_flow",
        "nesterov_ode",
        "sgd",
        "sme",
        "rmsprop",
        "scalar_rmsprop",
        "adam",
        "adamw",
        "sign_gd",
        "sign_momentum",
        "rmsprop_flow",
        "adam_ode",
        "sign_flow",
        "preconditioned_flow",
        "sgd_modified_flow",
        "central_flow",
        "scalar_rmsprop_central_flow",
        "stable_flow",
    ];

    /// The kind's name (a scenario's `kind`, or the name a user's method gives itself).
    pub fn name(&self) -> &str {
        match self {
            MethodKind::Gd | MethodKind::BlockGd(_) => "gd",
            MethodKind::HeavyBall { .. } => "heavy_ball",
            MethodKind::Nesterov(_) => "nesterov",
            MethodKind::GradientFlow(_) => "gradient_flow",
            MethodKind::ModifiedFlow { .. } => "modified_flow",
            MethodKind::SgdModifiedFlow { .. } => "sgd_modified_flow",
            MethodKind::HeavyBallFlow { .. } => "heavy_ball_flow",
            MethodKind::NesterovOde(_) => "nesterov_ode",
            MethodKind::CentralFlow { settings, .. } => settings.optimizer.kind_name(),
            MethodKind::StableFlow { .. } => "stable_flow",
            MethodKind::Sgd(_) => "sgd",
            MethodKind::Sme(_) => "sme",
            MethodKind::Adaptive(a) => a.name(),
            MethodKind::AdaptiveFlow { model, .. } => model.name(),
            MethodKind::Discrete(m) => m.0.name(),
            MethodKind::Continuous { model, .. } => model.0.name(),
        }
    }

    /// Discrete, continuous, or an ensemble of either.
    pub fn class(&self) -> MethodClass {
        match self {
            MethodKind::Gd
            | MethodKind::BlockGd(_)
            | MethodKind::HeavyBall { .. }
            | MethodKind::Nesterov(_)
            | MethodKind::Adaptive(_)
            | MethodKind::Discrete(_) => MethodClass::Discrete,
            MethodKind::GradientFlow(_)
            | MethodKind::ModifiedFlow { .. }
            | MethodKind::SgdModifiedFlow { .. }
            | MethodKind::HeavyBallFlow { .. }
            | MethodKind::NesterovOde(_)
            | MethodKind::AdaptiveFlow { .. }
            | MethodKind::CentralFlow { .. }
            | MethodKind::StableFlow { .. }
            | MethodKind::Continuous { .. } => MethodClass::Continuous,
            MethodKind::Sgd(_) => MethodClass::DiscreteEnsemble,
            MethodKind::Sme(_) => MethodClass::ContinuousEnsemble,
        }
    }

    /// True for discrete iterations (SGD included).
    pub fn is_discrete(&self) -> bool {
        self.class().is_discrete()
    }

    /// The ensemble to run for `sgd` and `sme`; `None` for single-path methods.
    pub fn ensemble(&self) -> Option<Ensemble<'_>> {
        match self {
            MethodKind::Sgd(s) => Some(Ensemble::Sgd(s)),
            MethodKind::Sme(s) => Some(Ensemble::Sme(s)),
            MethodKind::Gd
            | MethodKind::BlockGd(_)
            | MethodKind::HeavyBall { .. }
            | MethodKind::Nesterov(_)
            | MethodKind::GradientFlow(_)
            | MethodKind::ModifiedFlow { .. }
            | MethodKind::SgdModifiedFlow { .. }
            | MethodKind::HeavyBallFlow { .. }
            | MethodKind::NesterovOde(_)
            | MethodKind::Adaptive(_)
            | MethodKind::AdaptiveFlow { .. }
            | MethodKind::CentralFlow { .. }
            | MethodKind::StableFlow { .. }
            | MethodKind::Discrete(_)
            | MethodKind::Continuous { .. } => None,
        }
    }

    /// The solver settings of a continuous model; `None` for discrete methods and ensembles.
    pub fn solver(&self) -> Option<&SolverSettings> {
        match self {
            MethodKind::GradientFlow(s) | MethodKind::NesterovOde(s) => Some(s),
            MethodKind::ModifiedFlow { solver, .. }
            | MethodKind::SgdModifiedFlow { solver, .. }
            | MethodKind::HeavyBallFlow { solver, .. }
            | MethodKind::AdaptiveFlow { solver, .. }
            | MethodKind::CentralFlow { solver, .. }
            | MethodKind::StableFlow { solver, .. }
            | MethodKind::Continuous { solver, .. } => Some(solver),
            MethodKind::Gd
            | MethodKind::BlockGd(_)
            | MethodKind::HeavyBall { .. }
            | MethodKind::Nesterov(_)
            | MethodKind::Adaptive(_)
            | MethodKind::Discrete(_)
            | MethodKind::Sgd(_)
            | MethodKind::Sme(_) => None,
        }
    }

    /// How the method's step k maps to time: t = k·η, except Nesterov with the Su–Boyd–Candès schedule
    /// and its ODE, t = k·√η.
    pub fn time_map(&self) -> TimeMap {
        match self {
            MethodKind::Nesterov(schedule) => schedule.time_map(),
            MethodKind::NesterovOde(_) => TimeMap::SqrtEta,
            MethodKind::Discrete(m) => m.0.time_map(),
            MethodKind::Continuous { model, .. } => model.0.time_map(),
            MethodKind::Gd
            | MethodKind::BlockGd(_)
            | MethodKind::HeavyBall { .. }
            | MethodKind::GradientFlow(_)
            | MethodKind::ModifiedFlow { .. }
            | MethodKind::SgdModifiedFlow { .. }
            | MethodKind::HeavyBallFlow { .. }
            | MethodKind::Adaptive(_)
            | MethodKind::AdaptiveFlow { .. }
            | MethodKind::CentralFlow { .. }
            | MethodKind::StableFlow { .. }
            | MethodKind::Sgd(_)
            | MethodKind::Sme(_) => TimeMap::Eta,
        }
    }

    /// True when the method can run with a learning-rate schedule (t_k = Σ_{j<k} η_j): every kind on the
    /// t = k·η map except the SME, whose noise model is for one η, and the central flow (a user's method or model on another
    /// map, Nesterov with the Su–Boyd–Candès schedule and its ODE are on t = k·√η).
    pub fn supports_schedule(&self) -> bool {
        match self {
            // The central and stable flows hold the critical eigenvalues at 2/η for one η.
            MethodKind::Sme(_) | MethodKind::CentralFlow { .. } | MethodKind::StableFlow { .. } => false,
            MethodKind::Gd
            | MethodKind::BlockGd(_)
            | MethodKind::HeavyBall { .. }
            | MethodKind::Nesterov(_)
            | MethodKind::GradientFlow(_)
            | MethodKind::ModifiedFlow { .. }
            | MethodKind::SgdModifiedFlow { .. }
            | MethodKind::HeavyBallFlow { .. }
            | MethodKind::NesterovOde(_)
            | MethodKind::Adaptive(_)
            | MethodKind::AdaptiveFlow { .. }
            | MethodKind::Sgd(_)
            | MethodKind::Discrete(_)
            | MethodKind::Continuous { .. } => self.time_map() == TimeMap::Eta,
        }
    }

    /// The linear stability threshold on the sharpness λ_max for a discrete method with step `eta`: on
    /// a quadratic it converges iff λ_max is below it (GD 2/η, heavy ball 2(1 + β)/η, Nesterov
    /// (2 + 2β)/(η(1 + 2β)); for the Su–Boyd–Candès schedule, whose β_k → 1, the limit 4/(3η)).
    /// `None` for continuous models, for block-scaled GD, whose threshold is per block, and for the
    /// adaptive methods (and `sgd` with an adaptive `optimizer`), whose threshold is on the preconditioned sharpness
    /// ([`MethodKind::preconditioned_threshold`]).
    pub fn stability_threshold(&self, eta: f64) -> Option<f64> {
        match self {
            MethodKind::Gd => Some(gd_threshold(eta)),
            MethodKind::Sgd(s) => s.optimizer.is_none().then(|| gd_threshold(eta)),
            MethodKind::HeavyBall { beta, .. } => Some(heavy_ball_threshold(eta, *beta)),
            MethodKind::Nesterov(NesterovSchedule::Constant(beta)) => Some(nesterov_threshold(eta, *beta)),
            MethodKind::Nesterov(NesterovSchedule::SuBoydCandes) => Some(nesterov_threshold(eta, 1.0)),
            MethodKind::Discrete(m) => m.0.stability_threshold(eta),
            MethodKind::BlockGd(_)
            | MethodKind::Adaptive(_)
            | MethodKind::AdaptiveFlow { .. }
            | MethodKind::GradientFlow(_)
            | MethodKind::ModifiedFlow { .. }
            | MethodKind::SgdModifiedFlow { .. }
            | MethodKind::HeavyBallFlow { .. }
            | MethodKind::NesterovOde(_)
            | MethodKind::CentralFlow { .. }
            | MethodKind::StableFlow { .. }
            | MethodKind::Continuous { .. }
            | MethodKind::Sme(_) => None,
        }
    }

    /// An adaptive method's linear stability threshold on the preconditioned sharpness λ₁(P⁻¹H) at step
    /// `eta`, P the diagonal its step divides by, held fixed (see
    /// [`AdaptiveMethod::preconditioned_threshold`]); `None` for every other kind.
    pub fn preconditioned_threshold(&self, eta: f64) -> Option<f64> {
        match self {
            MethodKind::Adaptive(a) => a.preconditioned_threshold(eta),
            MethodKind::Sgd(s) => s.optimizer.as_ref()?.preconditioned_threshold(eta),
            MethodKind::Gd
            | MethodKind::BlockGd(_)
            | MethodKind::HeavyBall { .. }
            | MethodKind::Nesterov(_)
            | MethodKind::GradientFlow(_)
            | MethodKind::ModifiedFlow { .. }
            | MethodKind::SgdModifiedFlow { .. }
            | MethodKind::HeavyBallFlow { .. }
            | MethodKind::NesterovOde(_)
            | MethodKind::AdaptiveFlow { .. }
            | MethodKind::CentralFlow { .. }
            | MethodKind::StableFlow { .. }
            | MethodKind::Sme(_)
            | MethodKind::Discrete(_)
            | MethodKind::Continuous { .. } => None,
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
            MethodKind::Discrete(m) => m.0.settings(),
            MethodKind::Adaptive(a) => a.settings(),
            MethodKind::AdaptiveFlow { model, solver: s } => {
                let mut v = solver(s);
                if let (Some(out), serde_json::Value::Object(own)) = (v.as_object_mut(), model.settings()) {
                    out.extend(own);
                }
                v
            }
            MethodKind::Continuous { model, solver: s } => {
                let mut v = solver(s);
                if let (Some(out), serde_json::Value::Object(own)) = (v.as_object_mut(), model.0.settings()) {
                    out.extend(own);
                }
                v
            }
            MethodKind::SgdModifiedFlow {
                batch_size,
                solver: s,
            } => {
                let mut v = solver(s);
                v["batch_size"] = json!(batch_size);
                v
            }
            MethodKind::CentralFlow { settings, solver: s } => {
                let mut v = solver(s);
                v["max_critical"] = json!(settings.max_critical);
                v["candidate_fraction"] = json!(settings.candidate_fraction);
                v["relaxation"] = json!(settings.relaxation);
                if let CentralOptimizer::ScalarRmsProp { beta2, eps } = settings.optimizer {
                    v["beta2"] = json!(beta2);
                    v["eps"] = json!(eps);
                }
                v
            }
            MethodKind::StableFlow { settings, solver: s } => {
                let mut v = solver(s);
                v["candidate_fraction"] = json!(settings.candidate_fraction);
                v["relaxation"] = json!(settings.relaxation);
                v
            }
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

/// `{"kind": name, …settings}`, the method as summary.json describes it.
impl serde::Serialize for MethodKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::json!({ "kind": self.name() });
        if let serde_json::Value::Object(settings) = self.settings() {
            v.as_object_mut().expect("an object").extend(settings);
        }
        v.serialize(serializer)
    }
}

/// One method of an experiment (a scenario's `[[method]]`): an id, what to run, and on which time grid.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MethodConfig {
    /// Its unique id (file names and comparisons use it).
    pub id: String,
    /// What to run.
    pub kind: MethodKind,
    /// The grid of the method's own learning-rate schedule (a `[[method]]`'s `schedule` table), in place
    /// of the experiment's; `None` runs it on the experiment's grid.
    #[serde(skip)]
    pub own_grid: Option<TimeGrid>,
}

impl MethodConfig {
    /// A method on the experiment's grid.
    pub fn new(id: impl Into<String>, kind: MethodKind) -> Self {
        MethodConfig {
            id: id.into(),
            kind,
            own_grid: None,
        }
    }

    /// The grid the method runs on: its own schedule's, else the experiment's `run` grid.
    pub fn grid<'a>(&'a self, run: &'a TimeGrid) -> &'a TimeGrid {
        self.own_grid.as_ref().unwrap_or(run)
    }
}
