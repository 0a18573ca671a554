//! Reading a scenario file: TOML → raw serde types (with spans) → a checked [`Scenario`].
//!
//! Every refusal names the file, the line and column, the dotted key, and what is allowed.

use super::ctx::Ctx;
use super::objectives::{self, Built};
use super::schedule::RawMethodSchedule;
use super::stochastic;
use super::Scenario;
use crate::compare::DEFAULT_DEPARTURE_TOLERANCE;
use crate::continuous::{AdaptiveFlow, CentralOptimizer, CentralSettings, StableSettings, MAX_CRITICAL};
use crate::continuous::{Controller, ModifiedOrder, SolverKind, SolverSettings};
use crate::discrete::{default_divergence_bound, AdaptiveMethod, MomentumStart, NesterovSchedule};
use crate::error::{Error, Result};
use crate::experiment::{file_clash, file_name_problem, CompareConfig, Experiment};
use crate::files;
use crate::method::{HeavyBallForm, MethodConfig, MethodKind};
use crate::objective::{HeldOut, Objective, RandomInit};
use crate::outspec::{OutputSpec, SourceFile};
use crate::trajectory::{TimeGrid, TimeMap};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use toml::de::DeTable;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    objective: Spanned<RawObjectiveKind>,
    init: Spanned<RawInit>,
    run: Spanned<RawRun>,
    #[serde(default)]
    method: Vec<Spanned<RawMethod>>,
    #[serde(default)]
    compare: Vec<Spanned<RawCompare>>,
    #[serde(default)]
    output: super::output_keys::RawOutput,
    /// The sweep's axes, read by [`super::sweep::read`]; a single run ignores them.
    #[serde(default, rename = "sweep")]
    _sweep: Option<toml::Value>,
    diagnostics: Option<super::diagnostics::RawDiagnostics>,
}

/// Only the objective's kind; its other keys are read by the kind's own spec (see
/// [`super::objectives`]), in a second pass over the file that keeps their line numbers.
#[derive(Deserialize)]
struct RawObjectiveKind {
    kind: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInit {
    point: Option<Spanned<Vec<f64>>>,
    seed: Option<Spanned<i64>>,
    scale: Option<Spanned<f64>>,
    balanced: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    step_size: Spanned<f64>,
    steps: Spanned<i64>,
    record_every: Option<Spanned<i64>>,
    divergence_bound: Option<Spanned<f64>>,
    schedule: Option<Spanned<super::schedule::RawSchedule>>,
}

/// Every method's keys in one table, checked per kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethod {
    id: Spanned<String>,
    kind: Spanned<String>,
    /// The name legends give the method (any kind); the id when absent.
    label: Option<Spanned<String>>,
    solver: Option<Spanned<String>>,
    rtol: Option<Spanned<f64>>,
    atol: Option<Spanned<f64>>,
    max_steps: Option<Spanned<i64>>,
    dt: Option<Spanned<f64>>,
    controller: Option<Spanned<String>>,
    beta: Option<Spanned<f64>>,
    order: Option<Spanned<i64>>,
    form: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    schedule: Option<Spanned<super::schedule::RawMethodSchedule>>,
    batch_size: Option<Spanned<i64>>,
    sampling: Option<Spanned<String>>,
    seed: Option<Spanned<i64>>,
    paths: Option<Spanned<i64>>,
    substeps: Option<Spanned<i64>>,
    step_size_scale: Option<Spanned<Vec<Spanned<f64>>>>,
    beta1: Option<Spanned<f64>>,
    beta2: Option<Spanned<f64>>,
    eps: Option<Spanned<f64>>,
    momentum: Option<Spanned<f64>>,
    bias_correction: Option<Spanned<bool>>,
    weight_decay: Option<Spanned<f64>>,
    nu_start: Option<Spanned<String>>,
    preconditioner: Option<Spanned<Vec<Spanned<f64>>>>,
    optimizer: Option<Spanned<String>>,
    max_critical: Option<Spanned<i64>>,
    candidate_fraction: Option<Spanned<f64>>,
    relaxation: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompare {
    a: Spanned<String>,
    b: Spanned<String>,
    tolerance: Option<Spanned<f64>>,
    midpoint: Option<Spanned<bool>>,
    window: Option<Spanned<i64>>,
}

/// At most this many numbers may be recorded per method (points × (d + 3)): about 400 MB of f64, so an
/// impossible horizon is refused up front instead of failing to allocate mid-run.
pub const MAX_RECORDED_VALUES: u64 = 50_000_000;

/// rk4 may take at most this many substeps per recorded interval (a `dt` far below the spacing would
/// otherwise run for days).
pub const MAX_RK4_SUBSTEPS: f64 = (1u64 << 20) as f64;

/// Reads and checks the scenario at `path`: a regular file of at most [`files::MAX_SCENARIO_BYTES`]
/// (a FIFO or a device is refused without being opened), UTF-8 text.
pub fn load(path: &Path) -> Result<Scenario> {
    parse(&read_source(path)?, path)
}

/// The text of the scenario file at `path`, read as [`load`] reads it (a regular file of at most
/// [`files::MAX_SCENARIO_BYTES`], UTF-8 without NUL; a UTF-16 or UTF-32 file is named as such). For
/// callers that parse the text themselves (sweeps).
pub fn read_source(path: &Path) -> Result<String> {
    let bytes = files::read_limited(path, files::MAX_SCENARIO_BYTES).map_err(|e| match e {
        // A scenario path that leads nowhere (a typo, a dangling link) is the user's input: exit 2.
        Error::Io { source, .. }
            if matches!(
                source.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            files::input_error(path, format!("cannot be read: {source}"))
        }
        other => other,
    })?;
    text_of(&bytes, path).map(str::to_string)
}

/// The scenario's bytes as UTF-8 text, or a located refusal that names the encoding when it is a wide
/// one (UTF-16 or UTF-32, with or without a byte-order mark), and never prints the raw bytes.
fn text_of<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str> {
    let (valid, bad) = match std::str::from_utf8(bytes) {
        Ok(src) if !src.contains('\0') => return Ok(src),
        Ok(src) => (src.find('\0').unwrap_or(0), 0u8),
        Err(e) => (e.valid_up_to(), bytes[e.valid_up_to()]),
    };
    // Everything before `valid` is UTF-8 without NUL, so the lossy conversion is exact there.
    let before = String::from_utf8_lossy(&bytes[..valid]);
    let cx = Ctx { path, src: &before };
    let message = match wide_encoding(bytes) {
        Some(name) => {
            return Err(cx.err(
                0..0,
                "(encoding)",
                format!("the file is {name}; save it as UTF-8 (a scenario is a UTF-8 text file)"),
            ))
        }
        None if bad == 0 => {
            "a NUL byte (0x00) is not allowed in a scenario; a scenario is a UTF-8 text file \
                             (re-save it as UTF-8)"
                .to_string()
        }
        None => {
            format!("byte 0x{bad:02x} is not UTF-8; a scenario is a UTF-8 text file (re-save it as UTF-8)")
        }
    };
    Err(cx.err(before.len()..before.len(), "(encoding)", message))
}

/// "UTF-32" or "UTF-16" when the bytes start with that encoding's byte-order mark, or, without one,
/// when NUL bytes sit between the characters of the first 64 bytes as those encodings put them.
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    const BOMS: [(&[u8], &str); 4] = [
        (&[0xff, 0xfe, 0, 0], "UTF-32"),
        (&[0, 0, 0xfe, 0xff], "UTF-32"),
        (&[0xff, 0xfe], "UTF-16"),
        (&[0xfe, 0xff], "UTF-16"),
    ];
    if let Some((_, name)) = BOMS.iter().find(|(bom, _)| bytes.starts_with(bom)) {
        return Some(name);
    }
    let head = &bytes[..bytes.len().min(64)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    // ASCII text in UTF-16 is every other byte NUL; in UTF-32, three of every four.
    if head.len() >= 8 && nuls * 4 >= head.len() * 3 - 4 {
        Some("UTF-32")
    } else if head.len() >= 4 && nuls * 8 >= head.len() * 3 {
        Some("UTF-16")
    } else {
        None
    }
}

/// Checks scenario text `src`, naming `path` in errors.
pub fn parse(src: &str, path: &Path) -> Result<Scenario> {
    let cx = Ctx { path, src };
    refuse_blank(&cx)?;
    let raw: RawScenario = cx.deserialize()?;
    let objective = objectives::build(&cx, &raw.objective.get_ref().kind)?;
    let held_out = objectives::held_out(&cx, &raw.objective.get_ref().kind)?;
    if held_out.is_none() {
        let asked = raw
            .output
            .figures
            .iter()
            .flat_map(|f| f.get_ref())
            .find(|f| f.get_ref() == "held_out");
        if let Some(f) = asked {
            return Err(cx.err(
                f.span(),
                "output.figures",
                "`held_out` draws the test loss, which needs a test part: add `test_fraction` and \
                 `split_seed`, or `test_data`, to [objective.data] (docs/datasets.md)",
            ));
        }
    }
    check(&cx, raw, objective, held_out, source_file(src, path))
}

/// [`parse`] with the objective given (with its settings for summary.json) instead of built from
/// `[objective]`, whose `kind` is then only a label: for objectives defined outside flowgap's kinds (the
/// Python package's objectives written in Python, python/). Every other key gets [`parse`]'s checks.
pub fn parse_with_objective(
    src: &str,
    path: &Path,
    objective: Box<dyn Objective>,
    settings: serde_json::Value,
) -> Result<Scenario> {
    let cx = Ctx { path, src };
    refuse_blank(&cx)?;
    let raw: RawScenario = cx.deserialize()?;
    check(&cx, raw, (objective, settings), None, source_file(src, path))
}

/// A scenario from the tree of its file ([`Ctx::tree`], with a sweep's grid point set in it) and an
/// objective already built from the same file's `[objective]`: every check of [`parse`] but the
/// objective's, without reading the text again.
pub(super) fn parse_tree(
    cx: &Ctx,
    tree: Spanned<DeTable<'_>>,
    objective: Built,
    source: SourceFile,
) -> Result<Scenario> {
    let raw: RawScenario = cx.deserialize_tree(tree)?;
    // The sweep sets a grid point's held-out evaluation itself: the base's, shared by every point.
    check(cx, raw, objective, None, source)
}

/// The objective of the scenario text in `cx`, built again (its file already passed [`parse`]): for a
/// sweep's worker threads, which each need their own, since an objective's workspace serves one
/// caller at a time.
pub(super) fn build_objective(cx: &Ctx) -> Result<Built> {
    #[derive(Deserialize)]
    struct KindOnly {
        objective: RawObjectiveKind,
    }
    let raw: KindOnly = cx.deserialize()?;
    objectives::build(cx, &raw.objective.kind)
}

/// The scenario file as the output names it (the file itself, not the way it was named: two paths to
/// one file give the same summary.json) and copies it.
pub(super) fn source_file(src: &str, path: &Path) -> SourceFile {
    SourceFile {
        path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        text: src.to_string(),
    }
}

/// Refuses a file with nothing but blank lines and comments, saying what a scenario needs.
fn refuse_blank(cx: &Ctx) -> Result<()> {
    let blank = cx
        .src
        .trim_start_matches('\u{feff}')
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    if blank {
        return Err(cx.err(
            0..0,
            "name",
            "the file is empty; a scenario needs `name`, [objective], [init], [run] and at least one \
             [[method]] (see scenarios/ for examples)",
        ));
    }
    Ok(())
}

/// The checked scenario of the file's keys `raw` with its built objective: θ₀, the time grid, the
/// methods, comparisons, diagnostics and output, and the budgets.
fn check(
    cx: &Ctx,
    raw: RawScenario,
    objective: Built,
    held_out: Option<HeldOut>,
    source: SourceFile,
) -> Result<Scenario> {
    let cx = Ctx {
        path: cx.path,
        src: cx.src,
    };
    let name = raw.name.get_ref().clone();
    if let Some(problem) = file_name_problem(&name) {
        return Err(cx.err(
            raw.name.span(),
            "name",
            format!("{problem} (it names the output folder)"),
        ));
    }

    let (objective, objective_settings) = objective;
    let dim = objective.dim();

    let init = initial_point(&cx, raw.init.get_ref(), raw.init.span(), objective.as_ref())?;

    let mut grad = vec![0.0; dim];
    objective.gradient(&init, &mut grad);
    let loss0 = objective.loss(&init);
    if !loss0.is_finite() || !grad.iter().all(|g| g.is_finite()) {
        let span = raw
            .init
            .get_ref()
            .point
            .as_ref()
            .map_or(raw.init.span(), |p| p.span());
        return Err(cx.err(
            span,
            "init.point",
            format!(
                "the loss ({loss0}) or its gradient is not finite at this point; start where the objective \
                 is finite (smaller values, or a smaller scale in [objective])"
            ),
        ));
    }

    let run = raw.run.get_ref();
    let step_size = cx.positive(&run.step_size, "run.step_size")?;
    let steps = *run.steps.get_ref();
    if !(1..=MAX_STEPS).contains(&steps) {
        let why = if steps < 1 {
            "must be an integer ≥ 1".to_string()
        } else {
            format!("is out of range: at most {MAX_STEPS} steps")
        };
        return Err(cx.err(run.steps.span(), "run.steps", format!("{why}, found {steps}")));
    }
    let record_every = run.record_every.as_ref().map_or(1, |r| *r.get_ref());
    if record_every < 1 || steps % record_every != 0 {
        let span = run.record_every.as_ref().map_or(run.steps.span(), |r| r.span());
        return Err(cx.err(
            span,
            "run.record_every",
            format!("must be an integer ≥ 1 that divides run.steps = {steps}, found {record_every}"),
        ));
    }
    let mut grid = TimeGrid::new(step_size, steps as u64, record_every as u64);
    if let Some(raw_schedule) = &run.schedule {
        let sizes = super::schedule::sizes(
            &cx,
            (raw_schedule.get_ref(), raw_schedule.span(), "run.schedule"),
            step_size,
            steps as u64,
        )?;
        grid = grid
            .with_schedule(sizes)
            .map_err(|message| cx.err(raw_schedule.span(), "run.schedule", message))?;
    }
    if !grid.t_end().is_finite() {
        return Err(cx.err(
            run.step_size.span(),
            "run.step_size",
            format!("step_size × steps = {step_size:e} × {steps} overflows; the horizon must be finite"),
        ));
    }
    let values = (grid.intervals() + 1).saturating_mul(dim as u64 + 3);
    if values > MAX_RECORDED_VALUES {
        let span = run.record_every.as_ref().map_or(run.steps.span(), |r| r.span());
        return Err(cx.err(
            span,
            "run.record_every",
            format!(
                "{} recorded points of dimension {dim} per method are more than flowgap keeps \
                 ({MAX_RECORDED_VALUES} numbers); raise record_every or lower steps",
                grid.intervals() + 1
            ),
        ));
    }
    let divergence_bound = match &run.divergence_bound {
        Some(b) => {
            let bound = cx.positive(b, "run.divergence_bound")?;
            if loss0.abs() > bound {
                // Found by fuzzing: every method would stop at t = 0 with nothing recorded.
                return Err(cx.err(
                    b.span(),
                    "run.divergence_bound",
                    format!(
                        "{bound:e} is below |L(θ0)| = {:e}, so every method would count as diverged at t = 0; \
                         set it above the initial loss",
                        loss0.abs()
                    ),
                ));
            }
            bound
        }
        None => default_divergence_bound(loss0),
    };

    if raw.method.is_empty() {
        return Err(cx.err(
            0..0,
            "method",
            format!(
                "no [[method]] given; add at least one, with kind one of: {}",
                MethodKind::NAMES.join(", ")
            ),
        ));
    }
    let mut methods = Vec::new();
    let mut ids = HashSet::new();
    let mut files_written = HashMap::new();
    let mut labels = std::collections::BTreeMap::new();
    for (i, m) in raw.method.iter().enumerate() {
        let method = build_method(&cx, m.get_ref(), i, &grid, objective.as_ref())?;
        if let Some(label) = &m.get_ref().label {
            labels.insert(
                method.id.clone(),
                super::figure_keys::method_label(&cx, label, i)?,
            );
        }
        if grid.schedule.is_some() && !method.kind.supports_schedule() {
            return Err(cx.err(
                m.get_ref().kind.span(),
                format!("method[{i}].kind"),
                format!(
                    "`{}` cannot run with [run] schedule: {NOT_SCHEDULABLE}",
                    method.kind.name()
                ),
            ));
        }
        if !ids.insert(method.id.clone()) {
            return Err(cx.err(
                m.get_ref().id.span(),
                format!("method[{i}].id"),
                format!("`{}` is used by an earlier method; ids must be unique", method.id),
            ));
        }
        if let Some(message) = file_clash(&mut files_written, &method.id) {
            return Err(cx.err(m.get_ref().id.span(), format!("method[{i}].id"), message));
        }
        methods.push(method);
    }

    let mut comparisons = Vec::new();
    // A comparison's name `<a>_vs_<b>` labels its columns in sweep tables; two must not share one.
    let mut pair_names: HashMap<String, usize> = HashMap::new();
    for (i, c) in raw.compare.iter().enumerate() {
        let c = c.get_ref();
        for (side, v) in [("a", &c.a), ("b", &c.b)] {
            if !ids.contains(v.get_ref()) {
                let mut known: Vec<_> = methods.iter().map(|m| m.id.as_str()).collect();
                known.sort();
                return Err(cx.err(
                    v.span(),
                    format!("compare[{i}].{side}"),
                    format!(
                        "names no method: `{}`; the method ids are: {}",
                        v.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        }
        if c.a.get_ref() == c.b.get_ref() {
            return Err(cx.err(
                c.b.span(),
                format!("compare[{i}].b"),
                "must name a different method than `a`",
            ));
        }
        let map_of = |id: &str| {
            methods
                .iter()
                .find(|m: &&MethodConfig| m.id == id)
                .map(|m| m.kind.time_map())
        };
        let (map_a, map_b) = (map_of(c.a.get_ref()), map_of(c.b.get_ref()));
        if map_a != map_b {
            let formula = |m: Option<TimeMap>| m.map_or("?", TimeMap::formula);
            return Err(cx.err(
                c.b.span(),
                format!("compare[{i}].b"),
                format!(
                    "`{}` runs on t = {} but `{}` on t = {}; comparisons pair points by time, so both \
                     methods must use the same time map",
                    c.a.get_ref(),
                    formula(map_a),
                    c.b.get_ref(),
                    formula(map_b)
                ),
            ));
        }
        let tolerance = match &c.tolerance {
            Some(t) => cx.positive(t, &format!("compare[{i}].tolerance"))?,
            None => DEFAULT_DEPARTURE_TOLERANCE,
        };
        let pair = format!("{}_vs_{}", c.a.get_ref(), c.b.get_ref());
        if let Some(j) = pair_names.insert(pair.clone(), i) {
            return Err(cx.err(
                c.b.span(),
                format!("compare[{i}].b"),
                format!(
                    "this comparison is named `{pair}` like compare[{j}] (a sweep's table names its columns so); \
                     remove the repeated comparison, or rename a method so that the names differ"
                ),
            ));
        }
        let window = match &c.window {
            Some(w) if *w.get_ref() < 1 => {
                return Err(cx.err(
                    w.span(),
                    format!("compare[{i}].window"),
                    format!("must be an odd number of steps ≥ 1, found {}", w.get_ref()),
                ))
            }
            Some(w) => Some(*w.get_ref() as u64),
            None => None,
        };
        let config = CompareConfig {
            midpoint: c.midpoint.as_ref().is_some_and(|m| *m.get_ref()),
            window,
            ..CompareConfig::new(c.a.get_ref().clone(), c.b.get_ref().clone(), tolerance)
        };
        if let Some((key, message)) = config.problem(&methods, &grid) {
            let span = match key {
                "midpoint" => c.midpoint.as_ref().map(|m| m.span()),
                _ => c.window.as_ref().map(|w| w.span()),
            };
            return Err(cx.err(span.unwrap_or(c.b.span()), format!("compare[{i}].{key}"), message));
        }
        comparisons.push(config);
    }

    let diagnostics = raw
        .diagnostics
        .as_ref()
        .map(|d| super::diagnostics::build(&cx, d, dim))
        .transpose()?;
    let (figures, formats, mut figure) = super::output_keys::build(&cx, &raw.output, dim, &raw.diagnostics)?;
    figure.labels = labels;

    let experiment = Experiment {
        name,
        description: raw.description,
        objective,
        objective_settings,
        init,
        grid,
        divergence_bound,
        methods,
        comparisons,
        diagnostics,
        held_out,
    };
    let output = OutputSpec {
        figures,
        formats,
        figure,
        source: Some(source),
    };
    let scenario = Scenario { experiment, output };
    let e = &scenario.experiment;
    let (path, src) = (cx.path, cx.src);
    super::budget::check_budget_within(e, path, src, super::budget::memory_budget()?)?;
    super::budget::check_work_within(e, path, src, super::budget::work_budget()?)?;
    Ok(scenario)
}

/// The most steps a run may take: beyond this, a run takes days even on the smallest objective.
pub const MAX_STEPS: i64 = crate::experiment::MAX_STEPS as i64;

/// The solver keys shared by every continuous model.
/// The central flow's keys: `max_critical` in 1..=MAX_CRITICAL,
/// `candidate_fraction` in (0, 1], `relaxation` > 0 (the stable flow reads the last two; its allowed keys
/// refuse `max_critical`). Keys not given keep [`CentralSettings::default`], whose candidate fraction and
/// relaxation are [`StableSettings::default`]'s.
fn central_settings(cx: &Ctx, m: &RawMethod, i: usize, objective: &dyn Objective) -> Result<CentralSettings> {
    let key = |k: &str| format!("method[{i}].{k}");
    let mut s = CentralSettings::default();
    if let Some(k) = &m.max_critical {
        let v = *k.get_ref();
        if !(1..=MAX_CRITICAL as i64).contains(&v) || v as usize > objective.dim() {
            return Err(cx.err(
                k.span(),
                key("max_critical"),
                format!(
                    "must be an integer from 1 to {} (and at most the objective's {} parameters), found {v}",
                    MAX_CRITICAL,
                    objective.dim()
                ),
            ));
        }
        s.max_critical = v as usize;
    }
    if let Some(f) = &m.candidate_fraction {
        let v = *f.get_ref();
        if !(v > 0.0 && v <= 1.0) {
            return Err(cx.err(
                f.span(),
                key("candidate_fraction"),
                format!("must be in (0, 1] (the share of 2/η above which an eigenvalue may be critical), found {v}"),
            ));
        }
        s.candidate_fraction = v;
    }
    if let Some(r) = &m.relaxation {
        let v = *r.get_ref();
        if !(v.is_finite() && v > 0.0 && v <= 1e3) {
            return Err(cx.err(
                r.span(),
                key("relaxation"),
                format!(
                    "must be a rate κη in (0, 1000] (1: the edge is re-approached at rate 1/η), found {v}"
                ),
            ));
        }
        s.relaxation = v;
    }
    Ok(s)
}

const SOLVER_KEYS: [&str; 6] = ["solver", "rtol", "atol", "max_steps", "dt", "controller"];

fn build_method(
    cx: &Ctx,
    m: &RawMethod,
    i: usize,
    grid: &TimeGrid,
    objective: &dyn Objective,
) -> Result<MethodConfig> {
    let id = m.id.get_ref().clone();
    let key = |k: &str| format!("method[{i}].{k}");
    if let Some(problem) = file_name_problem(&id) {
        return Err(cx.err(
            m.id.span(),
            key("id"),
            format!("{problem} (it names output files)"),
        ));
    }
    let kind = m.kind.get_ref().as_str();
    // The optional keys each kind takes; any other key given is refused with its line.
    let allowed: Vec<&str> = match kind {
        "gd" => vec!["step_size_scale"],
        "heavy_ball" => vec!["beta", "start"],
        "nesterov" => vec!["beta", "schedule"],
        "gradient_flow" | "nesterov_ode" => SOLVER_KEYS.to_vec(),
        "modified_flow" => [&SOLVER_KEYS[..], &["order"]].concat(),
        "sgd_modified_flow" => [&SOLVER_KEYS[..], &["batch_size"]].concat(),
        "central_flow" => [
            &SOLVER_KEYS[..],
            &["max_critical", "candidate_fraction", "relaxation"],
        ]
        .concat(),
        "stable_flow" => [&SOLVER_KEYS[..], &["candidate_fraction", "relaxation"]].concat(),
        "scalar_rmsprop_central_flow" => [
            &SOLVER_KEYS[..],
            &["max_critical", "candidate_fraction", "relaxation", "beta2", "eps"],
        ]
        .concat(),
        "heavy_ball_flow" => [&SOLVER_KEYS[..], &["beta", "form", "start"]].concat(),
        "sgd" => {
            // With an optimizer, its keys too (an unknown optimizer is refused when it is built).
            let mut keys = stochastic::SGD_KEYS.to_vec();
            keys.push("optimizer");
            if let Some(o) = &m.optimizer {
                keys.extend(optimizer_keys(o.get_ref()));
            }
            keys
        }
        "sme" => stochastic::SME_KEYS.to_vec(),
        "rmsprop" | "scalar_rmsprop" | "adam" | "adamw" | "sign_gd" | "sign_momentum" => {
            let mut keys = optimizer_keys(kind);
            if matches!(kind, "rmsprop" | "adam" | "adamw") {
                keys.push("preconditioner");
            }
            keys
        }
        "rmsprop_flow" => [&SOLVER_KEYS[..], &["beta2", "eps", "nu_start"]].concat(),
        "adam_ode" => [&SOLVER_KEYS[..], &["beta1", "beta2", "eps", "bias_correction"]].concat(),
        "sign_flow" => [&SOLVER_KEYS[..], &["eps"]].concat(),
        "preconditioned_flow" => [&SOLVER_KEYS[..], &["preconditioner"]].concat(),
        other => {
            return Err(cx.err(
                m.kind.span(),
                key("kind"),
                format!(
                    "unknown method kind `{other}`; allowed: {}",
                    MethodKind::NAMES.join(", ")
                ),
            ));
        }
    };
    let keys: Vec<&str> = ["id", "kind"].iter().chain(&allowed).copied().collect();
    let keys = keys.join(", ");
    macro_rules! refuse_unless_allowed {
        ($($field:ident),*) => {$(
            if !allowed.contains(&stringify!($field)) {
                cx.not_for(&m.$field, &key(stringify!($field)), kind, &keys)?;
            }
        )*};
    }
    refuse_unless_allowed!(solver, rtol, atol, max_steps, dt, controller, beta, order, form, start);
    refuse_unless_allowed!(batch_size, sampling, seed, paths, substeps, step_size_scale);
    refuse_unless_allowed!(
        beta1,
        beta2,
        eps,
        momentum,
        bias_correction,
        weight_decay,
        nu_start
    );
    refuse_unless_allowed!(preconditioner, optimizer);
    refuse_unless_allowed!(max_critical, candidate_fraction, relaxation);
    let adaptive = AdaptiveKeys { cx, m, i, kind };
    let ensemble_keys = stochastic::Keys {
        kind: &m.kind,
        batch_size: &m.batch_size,
        sampling: &m.sampling,
        seed: &m.seed,
        paths: &m.paths,
        order: &m.order,
        substeps: &m.substeps,
    };
    let beta = || -> Result<f64> {
        match &m.beta {
            Some(b) => {
                let x = *b.get_ref();
                if x.is_finite() && (0.0..1.0).contains(&x) {
                    Ok(x)
                } else {
                    Err(cx.err(
                        b.span(),
                        key("beta"),
                        format!("must be a momentum in [0, 1), found {x}"),
                    ))
                }
            }
            None => Err(cx.err(
                m.kind.span(),
                key("beta"),
                format!("kind `{kind}` needs `beta`, a momentum in [0, 1) (e.g. beta = 0.9)"),
            )),
        }
    };
    let start = || -> Result<MomentumStart> {
        match &m.start {
            Some(s) => MomentumStart::from_name(s.get_ref()).ok_or_else(|| {
                cx.err(
                    s.span(),
                    key("start"),
                    format!(
                        "unknown start `{}`; allowed: {}",
                        s.get_ref(),
                        MomentumStart::NAMES.join(", ")
                    ),
                )
            }),
            None => Ok(MomentumStart::AtRest),
        }
    };
    let kind = match kind {
        "gd" => match &m.step_size_scale {
            None => MethodKind::Gd,
            Some(s) => MethodKind::BlockGd(super::block_steps::scales(
                cx,
                s,
                &key("step_size_scale"),
                objective,
            )?),
        },
        "heavy_ball" => MethodKind::HeavyBall {
            beta: beta()?,
            start: start()?,
        },
        "nesterov" => {
            let schedule = match m.schedule.as_ref().map(Spanned::get_ref) {
                Some(RawMethodSchedule::Momentum(name)) => name.as_str(),
                // A table is a learning-rate schedule; β stays constant.
                Some(RawMethodSchedule::Rate(_)) | None => "constant",
            };
            match schedule {
                "constant" => MethodKind::Nesterov(NesterovSchedule::Constant(beta()?)),
                "su_boyd_candes" => {
                    if let Some(b) = &m.beta {
                        return Err(cx.err(
                            b.span(),
                            key("beta"),
                            "does not apply to schedule `su_boyd_candes`, whose β_k = (k − 1)/(k + 2); \
                             remove it, or use schedule = \"constant\"",
                        ));
                    }
                    MethodKind::Nesterov(NesterovSchedule::SuBoydCandes)
                }
                other => {
                    let span = m.schedule.as_ref().map_or(m.kind.span(), |s| s.span());
                    return Err(cx.err(
                        span,
                        key("schedule"),
                        format!("unknown schedule `{other}`; allowed: constant, su_boyd_candes"),
                    ));
                }
            }
        }
        "gradient_flow" => {
            MethodKind::GradientFlow(solver_settings(cx, m, i, grid.unit(), grid.record_every)?)
        }
        "nesterov_ode" => {
            let unit = grid.with_time_map(TimeMap::SqrtEta).unit();
            MethodKind::NesterovOde(solver_settings(cx, m, i, unit, grid.record_every)?)
        }
        "sgd_modified_flow" => {
            let Some(samples) = objective.as_finite_sum() else {
                return Err(cx.err(
                    m.kind.span(),
                    key("kind"),
                    "sgd_modified_flow models SGD over samples: the objective must be a mean over data \
                     (linear_regression, logistic_regression, mlp, …)",
                ));
            };
            let n = samples.num_samples() as i64;
            let batch_size = match &m.batch_size {
                Some(b) if (1..=n).contains(b.get_ref()) => *b.get_ref() as usize,
                Some(b) => {
                    return Err(cx.err(
                        b.span(),
                        key("batch_size"),
                        format!(
                            "must be an integer in 1..={n} (the samples), found {}",
                            b.get_ref()
                        ),
                    ))
                }
                None => 1,
            };
            MethodKind::SgdModifiedFlow {
                batch_size,
                solver: solver_settings(cx, m, i, grid.unit(), grid.record_every)?,
            }
        }
        "modified_flow" => {
            let order = match &m.order {
                Some(o) => ModifiedOrder::from_number(*o.get_ref()).ok_or_else(|| {
                    cx.err(
                        o.span(),
                        key("order"),
                        format!("must be 1 or 2, found {}", o.get_ref()),
                    )
                })?,
                None => ModifiedOrder::One,
            };
            MethodKind::ModifiedFlow {
                order,
                solver: solver_settings(cx, m, i, grid.unit(), grid.record_every)?,
            }
        }
        "central_flow" => MethodKind::CentralFlow {
            settings: central_settings(cx, m, i, objective)?,
            solver: solver_settings(cx, m, i, grid.unit(), grid.record_every)?,
        },
        "scalar_rmsprop_central_flow" => {
            let beta2 = adaptive.rate_beta2()?;
            let settings = CentralSettings {
                optimizer: CentralOptimizer::ScalarRmsProp {
                    beta2,
                    eps: adaptive.eps()?,
                },
                ..central_settings(cx, m, i, objective)?
            };
            MethodKind::CentralFlow {
                settings,
                solver: solver_settings(cx, m, i, grid.unit(), grid.record_every)?,
            }
        }
        "stable_flow" => {
            let c = central_settings(cx, m, i, objective)?;
            MethodKind::StableFlow {
                settings: StableSettings {
                    candidate_fraction: c.candidate_fraction,
                    relaxation: c.relaxation,
                },
                solver: solver_settings(cx, m, i, grid.unit(), grid.record_every)?,
            }
        }
        "heavy_ball_flow" => {
            let form = match m.form.as_ref().map(|f| (f.get_ref().as_str(), f.span())) {
                None | Some(("modified", _)) => {
                    if let Some(s) = &m.start {
                        return Err(cx.err(
                            s.span(),
                            key("start"),
                            "does not apply to form `modified` (a first-order flow has no velocity); \
                             it is for form = \"second_order\"",
                        ));
                    }
                    HeavyBallForm::Modified
                }
                Some(("second_order", _)) => HeavyBallForm::SecondOrder(start()?),
                Some((other, span)) => {
                    return Err(cx.err(
                        span,
                        key("form"),
                        format!("unknown form `{other}`; allowed: modified, second_order"),
                    ));
                }
            };
            MethodKind::HeavyBallFlow {
                beta: beta()?,
                form,
                solver: solver_settings(cx, m, i, grid.unit(), grid.record_every)?,
            }
        }
        "sgd" => {
            let mut settings = stochastic::sgd(cx, &ensemble_keys, i, objective)?;
            if let Some(o) = &m.optimizer {
                let name = o.get_ref().as_str();
                let keys = AdaptiveKeys {
                    kind: name,
                    ..adaptive
                };
                settings.optimizer = match adaptive_method(&keys, name, grid.step_size, objective, &beta)? {
                    Some(method) => Some(method),
                    None if name == "sgd" => None,
                    None => {
                        return Err(cx.err(
                            o.span(),
                            key("optimizer"),
                            format!(
                                "unknown optimizer `{}`; allowed: sgd, {}",
                                crate::error::excerpt(name),
                                OPTIMIZERS.join(", ")
                            ),
                        ))
                    }
                };
            }
            MethodKind::Sgd(settings)
        }
        "sme" => MethodKind::Sme(stochastic::sme(cx, &ensemble_keys, i, objective)?),
        "rmsprop" | "scalar_rmsprop" | "adam" | "adamw" | "sign_gd" | "sign_momentum" => {
            MethodKind::Adaptive(
                adaptive_method(&adaptive, kind, grid.step_size, objective, &beta)?
                    .expect("an adaptive kind"),
            )
        }
        "rmsprop_flow" => {
            let beta2 = adaptive.rate_beta2()?;
            let model = AdaptiveFlow::RmsProp {
                beta2,
                eps: adaptive.eps()?,
                start: adaptive.nu_start()?,
            };
            let solver = solver_settings(cx, m, i, grid.unit(), grid.record_every)?;
            MethodKind::AdaptiveFlow { model, solver }
        }
        "adam_ode" => {
            let model = AdaptiveFlow::Adam {
                beta1: adaptive.unit_interval(&m.beta1, "beta1", 0.9)?,
                beta2: adaptive.unit_interval(&m.beta2, "beta2", 0.999)?,
                eps: adaptive.eps()?,
                bias_correction: m.bias_correction.as_ref().is_none_or(|b| *b.get_ref()),
            };
            let solver = solver_settings(cx, m, i, grid.unit(), grid.record_every)?;
            MethodKind::AdaptiveFlow { model, solver }
        }
        "sign_flow" => {
            let model = AdaptiveFlow::Sign { eps: adaptive.eps()? };
            let solver = solver_settings(cx, m, i, grid.unit(), grid.record_every)?;
            MethodKind::AdaptiveFlow { model, solver }
        }
        "preconditioned_flow" => {
            let p = adaptive.preconditioner(objective, true)?.expect("required");
            let solver = solver_settings(cx, m, i, grid.unit(), grid.record_every)?;
            MethodKind::AdaptiveFlow {
                model: AdaptiveFlow::Preconditioned(p),
                solver,
            }
        }
        _ => unreachable!("unknown kinds were refused above"),
    };
    let own_grid = own_schedule_grid(cx, m, i, grid)?;
    if own_grid.is_some() && !kind.supports_schedule() {
        let span = m.schedule.as_ref().map_or(m.kind.span(), Spanned::span);
        return Err(cx.err(
            span,
            key("schedule"),
            format!(
                "`{}` cannot run with a learning-rate schedule: {NOT_SCHEDULABLE}",
                kind.name()
            ),
        ));
    }
    Ok(MethodConfig { id, kind, own_grid })
}

/// Why some kinds refuse a learning-rate schedule (the run's or their own).
const NOT_SCHEDULABLE: &str = "the sme's noise model and the threshold 2/η of the central flow and the \
     stable flow are for one η, and methods on t = k·√η (nesterov with schedule = \"su_boyd_candes\", \
     nesterov_ode) have no summed axis";

/// The grid of a method's own learning-rate schedule (its `schedule` table) on the run's η, steps and
/// recording, or `None` without one. A string `schedule` is nesterov's momentum schedule, refused on
/// other kinds.
fn own_schedule_grid(cx: &Ctx, m: &RawMethod, i: usize, run: &TimeGrid) -> Result<Option<TimeGrid>> {
    let key = format!("method[{i}].schedule");
    let Some(schedule) = &m.schedule else {
        return Ok(None);
    };
    match schedule.get_ref() {
        RawMethodSchedule::Momentum(name) if m.kind.get_ref() != "nesterov" => Err(cx.err(
            schedule.span(),
            key,
            format!(
                "`{name}`: a string names nesterov's momentum schedule; a learning-rate schedule is a table, \
                 e.g. schedule = {{ kind = \"cosine\", warmup_steps = 100 }} (the keys of [run] schedule)"
            ),
        )),
        RawMethodSchedule::Momentum(_) => Ok(None),
        RawMethodSchedule::Rate(raw) => {
            let sizes = super::schedule::sizes(cx, (raw, schedule.span(), &key), run.step_size, run.steps)?;
            let grid = TimeGrid::new(run.step_size, run.steps, run.record_every)
                .with_schedule(sizes)
                .map_err(|message| cx.err(schedule.span(), &key, message))?;
            Ok(Some(grid))
        }
    }
}

/// The adaptive methods' keys of one `[[method]]`, read with their checks and PyTorch's defaults.
/// The adaptive methods, each a kind of its own and an `optimizer` of `sgd`.
const OPTIMIZERS: [&str; 6] = [
    "rmsprop",
    "scalar_rmsprop",
    "adam",
    "adamw",
    "sign_gd",
    "sign_momentum",
];

/// The keys of adaptive method `name` (besides `preconditioner`, which only the full-batch kinds take);
/// none for another name.
fn optimizer_keys(name: &str) -> Vec<&'static str> {
    match name {
        "rmsprop" => vec!["beta2", "eps", "momentum", "bias_correction", "nu_start"],
        "scalar_rmsprop" => vec!["beta2", "eps", "nu_start"],
        "adam" => vec!["beta1", "beta2", "eps", "bias_correction"],
        "adamw" => vec!["beta1", "beta2", "eps", "bias_correction", "weight_decay"],
        "sign_momentum" => vec!["beta"],
        _ => vec![],
    }
}

/// The adaptive method `name` from the method's keys; `None` when `name` is not one of [`OPTIMIZERS`].
fn adaptive_method(
    adaptive: &AdaptiveKeys,
    name: &str,
    eta: f64,
    objective: &dyn Objective,
    beta: &dyn Fn() -> Result<f64>,
) -> Result<Option<AdaptiveMethod>> {
    let m = adaptive.m;
    Ok(Some(match name {
        "rmsprop" => AdaptiveMethod::RmsProp {
            beta2: adaptive.unit_interval(&m.beta2, "beta2", 0.99)?,
            eps: adaptive.eps()?,
            momentum: adaptive.unit_interval(&m.momentum, "momentum", 0.0)?,
            bias_correction: m.bias_correction.as_ref().is_some_and(|b| *b.get_ref()),
            start: adaptive.nu_start()?,
            frozen: adaptive.preconditioner(objective, false)?,
        },
        "scalar_rmsprop" => AdaptiveMethod::ScalarRmsProp {
            beta2: adaptive.unit_interval(&m.beta2, "beta2", 0.99)?,
            eps: adaptive.eps()?,
            start: adaptive.nu_start()?,
        },
        "adam" | "adamw" => AdaptiveMethod::Adam {
            beta1: adaptive.unit_interval(&m.beta1, "beta1", 0.9)?,
            beta2: adaptive.unit_interval(&m.beta2, "beta2", 0.999)?,
            eps: adaptive.eps()?,
            bias_correction: m.bias_correction.as_ref().is_none_or(|b| *b.get_ref()),
            weight_decay: match name {
                "adamw" => Some(adaptive.weight_decay(eta)?),
                _ => None,
            },
            frozen: adaptive.preconditioner(objective, false)?,
        },
        "sign_gd" => AdaptiveMethod::SignGd,
        "sign_momentum" => AdaptiveMethod::SignMomentum { beta: beta()? },
        _ => return Ok(None),
    }))
}

#[derive(Clone, Copy)]
struct AdaptiveKeys<'a> {
    cx: &'a Ctx<'a>,
    m: &'a RawMethod,
    i: usize,
    kind: &'a str,
}

impl AdaptiveKeys<'_> {
    fn key(&self, k: &str) -> String {
        format!("method[{}].{k}", self.i)
    }

    /// A decay rate or momentum in [0, 1), `default` when absent.
    fn unit_interval(&self, v: &Option<Spanned<f64>>, name: &str, default: f64) -> Result<f64> {
        match v {
            None => Ok(default),
            Some(b) => {
                let x = *b.get_ref();
                if x.is_finite() && (0.0..1.0).contains(&x) {
                    Ok(x)
                } else {
                    Err(self
                        .cx
                        .err(b.span(), self.key(name), format!("must be in [0, 1), found {x}")))
                }
            }
        }
    }

    /// β₂ in (0, 1) for the models of RMSProp's ν, whose rate (1 − β₂)/(β₂η) is infinite at β₂ = 0; 0.99
    /// when absent.
    fn rate_beta2(&self) -> Result<f64> {
        let beta2 = self.unit_interval(&self.m.beta2, "beta2", 0.99)?;
        if beta2 == 0.0 {
            let span = self.m.beta2.as_ref().map_or(self.m.kind.span(), |b| b.span());
            return Err(self.cx.err(
                span,
                self.key("beta2"),
                format!(
                    "must be in (0, 1) for `{}`, whose rate (1 − β₂)/(β₂η) is infinite at 0",
                    self.kind
                ),
            ));
        }
        Ok(beta2)
    }

    /// ε > 0 and finite; 1e-8 (PyTorch's default) when absent.
    fn eps(&self) -> Result<f64> {
        match &self.m.eps {
            None => Ok(1e-8),
            Some(e) => {
                let x = *e.get_ref();
                if x.is_finite() && x > 0.0 {
                    Ok(x)
                } else {
                    Err(self.cx.err(
                        e.span(),
                        self.key("eps"),
                        format!("must be a positive finite number (added to the square root), found {x}"),
                    ))
                }
            }
        }
    }

    /// AdamW's λ ≥ 0 with ηλ < 1 (beyond, the decay factor 1 − ηλ flips θ's sign); 0.01 (PyTorch's
    /// default) when absent.
    fn weight_decay(&self, eta: f64) -> Result<f64> {
        match &self.m.weight_decay {
            None => Ok(0.01),
            Some(w) => {
                let x = *w.get_ref();
                if x.is_finite() && x >= 0.0 && eta * x < 1.0 {
                    Ok(x)
                } else {
                    Err(self.cx.err(
                        w.span(),
                        self.key("weight_decay"),
                        format!(
                            "must be ≥ 0 with step_size · weight_decay < 1 (the decay factor is 1 − ηλ), found {x}"
                        ),
                    ))
                }
            }
        }
    }

    /// ν₀: `zero` (PyTorch) unless given.
    fn nu_start(&self) -> Result<crate::discrete::SecondMomentStart> {
        use crate::discrete::SecondMomentStart;
        match &self.m.nu_start {
            None => Ok(SecondMomentStart::Zero),
            Some(s) => SecondMomentStart::from_name(s.get_ref()).ok_or_else(|| {
                self.cx.err(
                    s.span(),
                    self.key("nu_start"),
                    format!(
                        "unknown start `{}`; allowed: {}",
                        crate::error::excerpt(s.get_ref()),
                        SecondMomentStart::NAMES.join(", ")
                    ),
                )
            }),
        }
    }

    /// A diagonal preconditioner: one positive finite entry per parameter; `required` for
    /// `preconditioned_flow`.
    fn preconditioner(&self, objective: &dyn Objective, required: bool) -> Result<Option<Vec<f64>>> {
        let Some(p) = &self.m.preconditioner else {
            if required {
                return Err(self.cx.err(
                    self.m.kind.span(),
                    self.key("preconditioner"),
                    format!(
                        "kind `{}` needs `preconditioner`, the diagonal of P: {} positive numbers",
                        self.kind,
                        objective.dim()
                    ),
                ));
            }
            return Ok(None);
        };
        let d = objective.dim();
        if p.get_ref().len() != d {
            return Err(self.cx.err(
                p.span(),
                self.key("preconditioner"),
                format!(
                    "needs {d} entries (one per parameter), found {}",
                    p.get_ref().len()
                ),
            ));
        }
        for (j, x) in p.get_ref().iter().enumerate() {
            let v = *x.get_ref();
            if !(v.is_finite() && v > 0.0) {
                return Err(self.cx.err(
                    x.span(),
                    format!("{}[{j}]", self.key("preconditioner")),
                    format!("must be a positive finite number, found {v}"),
                ));
            }
        }
        Ok(Some(p.get_ref().iter().map(|x| *x.get_ref()).collect()))
    }
}

/// θ₀: the given `point`, or the objective's own seeded initialisation.
fn initial_point(
    cx: &Ctx,
    init: &RawInit,
    span: std::ops::Range<usize>,
    objective: &dyn Objective,
) -> Result<Vec<f64>> {
    let dim = objective.dim();
    if let Some(point) = &init.point {
        for (key, given) in [
            ("seed", init.seed.as_ref().map(|s| s.span())),
            ("scale", init.scale.as_ref().map(|s| s.span())),
            ("balanced", init.balanced.as_ref().map(|s| s.span())),
        ] {
            if let Some(at) = given {
                return Err(cx.err(at, format!("init.{key}"), "give either `point` or the seeded initialisation (`seed`, `scale`, `balanced`), not both"));
            }
        }
        let theta = cx.finite_list(point, "init.point")?;
        if theta.len() != dim {
            return Err(cx.err(
                point.span(),
                "init.point",
                format!(
                    "has {} entries but the objective has dimension {dim}; give {dim} numbers",
                    theta.len()
                ),
            ));
        }
        return Ok(theta);
    }
    let seed = match &init.seed {
        Some(s) if *s.get_ref() < 0 => {
            return Err(cx.err(
                s.span(),
                "init.seed",
                format!("must be an integer ≥ 0, found {}", s.get_ref()),
            ))
        }
        Some(s) => *s.get_ref() as u64,
        None => 0,
    };
    let scale = match &init.scale {
        Some(s) => cx.positive(s, "init.scale")?,
        None => 1.0,
    };
    let balanced = init.balanced.as_ref().is_some_and(|b| *b.get_ref());
    objective.initial_point(&RandomInit { scale, seed, balanced }).ok_or_else(|| {
        cx.err(span, "init.point", format!("missing: give `point = [...]` with {dim} numbers (this objective has no seeded initialisation{})", if balanced { " with `balanced = true`" } else { "" }))
    })
}

/// Reads a continuous model's solver keys; rk4's default step is a quarter of the time unit.
fn solver_settings(
    cx: &Ctx,
    m: &RawMethod,
    i: usize,
    unit: f64,
    record_every: u64,
) -> Result<SolverSettings> {
    let key = |k: &str| format!("method[{i}].{k}");
    let solver = match &m.solver {
        Some(s) => SolverKind::from_name(s.get_ref()).ok_or_else(|| {
            cx.err(
                s.span(),
                key("solver"),
                format!(
                    "unknown solver `{}`; allowed: {}",
                    s.get_ref(),
                    SolverKind::NAMES.join(", ")
                ),
            )
        })?,
        None => SolverKind::Dop853,
    };
    let tol = |v: &Option<Spanned<f64>>, k: &str, default: f64| -> Result<f64> {
        match v {
            Some(s) => {
                let x = cx.positive(s, &key(k))?;
                if x >= 1.0 {
                    return Err(cx.err(
                        s.span(),
                        key(k),
                        format!("must be below 1 (a tolerance), found {x}"),
                    ));
                }
                Ok(x)
            }
            None => Ok(default),
        }
    };
    let adaptive_only = |v: &Option<Spanned<f64>>, k: &str| -> Result<()> {
        if solver == SolverKind::Rk4 {
            if let Some(s) = v {
                return Err(cx.err(
                    s.span(),
                    key(k),
                    "rk4 has a fixed step: set `dt` instead of rtol/atol",
                ));
            }
        }
        Ok(())
    };
    adaptive_only(&m.rtol, "rtol")?;
    adaptive_only(&m.atol, "atol")?;
    let rtol = tol(&m.rtol, "rtol", 1e-10)?;
    let atol = tol(&m.atol, "atol", 1e-12)?;
    let max_steps = match &m.max_steps {
        Some(s) if *s.get_ref() < 1 || *s.get_ref() > u32::MAX as i64 => {
            return Err(cx.err(
                s.span(),
                key("max_steps"),
                format!("must be an integer from 1 to {}, found {}", u32::MAX, s.get_ref()),
            ));
        }
        Some(s) => *s.get_ref() as u32,
        None => 10_000_000,
    };
    let dt = match &m.dt {
        Some(s) if solver != SolverKind::Rk4 => {
            return Err(cx.err(
                s.span(),
                key("dt"),
                "`dt` is rk4's fixed step; adaptive solvers take rtol/atol",
            ));
        }
        Some(s) => {
            let dt = cx.positive(s, &key("dt"))?;
            let spacing = record_every as f64 * unit;
            if spacing / dt > MAX_RK4_SUBSTEPS {
                return Err(cx.err(
                    s.span(),
                    key("dt"),
                    format!(
                        "{dt:e} would take more than {MAX_RK4_SUBSTEPS} rk4 steps per recorded interval \
                         ({spacing:e}); raise dt or lower record_every"
                    ),
                ));
            }
            dt
        }
        None => unit / 4.0,
    };
    let controller = match &m.controller {
        Some(c) if solver == SolverKind::Rk4 => {
            return Err(cx.err(
                c.span(),
                key("controller"),
                "rk4 has a fixed step and no step-size controller; remove `controller` or pick dopri5/dop853",
            ));
        }
        Some(c) => Some(c.get_ref().parse::<Controller>().map_err(|_| {
            cx.err(
                c.span(),
                key("controller"),
                format!(
                    "unknown controller `{}`; allowed: {} (PI with β = 0.04, or the plain integral controller)",
                    c.get_ref(),
                    Controller::NAMES.join(", ")
                ),
            )
        })?),
        None => None,
    };
    Ok(SolverSettings {
        solver,
        rtol,
        atol,
        max_steps,
        dt,
        controller,
    })
}
