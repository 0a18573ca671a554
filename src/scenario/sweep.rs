//! Sweep axes: the `[sweep]` table of a scenario and the `--grid` flags, parsed into [`SweepSpec`], and
//! the scenario of one grid point ([`Base`], [`Points`]).
//!
//! The file is parsed once into TOML's tree of spanned values; a grid point sets its values in a copy
//! of that tree, at the spans of the base file's keys, and the loader's own checks run on it: every
//! swept value gets exactly the checks a hand-written one gets, with the line it would have. The
//! objective is built once and shared by every point unless an axis is an `objective.*` key.

use super::ctx::Ctx;
use super::shared_objective::SharedObjective;
use super::Scenario;
use crate::error::{Error, Location, Result};
use crate::formats::kept::{ACCURACY_KEEP, HELD_OUT_KEEP, KEEP_COLUMNS};
use crate::objective::{HeldOut, Objective};
use crate::outspec::SourceFile;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One axis of a sweep: a dotted key and its values, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The dotted key (`run.step_size`, `method.gd.beta`, `init.point[0]`, …).
    pub key: String,
    /// The values, in the order the grid visits them.
    pub values: Vec<f64>,
    /// True when the values were spaced logarithmically (`lo:hi:n:log`); figures use a log axis then.
    pub log: bool,
}

/// A figure drawn from a finished sweep table.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepFigure {
    /// A metric column against a 1-D axis (`curve.png`).
    Curve {
        /// The axis key on the horizontal axis.
        x: String,
        /// The column on the vertical axis (e.g. `gd_vs_flow.max_distance`).
        y: String,
        /// Log–log instead of linear axes.
        log: bool,
    },
    /// The minimum each method reaches over a 2-D grid of starts (`basin_map.png`).
    BasinMap,
    /// The last recorded iterates of a method's first coordinate against an axis (`bifurcation.png`).
    Bifurcation,
    /// Converged against diverged over a 2-D grid of two axes, with how fast (`trainability.png`).
    Trainability,
    /// A kept column against step or time, one line per value of an axis (`overlay.png`).
    Overlay(Overlay),
}

/// The overlay figure's settings (`[sweep.overlay]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    /// The kept column drawn.
    pub column: String,
    /// The horizontal axis: `step` or `t`.
    pub x: String,
    /// The axis key with one line per value.
    pub by: String,
    /// The axis key whose runs are drawn as mean ± sd (a seed axis); resolved by [`check_plan`]:
    /// `init.seed` when it is an axis and none is named.
    pub over: Option<String>,
    /// The method whose series are drawn (default: the first kept method).
    pub method: String,
    /// A log vertical axis.
    pub log: bool,
}

impl SweepFigure {
    /// The names accepted in `[sweep] figures`.
    pub const NAMES: [&'static str; 5] = ["curve", "basin_map", "bifurcation", "trainability", "overlay"];
}

/// A sweep as declared in a scenario and on the command line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SweepSpec {
    /// The axes, slowest first: the run with index i has coordinates given by i in mixed radix, the
    /// last axis varying fastest.
    pub axes: Vec<Axis>,
    /// How many of the last recorded states each run keeps in its row (`<id>.tail_j`, first coordinate).
    pub tail: usize,
    /// The figures to draw from the table.
    pub figures: Vec<SweepFigure>,
    /// True when the scenario's `[sweep]` table lists its figures (`figures = []` asks for none);
    /// otherwise the sweep draws [`default_figures`].
    pub figures_declared: bool,
    /// The recorded columns each run keeps in `kept.csv` (`[sweep] keep`; empty: no `kept.csv`).
    pub keep: Vec<String>,
    /// The methods whose columns are kept (`[sweep] keep_methods`; default: every method).
    pub keep_methods: Vec<String>,
    /// Where `keep` is written in the file (for the budget's message).
    pub keep_span: Option<std::ops::Range<usize>>,
    /// The `[sweep.overlay]` settings, and where they are written.
    pub overlay: Option<(Overlay, std::ops::Range<usize>)>,
}

/// The figures of a sweep whose scenario lists none: over one axis, the first comparison's maximum
/// distance against it (log–log when the axis is log-spaced); over a grid of starts (the axes
/// `init.point[0]` and `init.point[1]`) on an objective with known minima, the basin map.
pub fn default_figures(axes: &[Axis], comparisons: &[String], has_minima: bool) -> Vec<SweepFigure> {
    let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    match (axes, comparisons) {
        ([axis], [first, ..]) => vec![SweepFigure::Curve {
            x: axis.key.clone(),
            y: format!("{first}.max_distance"),
            log: axis.log,
        }],
        _ if has_minima
            && keys.len() == 2
            && keys.contains(&"init.point[0]")
            && keys.contains(&"init.point[1]") =>
        {
            vec![SweepFigure::BasinMap]
        }
        _ => Vec::new(),
    }
}

impl SweepSpec {
    /// The number of runs: the product of the axis lengths (1 with no axes).
    pub fn len(&self) -> u64 {
        self.axes.iter().map(|a| a.values.len() as u64).product()
    }

    /// True when some axis has no value (never after parsing).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The coordinate index of run `index` along each axis (last axis fastest).
    pub fn coordinates(&self, mut index: u64) -> Vec<usize> {
        let mut out = vec![0; self.axes.len()];
        for (k, axis) in self.axes.iter().enumerate().rev() {
            let n = axis.values.len() as u64;
            out[k] = (index % n) as usize;
            index /= n;
        }
        out
    }

    /// Adds `axis`, replacing an axis with the same key (a `--grid` flag overrides the file's axis).
    pub fn set_axis(&mut self, axis: Axis) {
        match self.axes.iter_mut().find(|a| a.key == axis.key) {
            Some(a) => *a = axis,
            None => self.axes.push(axis),
        }
    }
}

/// The most runs one sweep may have (a typo such as `0:1:1e12` is refused instead of running for ever).
pub const MAX_RUNS: u64 = 100_000_000;

/// The most values one axis may have.
pub const MAX_AXIS_VALUES: u64 = 10_000_000;

/// The keys a sweep may set, as shown in error messages.
pub const ALLOWED_KEYS: &str = "run.step_size, run.steps, run.divergence_bound, init.seed, init.scale, \
     init.point[i], objective.<numeric key>, method.<id>.<numeric key> (e.g. method.hb.beta, \
     method.flow.rtol); not compare.<a>_vs_<b>.tolerance, which changes no run";

/// Keys whose TOML value is an integer.
const INTEGER_KEYS: [&str; 7] = [
    "seed",
    "steps",
    "record_every",
    "order",
    "max_steps",
    "dim",
    "samples",
];

/// Parses one `--grid` flag, `key=v1,v2,…`, `key=lo:hi:n` or `key=lo:hi:n:log`. The error says what is
/// wrong and what is allowed.
pub fn parse_axis(spec: &str) -> std::result::Result<Axis, String> {
    let Some((key, values)) = spec.split_once('=') else {
        return Err(format!(
            "`{spec}` has no `=`; write key=v1,v2,… or key=lo:hi:n or key=lo:hi:n:log"
        ));
    };
    let key = key.trim().to_string();
    check_key(&key)?;
    let values = values.trim();
    let number = |s: &str| -> std::result::Result<f64, String> {
        let x: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("`{}` in `{key}` is not a number", s.trim()))?;
        if x.is_finite() {
            Ok(x)
        } else {
            Err(format!("`{}` in `{key}` is not finite", s.trim()))
        }
    };
    let (values, log) = if values.contains(':') {
        let parts: Vec<&str> = values.split(':').collect();
        let log = match parts.len() {
            3 => false,
            4 if parts[3].trim() == "log" => true,
            _ => {
                return Err(format!(
                    "`{values}` for `{key}`: a range is lo:hi:n or lo:hi:n:log (n values, ends included)"
                ))
            }
        };
        let (lo, hi) = (number(parts[0])?, number(parts[1])?);
        let n: u64 = parts[2].trim().parse().map_err(|_| {
            format!(
                "`{}` in `{key}`: the count n must be an integer ≥ 1",
                parts[2].trim()
            )
        })?;
        if n == 0 || n > MAX_AXIS_VALUES {
            return Err(format!(
                "the count n in `{key}` must be from 1 to {MAX_AXIS_VALUES}, found {n}"
            ));
        }
        if log && (lo <= 0.0 || hi <= 0.0) {
            return Err(format!(
                "a log range for `{key}` needs lo > 0 and hi > 0, found {lo}:{hi}"
            ));
        }
        (spaced(lo, hi, n as usize, log), log)
    } else {
        let values = values
            .split(',')
            .map(number)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        (values, false)
    };
    Ok(Axis { key, values, log })
}

/// n values from lo to hi, both included: lo + (hi − lo)·j/(n − 1), or geometric for `log` (computed
/// per point, never by accumulation, so a value depends only on its index).
pub fn spaced(lo: f64, hi: f64, n: usize, log: bool) -> Vec<f64> {
    if n == 1 {
        return vec![lo];
    }
    (0..n)
        .map(|j| {
            let (a, b, m) = ((n - 1 - j) as f64, j as f64, (n - 1) as f64);
            // Both ends exactly as given.
            if j == 0 {
                lo
            } else if j == n - 1 {
                hi
            } else if log {
                ((a * lo.ln() + b * hi.ln()) / m).exp()
            } else {
                // A weighted mean rather than lo + (hi − lo)·s: round values come out round more often.
                (a * lo + b * hi) / m
            }
        })
        .collect()
}

/// Refuses keys a sweep cannot set (the scenario's name, a method's id or kind, tables, unknown tops).
pub fn check_key(key: &str) -> std::result::Result<(), String> {
    let segments: Vec<&str> = key.split('.').collect();
    let bad = || format!("`{key}` is not a sweepable key; allowed: {ALLOWED_KEYS}");
    if segments.iter().any(|s| s.is_empty()) {
        return Err(bad());
    }
    let last = segments[segments.len() - 1];
    let (field, _) = split_index(last).ok_or_else(bad)?;
    match segments[0] {
        "run" | "init" if segments.len() == 2 => {}
        "objective" if segments.len() >= 2 && field != "kind" => {}
        "method" if segments.len() == 3 && field != "id" && field != "kind" => {}
        _ => return Err(bad()),
    }
    if key.starts_with("run.record_every") {
        return Err(format!(
            "`{key}` changes the recorded points, not the run; allowed: {ALLOWED_KEYS}"
        ));
    }
    Ok(())
}

/// `point[1]` → (`point`, Some(1)); `beta` → (`beta`, None); malformed brackets → None.
fn split_index(segment: &str) -> Option<(&str, Option<usize>)> {
    match segment.split_once('[') {
        None => Some((segment, None)),
        Some((name, rest)) => {
            let i = rest.strip_suffix(']')?.parse().ok()?;
            Some((name, Some(i)))
        }
    }
}

/// Sets `key` to `value` in the scenario document `doc`. Integer keys (seed, steps, …) take integral
/// values only. `method.<id>.<key>` addresses the `[[method]]` whose id is `<id>`.
pub fn apply(doc: &mut toml::Table, key: &str, value: f64) -> std::result::Result<(), String> {
    let segments: Vec<&str> = key.split('.').collect();
    let mut table: &mut toml::Table = doc;
    let mut rest = &segments[..];
    if segments[0] == "method" {
        let id = segments[1];
        let methods = table
            .get_mut("method")
            .and_then(|m| m.as_array_mut())
            .ok_or_else(|| format!("`{key}`: the scenario has no [[method]]"))?;
        let mut ids = Vec::new();
        let mut found = None;
        for m in methods.iter_mut() {
            let this = m.get("id").and_then(|v| v.as_str()).unwrap_or("").to_string();
            if this == id {
                found = m.as_table_mut();
                break;
            }
            ids.push(this);
        }
        table = found.ok_or_else(|| {
            format!(
                "`{key}`: no method has id `{id}`; the ids are: {}",
                ids.join(", ")
            )
        })?;
        rest = &segments[2..];
    }
    for seg in &rest[..rest.len() - 1] {
        let entry = table
            .entry(seg.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{key}`: `{seg}` is not a table in the scenario"))?;
    }
    let (field, index) = split_index(rest[rest.len() - 1]).ok_or_else(|| format!("`{key}`: bad index"))?;
    let integer = INTEGER_KEYS.contains(&field)
        || table
            .get(field)
            .is_some_and(|v| v.is_integer() && index.is_none());
    let as_value = |slot_is_int: bool| -> std::result::Result<toml::Value, String> {
        if slot_is_int {
            if value.fract() != 0.0 || value.abs() > 9.0e15 {
                return Err(format!("`{key}` takes integers; {value} is not one"));
            }
            Ok(toml::Value::Integer(value as i64))
        } else {
            Ok(toml::Value::Float(value))
        }
    };
    match index {
        None => {
            table.insert(field.to_string(), as_value(integer)?);
        }
        Some(i) => {
            let list = table
                .get_mut(field)
                .and_then(|v| v.as_array_mut())
                .ok_or_else(|| format!("`{key}`: the scenario has no list `{field}` to index"))?;
            let len = list.len();
            let slot = list
                .get_mut(i)
                .ok_or_else(|| format!("`{key}`: index {i} is past the {len} entries of `{field}`"))?;
            *slot = as_value(false)?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct RawFile {
    sweep: Option<Spanned<RawSweep>>,
    /// The methods' ids (the loader checks the rest), which `keep_methods` and the overlay name.
    #[serde(default)]
    method: Vec<RawMethodId>,
    /// Whether `[diagnostics.sharpness]` is given, which keeping `sharpness` needs.
    diagnostics: Option<RawDiagnostics>,
}

#[derive(Deserialize)]
struct RawMethodId {
    #[serde(default)]
    id: String,
}

#[derive(Deserialize)]
struct RawDiagnostics {
    sharpness: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    grid: Option<Vec<Spanned<String>>>,
    init_grid: Option<Spanned<RawInitGrid>>,
    tail: Option<Spanned<i64>>,
    figures: Option<Vec<Spanned<String>>>,
    curve: Option<Spanned<RawCurve>>,
    keep: Option<Spanned<Vec<Spanned<String>>>>,
    keep_methods: Option<Spanned<Vec<Spanned<String>>>>,
    overlay: Option<Spanned<RawOverlay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlay {
    column: Spanned<String>,
    x: Option<Spanned<String>>,
    by: Spanned<String>,
    over: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    #[serde(default)]
    log: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInitGrid {
    x: Spanned<String>,
    y: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCurve {
    x: Spanned<String>,
    y: Spanned<String>,
    #[serde(default)]
    log: bool,
}

/// The most tail states a row may carry.
pub const MAX_TAIL: i64 = 4096;

/// Reads the `[sweep]` table of scenario text `src` (the default, no axes, when it has none), with
/// located errors.
pub fn read(src: &str, path: &Path) -> Result<SweepSpec> {
    let cx = Ctx { path, src };
    let raw: RawFile = cx.deserialize()?;
    let Some(sweep) = raw.sweep else {
        return Ok(SweepSpec::default());
    };
    let span = sweep.span();
    let sweep = sweep.into_inner();
    let mut spec = SweepSpec::default();
    let ids: Vec<String> = raw.method.iter().map(|m| m.id.clone()).collect();
    let has_sharpness = raw.diagnostics.is_some_and(|d| d.sharpness.is_some());
    read_keep(&cx, &sweep, &ids, has_sharpness, &mut spec)?;
    for g in sweep.grid.iter().flatten() {
        let axis = parse_axis(g.get_ref()).map_err(|m| cx.err(g.span(), "sweep.grid", m))?;
        if spec.axes.iter().any(|a| a.key == axis.key) {
            return Err(cx.err(g.span(), "sweep.grid", format!("`{}` is given twice", axis.key)));
        }
        spec.axes.push(axis);
    }
    if let Some(ig) = &sweep.init_grid {
        for (name, s, i) in [("x", &ig.get_ref().x, 0), ("y", &ig.get_ref().y, 1)] {
            let axis = parse_axis(&format!("init.point[{i}]={}", s.get_ref()))
                .map_err(|m| cx.err(s.span(), format!("sweep.init_grid.{name}"), m))?;
            if spec.axes.iter().any(|a| a.key == axis.key) {
                return Err(cx.err(
                    s.span(),
                    "sweep.init_grid",
                    format!("`{}` is also in sweep.grid", axis.key),
                ));
            }
            spec.axes.push(axis);
        }
    }
    if let Some(t) = &sweep.tail {
        let k = *t.get_ref();
        if !(0..=MAX_TAIL).contains(&k) {
            return Err(cx.err(
                t.span(),
                "sweep.tail",
                format!("must be an integer from 0 to {MAX_TAIL}, found {k}"),
            ));
        }
        spec.tail = k as usize;
    }
    spec.figures_declared = sweep.figures.is_some();
    for f in sweep.figures.iter().flatten() {
        let figure = match f.get_ref().as_str() {
            "curve" => {
                let c = sweep.curve.as_ref().ok_or_else(|| {
                    cx.err(f.span(), "sweep.curve", "figure `curve` needs `curve = { x = \"<axis key>\", y = \"<column>\", log = false }`")
                })?;
                let c = c.get_ref();
                SweepFigure::Curve {
                    x: c.x.get_ref().clone(),
                    y: c.y.get_ref().clone(),
                    log: c.log,
                }
            }
            "basin_map" => SweepFigure::BasinMap,
            "bifurcation" => SweepFigure::Bifurcation,
            "trainability" => SweepFigure::Trainability,
            "overlay" => match &spec.overlay {
                Some((o, _)) => SweepFigure::Overlay(o.clone()),
                None => {
                    return Err(cx.err(
                        f.span(),
                        "sweep.overlay",
                        "figure `overlay` needs `[sweep.overlay]` with `column = \"<kept column>\"` and \
                         `by = \"<axis key>\"`",
                    ))
                }
            },
            other => {
                return Err(cx.err(
                    f.span(),
                    "sweep.figures",
                    format!(
                        "unknown sweep figure `{other}`; allowed: {}",
                        SweepFigure::NAMES.join(", ")
                    ),
                ))
            }
        };
        if !spec.figures.contains(&figure) {
            spec.figures.push(figure);
        }
    }
    if let (Some((_, at)), Some(figures)) = (&spec.overlay, &sweep.figures) {
        if !figures.iter().any(|f| f.get_ref() == "overlay") {
            return Err(cx.err(
                at.clone(),
                "sweep.overlay",
                "`figures` does not list `overlay`: add it, or remove `[sweep.overlay]`",
            ));
        }
    }
    if spec.figures.contains(&SweepFigure::Bifurcation) && spec.tail == 0 {
        return Err(cx.err(
            span,
            "sweep.tail",
            "figure `bifurcation` needs `tail = K`, the number of last iterates kept per run",
        ));
    }
    Ok(spec)
}

/// The most values `kept.csv` may hold (cells of the kept columns, over every run and kept method): about
/// 400 MB of text, and what a chunk of runs holds in memory before its rows are written stays below it.
pub const MAX_KEPT_VALUES: f64 = 2e7;

/// Reads `keep`, `keep_methods` and `[sweep.overlay]` into `spec`: the columns must be ones a run
/// records ([`KEEP_COLUMNS`]; `sharpness` with `[diagnostics.sharpness]`), the methods the scenario's
/// ids, the overlay's column a kept one and its method a kept method.
fn read_keep(
    cx: &Ctx,
    sweep: &RawSweep,
    ids: &[String],
    has_sharpness: bool,
    spec: &mut SweepSpec,
) -> Result<()> {
    if let Some(keep) = &sweep.keep {
        for c in keep.get_ref() {
            let name = c.get_ref();
            if !KEEP_COLUMNS.contains(&name.as_str()) {
                return Err(cx.err(
                    c.span(),
                    "sweep.keep",
                    format!(
                        "unknown column `{}`; a sweep can keep: {}",
                        name,
                        KEEP_COLUMNS.join(", ")
                    ),
                ));
            }
            if spec.keep.contains(name) {
                return Err(cx.err(c.span(), "sweep.keep", format!("`{name}` is given twice")));
            }
            if name == "sharpness" && !has_sharpness {
                return Err(cx.err(
                    c.span(),
                    "sweep.keep",
                    "`sharpness` is computed by `[diagnostics.sharpness]`, which this scenario does not have; \
                     add it (e.g. `every = 4`)",
                ));
            }
            spec.keep.push(name.clone());
        }
        spec.keep_span = Some(keep.span());
    }
    match &sweep.keep_methods {
        Some(methods) if spec.keep.is_empty() => {
            return Err(cx.err(
                methods.span(),
                "sweep.keep_methods",
                "names the methods whose kept columns are written, but `keep` lists no column",
            ))
        }
        Some(methods) => {
            for m in methods.get_ref() {
                let id = m.get_ref();
                if !ids.contains(id) {
                    return Err(cx.err(
                        m.span(),
                        "sweep.keep_methods",
                        format!("no method has id `{}`; the ids are: {}", id, ids.join(", ")),
                    ));
                }
                if spec.keep_methods.contains(id) {
                    return Err(cx.err(m.span(), "sweep.keep_methods", format!("`{id}` is given twice")));
                }
                spec.keep_methods.push(id.clone());
            }
        }
        None if !spec.keep.is_empty() => spec.keep_methods = ids.to_vec(),
        None => {}
    }
    let Some(raw) = &sweep.overlay else {
        return Ok(());
    };
    let at = raw.span();
    let raw = raw.get_ref();
    let column = raw.column.get_ref();
    if !spec.keep.contains(column) {
        let message = if spec.keep.is_empty() {
            format!("`{column}` is not kept: the overlay draws a kept column; add `keep = [\"{column}\"]`")
        } else {
            format!(
                "`{}` is not kept; the kept columns are: {}",
                column,
                spec.keep.join(", ")
            )
        };
        return Err(cx.err(raw.column.span(), "sweep.overlay.column", message));
    }
    let x = match &raw.x {
        None => "step".to_string(),
        Some(x) if ["step", "t"].contains(&x.get_ref().as_str()) => x.get_ref().clone(),
        Some(x) => {
            return Err(cx.err(
                x.span(),
                "sweep.overlay.x",
                format!(
                    "`{}`: the overlay's horizontal axis is `step` or `t`",
                    x.get_ref()
                ),
            ))
        }
    };
    let method = match &raw.method {
        None => spec.keep_methods[0].clone(),
        Some(m) if spec.keep_methods.contains(m.get_ref()) => m.get_ref().clone(),
        Some(m) => {
            return Err(cx.err(
                m.span(),
                "sweep.overlay.method",
                format!(
                    "`{}` is not a kept method; the kept methods are: {}",
                    m.get_ref(),
                    spec.keep_methods.join(", ")
                ),
            ))
        }
    };
    let overlay = Overlay {
        column: column.clone(),
        x,
        by: raw.by.get_ref().clone(),
        over: raw.over.as_ref().map(|o| o.get_ref().clone()),
        method,
        log: raw.log,
    };
    spec.overlay = Some((overlay, at));
    Ok(())
}

/// Completes and checks a sweep's plan once its axes are final (the file's and `--grid`'s), with errors
/// located in the scenario `src` at `path`: the overlay's `by` (and `over`) must be axes and every other
/// axis one of them (`over` defaults to `init.seed` when that is an axis), and `kept.csv` must stay within
/// [`MAX_KEPT_VALUES`]: runs × kept methods × Σ over kept columns of the points each records (steps /
/// record_every + 2 for loss and grad_norm, a `[diagnostics.sharpness] every`-th of that + 1 for
/// sharpness; the largest `run.steps` of its axis).
pub fn check_plan(spec: &mut SweepSpec, src: &str, path: &Path, base: &Scenario) -> Result<()> {
    let cx = Ctx { path, src };
    let keys: Vec<&str> = spec.axes.iter().map(|a| a.key.as_str()).collect();
    if let Some((o, at)) = &mut spec.overlay {
        if !keys.contains(&o.by.as_str()) {
            return Err(cx.err(
                at.clone(),
                "sweep.overlay.by",
                format!(
                    "`{}` is not an axis of this sweep; the axes are: {}",
                    o.by,
                    keys.join(", ")
                ),
            ));
        }
        if o.over.is_none() && o.by != "init.seed" && keys.contains(&"init.seed") {
            o.over = Some("init.seed".into());
        }
        if let Some(over) = &o.over {
            if !keys.contains(&over.as_str()) || *over == o.by {
                return Err(cx.err(
                    at.clone(),
                    "sweep.overlay.over",
                    format!(
                        "`{}` must be an axis of this sweep other than `by`; the axes are: {}",
                        over,
                        keys.join(", ")
                    ),
                ));
            }
        }
        if let Some(other) = keys
            .iter()
            .find(|k| **k != o.by && Some(**k) != o.over.as_deref())
        {
            return Err(cx.err(
                at.clone(),
                "sweep.overlay",
                format!(
                    "the axis `{other}` is neither `by` (one line per value) nor `over` (mean ± sd over its \
                     values): an overlay sweeps one axis, and optionally a seed axis"
                ),
            ));
        }
        // `over` may have been resolved just now: the figures list takes the final settings (in the
        // listed figure's place; appended to the default figures when `figures` is not given).
        let figure = SweepFigure::Overlay(o.clone());
        match spec
            .figures
            .iter_mut()
            .find(|f| matches!(f, SweepFigure::Overlay(_)))
        {
            Some(f) => *f = figure,
            None => spec.figures.push(figure),
        }
    }
    if spec.keep.is_empty() {
        return Ok(());
    }
    let keep_at = spec.keep_span.clone().unwrap_or(0..0);
    let held_out = base.experiment.held_out.as_ref();
    if let Some(c) = spec.keep.iter().find(|c| HELD_OUT_KEEP.contains(&c.as_str())) {
        match held_out {
            None => {
                return Err(cx.err(
                    keep_at,
                    "sweep.keep",
                    format!(
                        "`{c}` is evaluated on a held-out test split, which this scenario's data does not \
                         have; add `test_fraction = 0.25` and `split_seed` (or `test_data`) to `[objective.data]`"
                    ),
                ))
            }
            Some(h) if !h.classification() => {
                if let Some(c) = spec.keep.iter().find(|c| ACCURACY_KEEP.contains(&c.as_str())) {
                    return Err(cx.err(
                        keep_at,
                        "sweep.keep",
                        format!(
                            "`{c}` is recorded for classification losses only (cross-entropy, logistic \
                             regression); this scenario's loss is a regression loss: keep `test_loss` instead"
                        ),
                    ));
                }
            }
            Some(_) => {}
        }
    }
    let grid = &base.experiment.grid;
    let steps = spec
        .axes
        .iter()
        .find(|a| a.key == "run.steps")
        .map_or(grid.steps as f64, |a| {
            a.values.iter().copied().fold(0.0, f64::max)
        });
    let points = steps / grid.record_every.max(1) as f64 + 2.0;
    let every = base
        .experiment
        .diagnostics
        .and_then(|d| d.sharpness)
        .map_or(1, |s| s.every.max(1)) as f64;
    let per_method: f64 = spec
        .keep
        .iter()
        .map(|c| {
            if c == "sharpness" {
                points / every + 1.0
            } else {
                points
            }
        })
        .sum();
    let values = spec.len() as f64 * spec.keep_methods.len() as f64 * per_method;
    if values > MAX_KEPT_VALUES {
        return Err(cx.err(
            keep_at,
            "sweep.keep",
            format!(
                "kept.csv would hold about {values:.3e} values ({} runs × {} methods × {per_method:.0} per run), \
                 more than the {MAX_KEPT_VALUES:.0e} a sweep keeps; keep fewer columns or methods, record \
                 less often (`run.record_every`), or sweep fewer runs",
                spec.len(),
                spec.keep_methods.len()
            ),
        ));
    }
    Ok(())
}

/// A `--grid` error, as a bad-input error naming the flag.
pub fn grid_error(message: String) -> Error {
    Error::Scenario {
        location: Location {
            file: "--grid".into(),
            line: None,
            column: None,
        },
        key: "grid".into(),
        message,
    }
}

/// A scenario read once for a sweep over `axes`: its text, its checked objective when no axis changes
/// it, and every axis value as a TOML literal. [`Base::points`] turns it into the grid points.
pub struct Base {
    path: PathBuf,
    src: String,
    source: SourceFile,
    axes: Vec<Axis>,
    /// The base scenario's objective and settings, shared by every point; `None` when an axis is an
    /// `objective.*` key.
    objective: Option<(Arc<dyn Objective>, serde_json::Value)>,
    /// The base scenario's held-out evaluation, shared like its objective, so that every grid point
    /// records the held-out columns of `sweep.csv` and `kept.csv`.
    held_out: Option<HeldOut>,
    /// The document for the points of an `objective.*` axis, whose text is written and parsed whole:
    /// the objective kinds read their keys from the file's text (a second pass per kind), not from a
    /// tree.
    doc: toml::Table,
    /// Every axis value's literals (see [`Literal`]), end to end.
    numbers: String,
    /// Per axis and value: the byte ranges in `numbers` of its float and its integer literal (none when
    /// the value is not integral).
    literals: Vec<Vec<LiteralRanges>>,
}

impl Base {
    /// The sweep base of the scenario `base`, read from `src` at `path` (its objective moves into the
    /// base, to be shared when no axis is an `objective.*` key).
    pub fn new(src: String, path: &Path, base: Scenario, axes: &[Axis]) -> Result<Base> {
        let doc: toml::Table = src
            .parse()
            .map_err(|e: toml::de::Error| grid_error(format!("{}: {}", path.display(), e.message())))?;
        let shared = !axes.iter().any(|a| a.key.starts_with("objective."));
        let (experiment, output) = base.into_parts();
        let source = output
            .source
            .unwrap_or_else(|| super::load::source_file(&src, path));
        let held_out = experiment.held_out.clone();
        let objective = shared.then(|| (Arc::from(experiment.objective), experiment.objective_settings));
        let mut numbers = String::new();
        let mut push = |text: String| {
            let start = numbers.len();
            numbers.push_str(&text);
            start..numbers.len()
        };
        let literals = axes
            .iter()
            .map(|a| {
                let values = a.values.iter();
                values
                    .map(|&v| {
                        // Debug prints the shortest form that reads back as `v` (`1e-7`, `0.5`, `2.0`),
                        // all valid TOML floats.
                        let float = push(format!("{v:?}"));
                        let int = (v.fract() == 0.0 && v.abs() <= MAX_EXACT_INTEGER)
                            .then(|| push(format!("{}", v as i64)));
                        (float, int)
                    })
                    .collect()
            })
            .collect();
        Ok(Base {
            path: path.to_path_buf(),
            src,
            source,
            axes: axes.to_vec(),
            objective,
            held_out,
            doc,
            numbers,
            literals,
        })
    }

    /// The grid points, for a pool of `threads` worker threads: the file parsed into its tree once, and
    /// the axis values into TOML values.
    pub fn points(&self, threads: usize) -> Result<Points<'_>> {
        let cx = Ctx {
            path: &self.path,
            src: &self.src,
        };
        let tree = cx.tree()?;
        let value = |r: &std::ops::Range<usize>| -> Result<DeValue<'_>> {
            DeValue::parse(&self.numbers[r.clone()])
                .map(Spanned::into_inner)
                .map_err(|e| grid_error(format!("`{}`: {}", &self.numbers[r.clone()], e.message())))
        };
        let literals = self
            .literals
            .iter()
            .map(|axis| {
                axis.iter()
                    .map(|(f, i)| {
                        Ok(Literal {
                            float: value(f)?,
                            integer: i.as_ref().map(value).transpose()?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Points {
            base: self,
            cx,
            tree,
            literals,
            objectives: (0..threads).map(|_| OnceLock::new()).collect(),
        })
    }
}

/// Where an axis value's float literal and (when integral) integer literal sit in [`Base`]'s numbers.
type LiteralRanges = (std::ops::Range<usize>, Option<std::ops::Range<usize>>);

/// The largest integer an axis value may stand for (beyond it, f64 skips integers).
const MAX_EXACT_INTEGER: f64 = 9.0e15;

/// One axis value as TOML values: a float, and an integer when the value is integral.
struct Literal<'a> {
    float: DeValue<'a>,
    integer: Option<DeValue<'a>>,
}

/// The grid points of a [`Base`]: its file's tree, parsed once, and the axis values as TOML values.
pub struct Points<'a> {
    base: &'a Base,
    cx: Ctx<'a>,
    tree: Spanned<DeTable<'a>>,
    literals: Vec<Vec<Literal<'a>>>,
    /// One objective per worker thread of the pool, built on the thread's first point: an objective
    /// keeps its workspace behind a lock ([`crate::objective`]'s scratch), so two threads on one
    /// objective would allocate a fresh workspace per gradient. Outside the pool, the base's.
    objectives: Vec<OnceLock<(Arc<dyn Objective>, serde_json::Value)>>,
}

impl Points<'_> {
    /// The checked scenario of the grid point whose value along axis k is value `coordinates[k]` of it.
    /// An error about a swept value is located at the base file's key (its line when the file has it).
    pub fn scenario(&self, coordinates: &[usize]) -> Result<Scenario> {
        let base = self.base;
        let unlocated = |key: String, message: String| Error::Scenario {
            location: Location {
                file: base.path.clone(),
                line: None,
                column: None,
            },
            key,
            message,
        };
        let Some(shared) = &base.objective else {
            let mut doc = base.doc.clone();
            for (axis, &c) in base.axes.iter().zip(coordinates) {
                apply(&mut doc, &axis.key, axis.values[c]).map_err(|m| unlocated(axis.key.clone(), m))?;
            }
            let text = toml::to_string(&doc).expect("a TOML table always serialises");
            // The lines of the written text are not the file's: the error keeps its key only.
            return super::parse(&text, &base.path).map_err(|e| match e {
                Error::Scenario { key, message, .. } => unlocated(key, message),
                other => other,
            });
        };
        let mut tree = self.tree.clone();
        for ((axis, literals), &c) in base.axes.iter().zip(&self.literals).zip(coordinates) {
            let literal = &literals[c];
            let value = |integer: bool| -> std::result::Result<DeValue<'_>, String> {
                if !integer {
                    return Ok(literal.float.clone());
                }
                literal
                    .integer
                    .clone()
                    .ok_or_else(|| format!("`{}` takes integers; {} is not one", axis.key, axis.values[c]))
            };
            apply_tree(&mut tree, &axis.key, value).map_err(|m| unlocated(axis.key.clone(), m))?;
        }
        let slot = rayon::current_thread_index().and_then(|i| self.objectives.get(i));
        let (objective, settings) = match slot {
            Some(slot) => match slot.get() {
                Some(built) => built,
                None => {
                    let (objective, settings) = super::load::build_objective(&self.cx)?;
                    // Only this thread fills its slot, so the slot is still empty here.
                    slot.get_or_init(|| (Arc::from(objective), settings))
                }
            },
            None => shared,
        };
        let objective: Box<dyn Objective> = Box::new(SharedObjective(Arc::clone(objective)));
        let mut scenario =
            super::load::parse_tree(&self.cx, tree, (objective, settings.clone()), base.source.clone())?;
        scenario.experiment.held_out = base.held_out.clone();
        Ok(scenario)
    }
}

/// Sets `key` to the value `value(integer)` gives in the scenario's tree `tree`, as [`apply`] does in
/// a document: `integer` is true for integer keys (seed, steps, …) and where the file has an integer.
/// The value takes the span of the key it replaces (or of the table it joins), so that an error points
/// at the file's line. Only `run.*`, `init.*` and `method.<id>.*` keys (one table deep).
fn apply_tree<'a>(
    tree: &mut Spanned<DeTable<'a>>,
    key: &str,
    value: impl Fn(bool) -> std::result::Result<DeValue<'a>, String>,
) -> std::result::Result<(), String> {
    let segments: Vec<&str> = key.split('.').collect();
    let root = tree.get_mut();
    let (table, span, rest) = if segments[0] == "method" {
        let id = segments[1];
        let methods = root
            .get_mut("method")
            .and_then(|m| match m.get_mut() {
                DeValue::Array(a) => Some(a),
                _ => None,
            })
            .ok_or_else(|| format!("`{key}`: the scenario has no [[method]]"))?;
        let mut ids = Vec::new();
        let mut found = None;
        for m in methods.iter_mut() {
            let span = m.span();
            let this = m
                .get_ref()
                .get("id")
                .and_then(|v| v.get_ref().as_str())
                .unwrap_or("");
            if this == id {
                found = match m.get_mut() {
                    DeValue::Table(t) => Some((t, span)),
                    _ => None,
                };
                break;
            }
            ids.push(this.to_string());
        }
        let (table, span) = found.ok_or_else(|| {
            format!(
                "`{key}`: no method has id `{id}`; the ids are: {}",
                ids.join(", ")
            )
        })?;
        (table, span, &segments[2..])
    } else {
        let entry = root
            .get_mut(segments[0])
            .ok_or_else(|| format!("`{key}`: the scenario has no [{}] table", segments[0]))?;
        let span = entry.span();
        match entry.get_mut() {
            DeValue::Table(t) => (t, span, &segments[1..]),
            _ => {
                return Err(format!(
                    "`{key}`: `{}` is not a table in the scenario",
                    segments[0]
                ))
            }
        }
    };
    let [last] = rest else {
        return Err(format!("`{key}` is not a sweepable key; allowed: {ALLOWED_KEYS}"));
    };
    let (field, index) = split_index(last).ok_or_else(|| format!("`{key}`: bad index"))?;
    match index {
        None => {
            let slot = table.get_mut(field);
            let integer =
                INTEGER_KEYS.contains(&field) || slot.as_ref().is_some_and(|v| v.get_ref().is_integer());
            let v = value(integer)?;
            match slot {
                Some(slot) => {
                    let at = slot.span();
                    *slot = Spanned::new(at, v);
                }
                None => {
                    table.insert(
                        Spanned::new(span.clone(), field.to_string().into()),
                        Spanned::new(span, v),
                    );
                }
            }
        }
        Some(i) => {
            let list = table
                .get_mut(field)
                .and_then(|v| match v.get_mut() {
                    DeValue::Array(a) => Some(a),
                    _ => None,
                })
                .ok_or_else(|| format!("`{key}`: the scenario has no list `{field}` to index"))?;
            let len = list.len();
            let slot = list
                .get_mut(i)
                .ok_or_else(|| format!("`{key}`: index {i} is past the {len} entries of `{field}`"))?;
            let at = slot.span();
            *slot = Spanned::new(at, value(false)?);
        }
    }
    Ok(())
}
