//! The keys of the ensemble methods `sgd` and `sme`: `batch_size`, `sampling`, `seed`, `paths`, and for
//! `sme` also `order` and `substeps`.

use super::ctx::Ctx;
use crate::data::Sampling;
use crate::error::Result;
use crate::objective::Objective;
use crate::stochastic::{Minibatch, SgdSettings, SmeOrder, SmeSettings, Source};
use toml::Spanned;

/// The keys `sgd` takes besides id and kind.
pub const SGD_KEYS: [&str; 4] = ["batch_size", "sampling", "seed", "paths"];

/// The keys `sme` takes besides id and kind.
pub const SME_KEYS: [&str; 6] = ["batch_size", "sampling", "seed", "paths", "order", "substeps"];

/// At most this many paths per ensemble.
pub const MAX_PATHS: i64 = 1_000_000;

/// The default Euler–Maruyama substeps per η.
pub const DEFAULT_SUBSTEPS: u32 = 16;

/// The ensemble keys of one `[[method]]`, as read.
pub struct Keys<'a> {
    /// The method's kind, for errors about the objective.
    pub kind: &'a Spanned<String>,
    /// `batch_size`.
    pub batch_size: &'a Option<Spanned<i64>>,
    /// `sampling`.
    pub sampling: &'a Option<Spanned<String>>,
    /// `seed`.
    pub seed: &'a Option<Spanned<i64>>,
    /// `paths`.
    pub paths: &'a Option<Spanned<i64>>,
    /// `order` (sme).
    pub order: &'a Option<Spanned<i64>>,
    /// `substeps` (sme).
    pub substeps: &'a Option<Spanned<i64>>,
}

fn int(
    cx: &Ctx,
    v: &Option<Spanned<i64>>,
    key: &str,
    lo: i64,
    hi: i64,
    default: i64,
    what: &str,
) -> Result<i64> {
    match v {
        Some(s) if !(lo..=hi).contains(s.get_ref()) => Err(cx.err(
            s.span(),
            key,
            format!(
                "must be an integer from {lo} to {hi} ({what}), found {}",
                s.get_ref()
            ),
        )),
        Some(s) => Ok(*s.get_ref()),
        None => Ok(default),
    }
}

/// Checks the objective and the batch keys shared by both kinds.
fn common(cx: &Ctx, k: &Keys, i: usize, objective: &dyn Objective) -> Result<(Minibatch, u64, usize)> {
    let key = |s: &str| format!("method[{i}].{s}");
    let kind = k.kind.get_ref();
    let Some(source) = Source::of(objective) else {
        return Err(cx.err(
            k.kind.span(),
            key("kind"),
            format!(
                "`{kind}` needs stochastic gradients: a finite-sum objective (linear_regression, \
                 logistic_regression, mlp) or a noisy one (noisy_quadratic); this objective has neither"
            ),
        ));
    };
    let sampling = match k.sampling {
        Some(s) => {
            if matches!(source, Source::Noisy(_)) {
                return Err(cx.err(
                    s.span(),
                    key("sampling"),
                    "applies to finite-sum objectives only; a noisy objective draws fresh noise at every \
                     gradient (remove it)",
                ));
            }
            Sampling::from_name(s.get_ref()).ok_or_else(|| {
                cx.err(
                    s.span(),
                    key("sampling"),
                    format!(
                        "unknown sampling `{}`; allowed: {}",
                        s.get_ref(),
                        Sampling::NAMES.join(", ")
                    ),
                )
            })?
        }
        None => Sampling::WithReplacement,
    };
    let batch_size = match source {
        Source::FiniteSum(f) => {
            // A minibatch larger than the dataset is refused (with replacement too): it is almost
            // always a typo, and its index buffer is allocated up front.
            let n = f.num_samples() as i64;
            let what = format!("samples per minibatch; at most the dataset's {n} samples");
            int(cx, k.batch_size, &key("batch_size"), 1, n, 1, &what)?
        }
        Source::Noisy(_) => int(
            cx,
            k.batch_size,
            &key("batch_size"),
            1,
            1_000_000,
            1,
            "noisy-gradient draws averaged per step",
        )?,
    } as usize;
    let seed = int(cx, k.seed, &key("seed"), 0, i64::MAX, 0, "the ensemble's seed")? as u64;
    let paths = int(cx, k.paths, &key("paths"), 1, MAX_PATHS, 1, "the ensemble size M")? as usize;
    Ok((Minibatch { batch_size, sampling }, seed, paths))
}

/// Reads an `sgd` method.
pub fn sgd(cx: &Ctx, k: &Keys, i: usize, objective: &dyn Objective) -> Result<SgdSettings> {
    let (minibatch, seed, paths) = common(cx, k, i, objective)?;
    Ok(SgdSettings {
        minibatch,
        seed,
        paths,
        optimizer: None,
    })
}

/// Reads an `sme` method.
pub fn sme(cx: &Ctx, k: &Keys, i: usize, objective: &dyn Objective) -> Result<SmeSettings> {
    let (minibatch, seed, paths) = common(cx, k, i, objective)?;
    let key = |s: &str| format!("method[{i}].{s}");
    let order = match k.order {
        Some(o) if *o.get_ref() == 1 => SmeOrder::One,
        Some(o) if *o.get_ref() == 2 => SmeOrder::Two,
        Some(o) => {
            return Err(cx.err(
                o.span(),
                key("order"),
                format!("must be 1 or 2, found {}", o.get_ref()),
            ));
        }
        None => SmeOrder::One,
    };
    if let Some(s) = k.substeps {
        if *s.get_ref() == 1 {
            return Err(cx.err(
                s.span(),
                key("substeps"),
                "must be at least 2: Euler–Maruyama at dt = η is SGD with Gaussian noise (it reproduces \
                 SGD and says nothing about the SME), and its O(dt) weak error would swamp the order-2 \
                 term; use 16 (the default) or more",
            ));
        }
    }
    let substeps = int(
        cx,
        k.substeps,
        &key("substeps"),
        2,
        4096,
        i64::from(DEFAULT_SUBSTEPS),
        "Euler–Maruyama steps per η",
    )? as u32;
    Ok(SmeSettings {
        minibatch,
        order,
        substeps,
        seed,
        paths,
    })
}
