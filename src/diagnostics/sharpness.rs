//! Sharpness: the top-k and smallest Hessian eigenvalues along a run. The eigensolver (exact below a
//! dimension threshold, warm-started Lanczos above) lives in [`crate::objective::spectrum`], a layer below,
//! so that the central flow's vector field shares it; this module names it for the diagnostics.

pub use crate::objective::spectrum::{Eigensolver, SharpnessSettings, Spectrum};
