//! `kind = "himmelblau"`: no parameters.

use super::Built;
use crate::error::Result;
use crate::objective::Himmelblau;
use crate::scenario::ctx::Ctx;
use serde::Deserialize;

/// The keys of a Himmelblau objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
}

/// Builds it.
pub fn build(_cx: &Ctx, _spec: Spec) -> Result<Built> {
    Ok((Box::new(Himmelblau), serde_json::json!({"kind": "himmelblau"})))
}
