//! Continuous-time models: vector fields, kept apart from the solver that integrates them.

mod adaptive;
mod central;
mod custom;
mod field;
mod lanes;
mod modified;
mod momentum;
mod nesterov_ode;
mod scheduled;
mod sgd_modified;
mod solve;
mod stable;

pub use adaptive::{AdamOde, AdaptiveFlow, PreconditionedFlow, RmsPropFlow, SignFlow};
pub use central::{
    central_comparison, central_flow_counted, central_flow_watched, central_series, solve_sdcp,
    third_derivative, CentralComparison, CentralComparisonSummary, CentralFault, CentralFlow,
    CentralOptimizer, CentralPoint, CentralSeries, CentralSettings, CentralSummary, ConeFailure,
    EXACT_MAX_DIM, LANCZOS_ITERATIONS, LANCZOS_TOLERANCE, MAX_CRITICAL,
};
pub use custom::ContinuousModel;
pub use field::{GradientFlow, VectorField};
pub use lanes::{
    gradient_flow_final_lanes, gradient_flow_lanes, lanes_cover, FlowLaneEnd, LaneSample, MAX_LANE_STATE,
};
pub use modified::{third_derivative_along, ModifiedFlow, ModifiedOrder};
pub use momentum::{heavy_ball_correction, HeavyBallModifiedFlow, HeavyBallOde};
pub use nesterov_ode::NesterovOde;
pub use scheduled::solve_scheduled_watched;
pub use sgd_modified::{reshuffling_weight, SgdModifiedFlow};
pub use solve::{
    solve, solve_heap, solve_watched, Controller, SolverKind, SolverSettings, MAX_FIXED_STATE, MIN_RTOL,
};
pub use stable::{stable_flow_counted, stable_series, StableFlow, StablePoint, StableSeries, StableSettings};
