//! Order-of-accuracy studies: run one scenario at several step sizes η on a fixed horizon and fit, for each
//! comparison, the log–log slope of its maximum distance against η. A discrete method that follows a
//! continuous model to O(η^p) shows slope p.

use crate::error::{Error, Location, Result};
use crate::experiment::Experiment;
pub use crate::formats::order::{OrderFit, OrderStudy, ORDER_JSON};
use crate::outdir::Claim;
use crate::outspec::{ImageFormat, DEFAULT_FIGURE};
use crate::render;
use crate::scenario::{check_budget, load};
use crate::trajectory::{TimeGrid, TimeMap};
use std::path::Path;

fn usage(path: &Path, message: String) -> Error {
    Error::Scenario {
        location: Location {
            file: path.to_path_buf(),
            line: None,
            column: None,
        },
        key: "--step-sizes".to_string(),
        message,
    }
}

/// The time map the horizon is kept on: √η when every method runs on it, η otherwise.
fn study_map(s: &Experiment) -> TimeMap {
    if !s.methods.is_empty() && s.methods.iter().all(|m| m.kind.time_map() == TimeMap::SqrtEta) {
        TimeMap::SqrtEta
    } else {
        TimeMap::Eta
    }
}

/// Least-squares line through (ln x, ln y): (slope, intercept).
pub fn loglog_fit(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    if x.len() < 2 || x.len() != y.len() {
        return None;
    }
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some((slope, my - slope * mx))
}

/// Runs the scenario at `path` once per step size, each time with `run.step_size = η`, steps scaled so
/// the horizon stays that of the file (t_end = steps·η, or steps·√η when every method runs on k·√η),
/// and every step recorded; then fits each comparison's maximum distance against η.
///
/// Refuses (as bad input) fewer than two step sizes, non-positive or repeated ones, and step sizes that do
/// not divide the horizon into a whole number of steps (to 1e-9 relative).
pub fn order_study(path: &Path, step_sizes: &[f64]) -> Result<OrderStudy> {
    let base = load(path)?;
    let (source, text) = (base.source().to_path_buf(), base.text().to_string());
    let mut experiment = base.experiment;
    if step_sizes.len() < 2 {
        return Err(usage(
            path,
            "give at least two step sizes (four or more for a reliable slope)".into(),
        ));
    }
    if let Some(bad) = step_sizes.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
        return Err(usage(
            path,
            format!("step sizes must be finite and > 0, found {bad}"),
        ));
    }
    let mut sorted = step_sizes.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(usage(path, "step sizes must be distinct".into()));
    }
    if experiment.comparisons.is_empty() {
        return Err(usage(
            path,
            "the scenario has no [[compare]]; an order study fits the comparisons' distances".into(),
        ));
    }
    if experiment.grid.schedule.is_some() || experiment.methods.iter().any(|m| m.own_grid.is_some()) {
        return Err(usage(
            path,
            "the scenario has a learning-rate schedule ([run] schedule or a method's schedule); an order study \
             varies one constant η"
                .into(),
        ));
    }
    let map = study_map(&experiment);
    let t_end = experiment.grid.with_time_map(map).t_end();
    let mut steps = Vec::with_capacity(step_sizes.len());
    for &eta in step_sizes {
        let unit = map.unit(eta);
        let k = (t_end / unit).round();
        if k < 1.0 || (k * unit - t_end).abs() > 1e-9 * t_end || k > u64::MAX as f64 {
            return Err(usage(
                path,
                format!(
                    "η = {eta} does not divide the horizon t_end = {t_end} into whole steps (t_end/{} = {}); \
                     choose step sizes that divide it",
                    if map == TimeMap::Eta { "η" } else { "√η" },
                    t_end / unit
                ),
            ));
        }
        steps.push(k as u64);
    }

    let mut fits: Vec<OrderFit> = experiment
        .comparisons
        .iter()
        .map(|c| OrderFit {
            a: c.a.clone(),
            b: c.b.clone(),
            max_distances: Vec::new(),
            completed: Vec::new(),
            points_used: 0,
            slope: None,
            intercept: None,
        })
        .collect();
    // Every step size's run is checked against the memory and work budgets before the first one starts:
    // the smallest η records the most points.
    let grids: Vec<TimeGrid> = step_sizes
        .iter()
        .zip(&steps)
        .map(|(&eta, &k)| TimeGrid::new(eta, k, 1))
        .collect();
    for grid in &grids {
        experiment.grid = grid.clone();
        check_budget(&experiment, &source, &text)?;
    }
    // One experiment, its grid changed between runs: the objective is built once.
    for grid in grids {
        experiment.grid = grid;
        let report = experiment.run();
        for (fit, c) in fits.iter_mut().zip(&report.comparisons) {
            let done = |id: &str| {
                report
                    .method(id)
                    .is_some_and(|m| !m.trajectory.termination.stopped_early())
            };
            fit.max_distances.push(c.max_distance);
            fit.completed.push(done(&c.a) && done(&c.b));
        }
        experiment = report.experiment;
    }
    for fit in &mut fits {
        let (x, y): (Vec<f64>, Vec<f64>) = step_sizes
            .iter()
            .zip(&fit.max_distances)
            .zip(&fit.completed)
            .filter(|((_, d), ok)| **ok && d.is_finite() && **d > 0.0)
            .map(|((h, d), _)| (*h, *d))
            .unzip();
        fit.points_used = x.len();
        if let Some((slope, intercept)) = loglog_fit(&x, &y) {
            fit.slope = Some(slope);
            fit.intercept = Some(intercept);
        }
    }
    Ok(OrderStudy {
        scenario: experiment.name.clone(),
        source: path.to_path_buf(),
        t_end,
        time_map: map,
        step_sizes: step_sizes.to_vec(),
        steps,
        comparisons: fits,
    })
}

/// Writes `study` as `dir/order.json`. Returns the path written.
pub fn write_order(study: &OrderStudy, dir: &Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join(ORDER_JSON);
    crate::formats::write_json(&path, study)?;
    Ok(path)
}

/// Writes `study` (order.json, then its figures in PNG and SVG) into a folder claimed before the study
/// ran: all of it appears at once, or, on a failure such as a full disk, none of it. Returns the files
/// written, order.json first.
pub fn write_study(study: &OrderStudy, claim: Claim) -> Result<Vec<std::path::PathBuf>> {
    let dir = claim.staging();
    let both = [ImageFormat::Png, ImageFormat::Svg];
    let written = write_order(study, dir)
        .and_then(|json| {
            let mut files = vec![json];
            files.extend(render::draw_order(study, dir, &both, &DEFAULT_FIGURE)?);
            Ok(files)
        })
        .map_err(|e| claim.relocate(e))?;
    claim.commit(written)
}
