//! The `[diagnostics]` table: which post-run diagnostics to compute, with located errors.
//!
//! ```toml
//! [diagnostics.sharpness]
//! top_k = 2                 # λ_1..λ_k, plus λ_min always
//! every = 10                # every 10th recorded point (and the last)
//! exact_max_dim = 64        # exact eigendecomposition up to this d, Lanczos above
//! lanczos_iterations = 60
//! lanczos_tolerance = 1e-10
//! lambda_min = true         # Lanczos also converges λ_min (more products)
//! [diagnostics.lyapunov]
//! enabled = true
//! perturbation = 1e-7
//! [diagnostics.end_state]
//! grad_tolerance = 1e-6
//! tolerance = 1e-8
//! minimum_radius = 1e-3
//! ```

use super::ctx::Ctx;
use crate::diagnostics::end_state::EndStateSettings;
use crate::diagnostics::lyapunov::LyapunovSettings;
use crate::diagnostics::sharpness::SharpnessSettings;
use crate::diagnostics::DiagnosticsConfig;
use crate::error::Result;
use serde::Deserialize;
use toml::Spanned;

/// `[diagnostics]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiagnostics {
    sharpness: Option<RawSharpness>,
    lyapunov: Option<RawLyapunov>,
    end_state: Option<RawEndState>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSharpness {
    top_k: Option<Spanned<i64>>,
    every: Option<Spanned<i64>>,
    exact_max_dim: Option<Spanned<i64>>,
    lanczos_iterations: Option<Spanned<i64>>,
    lanczos_tolerance: Option<Spanned<f64>>,
    lambda_min: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLyapunov {
    enabled: Option<Spanned<bool>>,
    perturbation: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndState {
    grad_tolerance: Option<Spanned<f64>>,
    tolerance: Option<Spanned<f64>>,
    minimum_radius: Option<Spanned<f64>>,
}

/// An integer in `lo..=hi`, or `default` when absent.
fn int(cx: &Ctx, v: &Option<Spanned<i64>>, key: &str, lo: i64, hi: i64, default: usize) -> Result<usize> {
    match v {
        None => Ok(default),
        Some(s) => {
            let x = *s.get_ref();
            if (lo..=hi).contains(&x) {
                Ok(x as usize)
            } else {
                Err(cx.err(
                    s.span(),
                    key,
                    format!("must be an integer from {lo} to {hi}, found {x}"),
                ))
            }
        }
    }
}

fn positive(cx: &Ctx, v: &Option<Spanned<f64>>, key: &str, default: f64) -> Result<f64> {
    v.as_ref().map_or(Ok(default), |s| cx.positive(s, key))
}

/// Checks `[diagnostics]` for an objective of dimension `dim`.
pub(super) fn build(cx: &Ctx, raw: &RawDiagnostics, dim: usize) -> Result<DiagnosticsConfig> {
    let mut config = DiagnosticsConfig::default();
    if let Some(s) = &raw.sharpness {
        let d = SharpnessSettings::default();
        let top_k = int(
            cx,
            &s.top_k,
            "diagnostics.sharpness.top_k",
            1,
            dim as i64,
            d.top_k,
        )?;
        let tol = positive(
            cx,
            &s.lanczos_tolerance,
            "diagnostics.sharpness.lanczos_tolerance",
            d.lanczos_tolerance,
        )?;
        if tol >= 1.0 {
            let span = s
                .lanczos_tolerance
                .as_ref()
                .expect("only a given value can be ≥ 1")
                .span();
            return Err(cx.err(
                span,
                "diagnostics.sharpness.lanczos_tolerance",
                format!("must be below 1 (a relative residual), found {tol}"),
            ));
        }
        config.sharpness = Some(SharpnessSettings {
            top_k,
            every: int(cx, &s.every, "diagnostics.sharpness.every", 1, i64::MAX, d.every)?,
            exact_max_dim: int(
                cx,
                &s.exact_max_dim,
                "diagnostics.sharpness.exact_max_dim",
                0,
                4096,
                d.exact_max_dim,
            )?,
            lanczos_iterations: int(
                cx,
                &s.lanczos_iterations,
                "diagnostics.sharpness.lanczos_iterations",
                top_k as i64 + 1,
                10_000,
                d.lanczos_iterations,
            )?,
            lanczos_tolerance: tol,
            lambda_min: s.lambda_min.unwrap_or(d.lambda_min),
        });
    }
    if let Some(l) = &raw.lyapunov {
        let perturbation = positive(
            cx,
            &l.perturbation,
            "diagnostics.lyapunov.perturbation",
            LyapunovSettings::default().perturbation,
        )?;
        if perturbation >= 1e-2 {
            let span = l
                .perturbation
                .as_ref()
                .expect("only a given value can be large")
                .span();
            return Err(cx.err(
                span,
                "diagnostics.lyapunov.perturbation",
                format!("must be small (below 1e-2, relative to max(1, ‖θ0‖)) to measure linear growth, found {perturbation}"),
            ));
        }
        if l.enabled.as_ref().is_none_or(|e| *e.get_ref()) {
            config.lyapunov = Some(LyapunovSettings { perturbation });
        }
    }
    if let Some(e) = &raw.end_state {
        let d = EndStateSettings::default();
        config.end_state = EndStateSettings {
            grad_tolerance: positive(
                cx,
                &e.grad_tolerance,
                "diagnostics.end_state.grad_tolerance",
                d.grad_tolerance,
            )?,
            tolerance: positive(cx, &e.tolerance, "diagnostics.end_state.tolerance", d.tolerance)?,
            minimum_radius: positive(
                cx,
                &e.minimum_radius,
                "diagnostics.end_state.minimum_radius",
                d.minimum_radius,
            )?,
        };
    }
    Ok(config)
}

/// True when the file asks for sharpness samples (the `sharpness` figure needs them).
pub(super) fn has_sharpness(raw: &Option<RawDiagnostics>) -> bool {
    raw.as_ref().is_some_and(|d| d.sharpness.is_some())
}
