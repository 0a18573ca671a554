//! Scenarios: TOML files parsed, checked once into a [`Scenario`], and found by name.

mod block_steps;
mod budget;
mod ctx;
mod data;
mod diagnostics;
mod figure_keys;
mod load;
mod locate;
mod objectives;
mod stochastic;
pub mod sweep;

pub use data::SOURCES as DATA_SOURCES;
pub use objectives::KINDS as OBJECTIVE_KINDS;

pub use budget::{
    check_budget, memory_budget, parse_size, work_budget, DEFAULT_MEMORY_BUDGET, DEFAULT_WORK_BUDGET,
    MEMORY_BUDGET_VAR, WORK_BUDGET_VAR,
};
pub use ctx::excerpt;
pub use load::{load, parse, read_source, MAX_ID_CHARS, MAX_STEPS, METHOD_FILE_SUFFIXES};

use crate::continuous::{ModifiedOrder, SolverSettings};
use crate::discrete::{
    gd_threshold, heavy_ball_threshold, nesterov_threshold, BlockScales, MomentumStart, NesterovSchedule,
};
use crate::error::{Error, Result};
use crate::objective::Objective;
use crate::render::{FigureKind, ImageFormat};
use crate::stochastic::{SgdSettings, SmeSettings};
use crate::trajectory::{TimeGrid, TimeMap};
use std::path::{Path, PathBuf};

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

/// One `[[compare]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareConfig {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// The departure tolerance on the distance.
    pub tolerance: f64,
}

/// A checked scenario, ready to run: every value in it has been validated.
pub struct Scenario {
    /// The scenario's name (the default output folder is `output/<name>/`).
    pub name: String,
    /// One line on what it shows.
    pub description: String,
    /// The file it came from.
    pub source: PathBuf,
    /// The file's text as parsed (saved beside the outputs, so a run can be redrawn even if the file
    /// has since changed or never existed on disk).
    pub text: String,
    /// The objective, as written in the file (resolved settings for the summary).
    pub objective_settings: serde_json::Value,
    /// The objective, built.
    pub objective: Box<dyn Objective>,
    /// The initial point θ0.
    pub init: Vec<f64>,
    /// The run's time axis on t = k·η; a method with another time map uses
    /// `grid.with_time_map(kind.time_map())`.
    pub grid: TimeGrid,
    /// The loss above which a method counts as diverged.
    pub divergence_bound: f64,
    /// The methods, in file order.
    pub methods: Vec<MethodConfig>,
    /// The comparisons, in file order.
    pub comparisons: Vec<CompareConfig>,
    /// The figures to draw.
    pub figures: Vec<FigureKind>,
    /// The formats to draw them in.
    pub formats: Vec<ImageFormat>,
    /// The post-run diagnostics asked for in `[diagnostics]` (none when the table is absent).
    pub diagnostics: Option<crate::diagnostics::DiagnosticsConfig>,
    /// Canvas size, PNG resolution and the projected portrait's plane (`[output]` width, height, dpi,
    /// projection).
    pub figure: crate::render::settings::FigureSettings,
}

/// A named scenario's file: `dir/NAME.toml`.
pub fn named_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

/// Resolves `NAME|PATH`: an existing file, anything ending in `.toml`, or an existing path with a `/`
/// (a FIFO, a device) is a path; otherwise a name in `dir`. Only the path's metadata is looked at, never
/// its contents ([`load`] then refuses what is not a regular file, without blocking on a FIFO).
pub fn resolve(dir: &Path, name_or_path: &str) -> Result<PathBuf> {
    let as_path = Path::new(name_or_path);
    let exists = std::fs::symlink_metadata(as_path).is_ok();
    if as_path.is_file() || name_or_path.ends_with(".toml") || (exists && name_or_path.contains('/')) {
        return Ok(as_path.to_path_buf());
    }
    let path = named_path(dir, name_or_path);
    // A named scenario that exists but is no regular file (a FIFO `x.toml`) is still the one meant.
    if std::fs::symlink_metadata(&path).is_ok() {
        Ok(path)
    } else {
        Err(Error::UnknownScenario {
            name: name_or_path.to_string(),
            dir: dir.to_path_buf(),
        })
    }
}

/// Name and description of every scenario file in `dir`, sorted by name. Files that do not parse are
/// listed with the error as their description, so `flowgap list` shows what is broken; what is not a
/// regular file (a FIFO, a device, a folder named `x.toml`) is listed as such without being opened.
pub fn list(dir: &Path) -> Result<Vec<(String, String)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let description = match load(&path) {
            Ok(s) => s.description,
            Err(e) => format!("(invalid: {e})"),
        };
        out.push((stem, description));
    }
    out.sort();
    Ok(out)
}
