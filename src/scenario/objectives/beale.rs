//! `kind = "beale"`: no parameters (the function is 2-D).

use super::Built;
use crate::error::Result;
use crate::objective::Beale;
use crate::scenario::ctx::Ctx;
use serde::Deserialize;

/// The keys of a Beale objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
}

/// Builds it.
pub fn build(_cx: &Ctx, _spec: Spec) -> Result<Built> {
    Ok((Box::new(Beale), serde_json::json!({"kind": "beale"})))
}
