//! Gradient flows of many starts at once: ode_solvers' dopri5 or dop853 advanced for `L` starts of a small
//! state (`D` ≤ [`MAX_LANE_STATE`] coordinates) in structure-of-arrays lanes, for basin maps.
//!
//! [`solve`](super::solve) spends most of a 2-D flow's time in ode_solvers' per-step machinery (copies of
//! the state and the stages, dense output, the controller), not in the gradient. Here the stages of all
//! lanes are one loop over lanes the compiler vectorises, with the objective's
//! [`Objective::gradient_lanes`]; everything per start (its step size h, error norm, accept/reject,
//! sampling, termination) stays per lane, so each lane takes exactly the steps `solve` takes for that start.
//! A lane that finishes takes the next start from the queue, as [`crate::discrete::gd_final_lanes`] does
//! for GD. One lane loop serves both solvers; what differs (stages, error norm, controller constants,
//! initial-step order, step budget comparison, dense output) is a `Scheme`.
//!
//! Every lane performs the operations of ode_solvers 0.6.2's `Dopri5` or `Dop853` (and of the `Rescaled`
//! system `solve` hands it) in the same order: Hairer's initial-step rule, the stages with the same
//! tableau, the error norm (dop853's two, combined as Hairer does), the controller with `solve`'s constants
//! (dopri5: safety 0.9, β = 0.04, fac_min 0.2, fac_max 10; dop853: 0.9, β = 0, 0.333, 6), the dense
//! output's interpolant at the integer times s = t/Δ (dop853's three extra stages included), `solve`'s
//! pace guard, and the named terminations. With no FMA contraction in Rust, the final points, samples,
//! step counts and terminations equal `solve`'s bit for bit (tests/it/flow_lanes.rs). Two differences,
//! neither in a result: a start stops at the first recorded point that diverges (`solve` integrates on
//! and then discards the samples past it, so its counts are larger there), and a run is not watched (no
//! wall-time budget), since a batch of starts is not one method's run.
//!
//! The loop over steps does not allocate: stages, controller state and dense output live in fixed arrays.

use super::solve::{pace_stalls, SolverKind, SolverSettings, MIN_RTOL};
use crate::objective::{norm, Objective};
use crate::trajectory::{RunStats, SolverFailure, Termination, TimeGrid};

/// The largest state (coordinates) the lane integrator takes: [`super::MAX_FIXED_STATE`]'s bound.
pub const MAX_LANE_STATE: usize = 8;

/// Dormand–Prince 5(4) as ode_solvers 0.6.2 writes it (`butcher_tableau::dopri54`): stage rows, nodes,
/// the dense output's d and the error estimate's e (zeros included: ode_solvers adds those terms too,
/// and an added ±0 can flip the sign of a zero).
mod dopri54 {
    pub const A: [&[f64]; 6] = [
        &[1.0 / 5.0],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
        ],
        &[
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
        &[
            35.0 / 384.0,
            0.0,
            500.0 / 1113.0,
            125.0 / 192.0,
            -2187.0 / 6784.0,
            11.0 / 84.0,
        ],
    ];
    pub const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
    pub const D: [f64; 7] = [
        -12715105075.0 / 11282082432.0,
        0.0,
        87487479700.0 / 32700410799.0,
        -10690763975.0 / 1880347072.0,
        701980252875.0 / 199316789632.0,
        -1453857185.0 / 822651844.0,
        69997945.0 / 29380423.0,
    ];
    pub const E: [f64; 7] = [
        71.0 / 57600.0,
        0.0,
        -71.0 / 16695.0,
        71.0 / 1920.0,
        -17253.0 / 339200.0,
        22.0 / 525.0,
        -1.0 / 40.0,
    ];
}

/// Dormand–Prince 8(5,3) as ode_solvers 0.6.2 writes it (`butcher_tableau::dopri853`), digits as there:
/// the stage rows a(2, ·) … a(16, ·) (row 13 unused, all zero), b, bhh, the nodes c, the dense output's
/// d(4 … 7, ·) and the error estimate's e (only its first 12 are used).
#[allow(clippy::excessive_precision)]
mod dopri853 {
    pub const A: [&[f64]; 15] = [
        &[5.26001519587677318785587544488E-2],
        &[
            1.97250569845378994544595329183E-2,
            5.91751709536136983633785987549E-2,
        ],
        &[
            2.95875854768068491816892993775E-2,
            0.0,
            8.87627564304205475450678981324E-2,
        ],
        &[
            2.41365134159266685502369798665E-1,
            0.0,
            -8.84549479328286085344864962717E-1,
            9.24834003261792003115737966543E-1,
        ],
        &[
            3.7037037037037037037037037037E-2,
            0.0,
            0.0,
            1.70828608729473871279604482173E-1,
            1.25467687566822425016691814123E-1,
        ],
        &[
            3.7109375E-2,
            0.0,
            0.0,
            1.70252211019544039314978060272E-1,
            6.02165389804559606850219397283E-2,
            -1.7578125E-2,
        ],
        &[
            3.70920001185047927108779319836E-2,
            0.0,
            0.0,
            1.70383925712239993810214054705E-1,
            1.07262030446373284651809199168E-1,
            -1.53194377486244017527936158236E-2,
            8.27378916381402288758473766002E-3,
        ],
        &[
            6.24110958716075717114429577812E-1,
            0.0,
            0.0,
            -3.36089262944694129406857109825E0,
            -8.68219346841726006818189891453E-1,
            2.75920996994467083049415600797E1,
            2.01540675504778934086186788979E1,
            -4.34898841810699588477366255144E1,
        ],
        &[
            4.77662536438264365890433908527E-1,
            0.0,
            0.0,
            -2.48811461997166764192642586468E0,
            -5.90290826836842996371446475743E-1,
            2.12300514481811942347288949897E1,
            1.52792336328824235832596922938E1,
            -3.32882109689848629194453265587E1,
            -2.03312017085086261358222928593E-2,
        ],
        &[
            -9.3714243008598732571704021658E-1,
            0.0,
            0.0,
            5.18637242884406370830023853209E0,
            1.09143734899672957818500254654E0,
            -8.14978701074692612513997267357E0,
            -1.85200656599969598641566180701E1,
            2.27394870993505042818970056734E1,
            2.49360555267965238987089396762E0,
            -3.0467644718982195003823669022E0,
        ],
        &[
            2.27331014751653820792359768449E0,
            0.0,
            0.0,
            -1.05344954667372501984066689879E1,
            -2.00087205822486249909675718444E0,
            -1.79589318631187989172765950534E1,
            2.79488845294199600508499808837E1,
            -2.85899827713502369474065508674E0,
            -8.87285693353062954433549289258E0,
            1.23605671757943030647266201528E1,
            6.43392746015763530355970484046E-1,
        ],
        &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        &[
            5.61675022830479523392909219681E-2,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            2.53500210216624811088794765333E-1,
            -2.46239037470802489917441475441E-1,
            -1.24191423263816360469010140626E-1,
            1.5329179827876569731206322685E-1,
            8.20105229563468988491666602057E-3,
            7.56789766054569976138603589584E-3,
            -8.298E-3,
        ],
        &[
            3.18346481635021405060768473261E-2,
            0.0,
            0.0,
            0.0,
            0.0,
            2.83009096723667755288322961402E-2,
            5.35419883074385676223797384372E-2,
            -5.49237485713909884646569340306E-2,
            0.0,
            0.0,
            -1.08347328697249322858509316994E-4,
            3.82571090835658412954920192323E-4,
            -3.40465008687404560802977114492E-4,
            1.41312443674632500278074618366E-1,
        ],
        &[
            -4.28896301583791923408573538692E-1,
            0.0,
            0.0,
            0.0,
            0.0,
            -4.69762141536116384314449447206E0,
            7.68342119606259904184240953878E0,
            4.06898981839711007970213554331E0,
            3.56727187455281109270669543021E-1,
            0.0,
            0.0,
            0.0,
            -1.39902416515901462129418009734E-3,
            2.9475147891527723389556272149E0,
            -9.15095847217987001081870187138E0,
        ],
    ];
    pub const B: [f64; 12] = [
        5.42937341165687622380535766363E-2,
        0.0,
        0.0,
        0.0,
        0.0,
        4.45031289275240888144113950566E0,
        1.89151789931450038304281599044E0,
        -5.8012039600105847814672114227E0,
        3.1116436695781989440891606237E-1,
        -1.52160949662516078556178806805E-1,
        2.01365400804030348374776537501E-1,
        4.47106157277725905176885569043E-2,
    ];
    pub const BHH: [f64; 3] = [
        0.244094488188976377952755905512E+00,
        0.733846688281611857341361741547E+00,
        0.220588235294117647058823529412E-01,
    ];
    pub const C: [f64; 16] = [
        0.0,
        0.526001519587677318785587544488E-01,
        0.789002279381515978178381316732E-01,
        0.118350341907227396726757197510E+00,
        0.281649658092772603273242802490E+00,
        0.333333333333333333333333333333E+00,
        0.25E+00,
        0.307692307692307692307692307692E+00,
        0.651282051282051282051282051282E+00,
        0.6E+00,
        0.857142857142857142857142857142E+00,
        0.0,
        0.0,
        0.1E+00,
        0.2E+00,
        0.777777777777777777777777777778E+00,
    ];
    pub const D: [[f64; 16]; 4] = [
        [
            -0.84289382761090128651353491142E+01,
            0.0,
            0.0,
            0.0,
            0.0,
            0.56671495351937776962531783590E+00,
            -0.30689499459498916912797304727E+01,
            0.23846676565120698287728149680E+01,
            0.21170345824450282767155149946E+01,
            -0.87139158377797299206789907490E+00,
            0.22404374302607882758541771650E+01,
            0.63157877876946881815570249290E+00,
            -0.88990336451333310820698117400E-01,
            0.18148505520854727256656404962E+02,
            -0.91946323924783554000451984436E+01,
            -0.44360363875948939664310572000E+01,
        ],
        [
            0.10427508642579134603413151009E+02,
            0.0,
            0.0,
            0.0,
            0.0,
            0.24228349177525818288430175319E+03,
            0.16520045171727028198505394887E+03,
            -0.37454675472269020279518312152E+03,
            -0.22113666853125306036270938578E+02,
            0.77334326684722638389603898808E+01,
            -0.30674084731089398182061213626E+02,
            -0.93321305264302278729567221706E+01,
            0.15697238121770843886131091075E+02,
            -0.31139403219565177677282850411E+02,
            -0.93529243588444783865713862664E+01,
            0.35816841486394083752465898540E+02,
        ],
        [
            0.19985053242002433820987653617E+02,
            0.0,
            0.0,
            0.0,
            0.0,
            -0.38703730874935176555105901742E+03,
            -0.18917813819516756882830838328E+03,
            0.52780815920542364900561016686E+03,
            -0.11573902539959630126141871134E+02,
            0.68812326946963000169666922661E+01,
            -0.10006050966910838403183860980E+01,
            0.77771377980534432092869265740E+00,
            -0.27782057523535084065932004339E+01,
            -0.60196695231264120758267380846E+02,
            0.84320405506677161018159903784E+02,
            0.11992291136182789328035130030E+02,
        ],
        [
            -0.25693933462703749003312586129E+02,
            0.0,
            0.0,
            0.0,
            0.0,
            -0.15418974869023643374053993627E+03,
            -0.23152937917604549567536039109E+03,
            0.35763911791061412378285349910E+03,
            0.93405324183624310003907691704E+02,
            -0.37458323136451633156875139351E+02,
            0.10409964950896230045147246184E+03,
            0.29840293426660503123344363579E+02,
            -0.43533456590011143754432175058E+02,
            0.96324553959188282948394950600E+02,
            -0.39177261675615439165231486172E+02,
            -0.14972683625798562581422125276E+03,
        ],
    ];
    pub const E: [f64; 16] = [
        0.1312004499419488073250102996E-01,
        0.0,
        0.0,
        0.0,
        0.0,
        -0.1225156446376204440720569753E+01,
        -0.4957589496572501915214079952E+00,
        0.1664377182454986536961530415E+01,
        -0.3503288487499736816886487290E+00,
        0.3341791187130174790297318841E+00,
        0.8192320648511571246570742613E-01,
        -0.2235530786388629525884427845E-01,
        0.0,
        0.0,
        0.0,
        0.0,
    ];
}

/// One recorded point of one start, handed to the caller's sink as it is produced.
#[derive(Debug, Clone, Copy)]
pub struct LaneSample<'a, const D: usize> {
    /// The start's index in the slice of starts.
    pub start: usize,
    /// The recorded point's index j (t = j·Δ); 0 is the initial point.
    pub j: u64,
    /// θ there.
    pub theta: &'a [f64; D],
    /// L(θ).
    pub loss: f64,
    /// |∇L(θ)|.
    pub grad_norm: f64,
}

/// How one start's flow ended: its last recorded point, why it ended, and the solver's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLaneEnd<const D: usize> {
    /// θ at the last recorded point (at t_end when the run completed).
    pub theta: [f64; D],
    /// The recorded points kept (j = 0 … `recorded` − 1), as `solve`'s trajectory length.
    pub recorded: u64,
    /// As [`solve`](super::solve) names it.
    pub termination: Termination,
    /// Evaluations, accepted and rejected steps, as `solve` counts them (wall time and HVPs are 0).
    pub stats: RunStats,
}

/// True when [`gradient_flow_lanes`] integrates a flow with these settings on this state size the way
/// `solve` does: dopri5 or dop853 with its own controller, and at most [`MAX_LANE_STATE`] coordinates.
pub fn lanes_cover(settings: &SolverSettings, dim: usize) -> bool {
    matches!(settings.solver, SolverKind::Dopri5 | SolverKind::Dop853)
        && settings.effective_controller() == settings.solver.default_controller()
        && (1..=MAX_LANE_STATE).contains(&dim)
}

/// The gradient flow θ' = −∇L(θ) from each of `starts` over `grid`, as [`solve`](super::solve) with
/// `GradientFlow` and dopri5 or dop853 integrates it, `L` starts at a time. `bounds[i]` is start i's
/// divergence bound. Each recorded point is handed to `sink` as it is produced (in no particular order
/// across starts, in order within one); the returned ends are in the order of `starts`.
///
/// Panics when `settings` is not an adaptive solver ([`lanes_cover`]), when `D` exceeds
/// [`MAX_LANE_STATE`], when the objective's dimension is not `D`, or when `bounds` and `starts` differ in
/// length.
pub fn gradient_flow_lanes<O: Objective, const D: usize, const L: usize>(
    objective: &O,
    starts: &[[f64; D]],
    bounds: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
    sink: impl FnMut(LaneSample<'_, D>),
) -> Vec<FlowLaneEnd<D>> {
    assert!(
        lanes_cover(settings, D),
        "the lane integrator runs dopri5 or dop853 on d ≤ 8"
    );
    assert_eq!(objective.dim(), D, "the objective's dimension is the lanes' D");
    assert_eq!(starts.len(), bounds.len(), "one divergence bound per start");
    let problem = Problem {
        objective,
        grid,
        settings,
        n: grid.intervals(),
        spacing: grid.spacing(),
    };
    if settings.solver == SolverKind::Dop853 {
        run::<O, Dop853Lanes, D, L>(&problem, starts, bounds, sink)
    } else {
        run::<O, Dopri5Lanes, D, L>(&problem, starts, bounds, sink)
    }
}

/// [`gradient_flow_lanes`] keeping only each start's end (the basin map's need).
pub fn gradient_flow_final_lanes<O: Objective, const D: usize, const L: usize>(
    objective: &O,
    starts: &[[f64; D]],
    bounds: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
) -> Vec<FlowLaneEnd<D>> {
    gradient_flow_lanes::<O, D, L>(objective, starts, bounds, grid, settings, |_| {})
}

/// The lane loop, one for both schemes: refill idle lanes, check each lane before its attempt, run the
/// scheme's stages for all lanes, then each lane's error and controller, the scheme's dense output for
/// the lanes that accepted, and each accepted lane's samples and ending.
fn run<O: Objective, S: Scheme, const D: usize, const L: usize>(
    problem: &Problem<'_, O>,
    starts: &[[f64; D]],
    bounds: &[f64],
    mut sink: impl FnMut(LaneSample<'_, D>),
) -> Vec<FlowLaneEnd<D>> {
    let mut ends: Vec<Option<FlowLaneEnd<D>>> = vec![None; starts.len()];
    let mut queue = 0..starts.len();
    let mut lanes = Lanes::<D, L>::new();
    // Starts that need no integration (n = 0, an unreachable tolerance, a diverged θ₀) end while loading.
    for l in 0..L {
        lanes.fill::<O, S>(l, problem, starts, bounds, &mut queue, &mut ends, &mut sink);
    }
    while lanes.any_active() {
        for l in 0..L {
            while lanes.active[l] {
                match lanes.before_step::<O, S>(l, problem) {
                    Ok(()) => break,
                    Err(failure) => {
                        lanes.fail(l, problem, failure, &mut ends);
                        lanes.fill::<O, S>(l, problem, starts, bounds, &mut queue, &mut ends, &mut sink);
                    }
                }
            }
        }
        if !lanes.any_active() {
            break;
        }
        S::stages(&mut lanes, problem);
        let mut any = false;
        for l in 0..L {
            lanes.accept[l] = lanes.active[l] && lanes.control::<O, S>(l, problem);
            any |= lanes.accept[l];
        }
        if !any {
            continue;
        }
        S::dense(&mut lanes, problem);
        for l in 0..L {
            if lanes.accept[l] && lanes.advance::<O, S>(l, problem, bounds, &mut ends, &mut sink) {
                lanes.fill::<O, S>(l, problem, starts, bounds, &mut queue, &mut ends, &mut sink);
            }
        }
    }
    ends.into_iter().map(|e| e.expect("every start ends")).collect()
}

/// What every lane shares.
struct Problem<'a, O> {
    objective: &'a O,
    grid: &'a TimeGrid,
    settings: &'a SolverSettings,
    /// Recorded intervals N; samples at s = 0 … N.
    n: u64,
    /// Δ: s = t/Δ.
    spacing: f64,
}

impl<O: Objective> Problem<'_, O> {
    /// The integration's end in s: a little past the last sample, as in `solve`.
    fn s_end(&self) -> f64 {
        self.n as f64 + 1.0 / 64.0
    }

    /// `solve`'s rescaled gradient flow at one point, dy = (−∇L(y))·Δ; false when dy is not finite.
    fn field<const D: usize>(&self, y: &[f64; D], dy: &mut [f64; D]) -> bool {
        self.objective.gradient(y, dy);
        let mut finite = true;
        for v in dy.iter_mut() {
            *v = -*v * self.spacing;
            finite &= v.is_finite();
        }
        finite
    }

    /// The rescaled field at every lane's `y` into `k`: `solve`'s dy = (−∇L(y))·Δ, one
    /// `gradient_lanes` call. A lane in `counted` whose value is not finite marks solver time `at[l]`
    /// (the time `solve`'s system would be called at) as its first non-finite point if earlier.
    // Index loops over lanes: the form the compiler turns into SIMD across the lanes' arrays.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn field_lanes<const D: usize, const L: usize>(
        &self,
        y: &[[f64; L]; D],
        k: &mut [[f64; L]; D],
        counted: &[bool; L],
        at: [f64; L],
        first_non_finite: &mut [f64; L],
    ) {
        let mut g = [[0.0; L]; D];
        self.objective.gradient_lanes(y, &mut g);
        let mut finite = [true; L];
        for i in 0..D {
            for l in 0..L {
                let v = -g[i][l] * self.spacing;
                k[i][l] = v;
                finite[l] &= v.is_finite();
            }
        }
        for l in 0..L {
            if !finite[l] && counted[l] && at[l] < first_non_finite[l] {
                first_non_finite[l] = at[l];
            }
        }
    }

    /// Why recorded point `j` at `theta` ends the run, as `solve`'s recording loop words it, or `None`
    /// (then its loss and gradient norm).
    fn check(&self, j: u64, theta: &[f64], bound: f64, grad: &mut [f64]) -> Result<(f64, f64), Termination> {
        let k = self.grid.step_of(j);
        let t = self.grid.time_of_step(k);
        let loss = self.objective.loss_gradient(theta, grad);
        let finite = theta.iter().all(|v| v.is_finite()) && loss.is_finite();
        if !finite || loss.abs() > bound {
            let reason = if finite {
                format!(
                    "|loss| = {:.3e} exceeded the divergence bound {bound:.3e}",
                    loss.abs()
                )
            } else {
                "the state became non-finite".to_string()
            };
            return Err(Termination::Diverged { step: k, t, reason });
        }
        Ok((loss, norm(grad)))
    }
}

/// Stage slots: dop853's 12 (dopri5 uses the first 7).
const STAGES: usize = 12;
/// Dense output coefficients: dop853's 8 (dopri5 uses the first 5).
const DENSE: usize = 8;

/// What differs between ode_solvers' `Dopri5` and `Dop853` as `solve` configures them: the stages and
/// the error norm, the controller's constants, the initial step's order, the step budget's comparison,
/// and the dense output. Everything else (the lane loop, the controller's formula, Hairer's initial
/// step rule, sampling, terminations) is shared.
trait Scheme {
    /// The controller as `solve` sets it (`integrate_adaptive`): safety factor, β, fac_min, fac_max,
    /// and ode_solvers' α (from β).
    const SAFETY: f64;
    const BETA: f64;
    const FAC_MIN: f64;
    const FAC_MAX: f64;
    const ALPHA: f64;
    /// The exponent of Hairer's initial step guess, 1/(order + 1).
    const INIT_EXPONENT: f64;
    /// True when `n_step` attempts exhaust a budget of `max_steps` (the two solvers compare differently).
    fn out_of_steps(n_step: u32, max_steps: u32) -> bool;
    /// One attempt of every lane from (x, y, k₁) with its h: the stages into `k`, the new solution into
    /// `y_next`, and the evaluations counted.
    fn stages<O: Objective, const D: usize, const L: usize>(lanes: &mut Lanes<D, L>, p: &Problem<'_, O>);
    /// Lane `l`'s error norm of its attempt (≤ 1 accepts).
    fn error<const D: usize, const L: usize>(lanes: &Lanes<D, L>, l: usize, rtol: f64, atol: f64) -> f64;
    /// For every lane in `accept`: the dense output coefficients of its step into `rcont`, the next
    /// step's first stage into k₁ and the new solution into y (evaluations included).
    fn dense<O: Objective, const D: usize, const L: usize>(lanes: &mut Lanes<D, L>, p: &Problem<'_, O>);
    /// Lane `l`'s dense output at θ ∈ [0, 1] of its last step (θ1 = 1 − θ), coordinate `i`.
    fn interpolate<const D: usize, const L: usize>(
        lanes: &Lanes<D, L>,
        l: usize,
        i: usize,
        theta: f64,
        theta1: f64,
    ) -> f64;
}

/// ode_solvers' `Dopri5` with `solve`'s controller (safety 0.9, β = 0.04, fac_min 0.2, fac_max 10).
struct Dopri5Lanes;

impl Scheme for Dopri5Lanes {
    const SAFETY: f64 = 0.9;
    const BETA: f64 = 0.04;
    const FAC_MIN: f64 = 0.2;
    const FAC_MAX: f64 = 10.0;
    const ALPHA: f64 = 0.2 - Self::BETA * 0.75;
    const INIT_EXPONENT: f64 = 1.0 / 5.0;

    fn out_of_steps(n_step: u32, max_steps: u32) -> bool {
        n_step > max_steps
    }

    /// Stages 2 … 7 of every lane with its own h: one loop over lanes per coefficient, one
    /// `gradient_lanes` call per stage.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn stages<O: Objective, const D: usize, const L: usize>(lanes: &mut Lanes<D, L>, p: &Problem<'_, O>) {
        for s in 1..7 {
            let row = dopri54::A[s - 1];
            for i in 0..D {
                let mut v = lanes.y[i];
                for (j, &a) in row.iter().enumerate() {
                    for l in 0..L {
                        v[l] += (lanes.k[j][i][l] * lanes.h[l]) * a;
                    }
                }
                lanes.y_next[i] = v;
            }
            let at = std::array::from_fn(|l| lanes.x[l] + lanes.h[l] * dopri54::C[s]);
            p.field_lanes(
                &lanes.y_next,
                &mut lanes.k[s],
                &lanes.active,
                at,
                &mut lanes.first_non_finite,
            );
        }
        for l in 0..L {
            lanes.evals[l] += 6;
        }
    }

    fn error<const D: usize, const L: usize>(lanes: &Lanes<D, L>, l: usize, rtol: f64, atol: f64) -> f64 {
        use dopri54::E;
        let h = lanes.h[l];
        let mut err = 0.0;
        for i in 0..D {
            let [k0, _, k2, k3, k4, k5, k6] = [0, 1, 2, 3, 4, 5, 6].map(|s| lanes.k[s][i][l]);
            let e = (k0 * E[0] + k2 * E[2] + k3 * E[3] + k4 * E[4] + k5 * E[5] + k6 * E[6]) * h;
            let sc = atol + lanes.y[i][l].abs().max(lanes.y_next[i][l].abs()) * rtol;
            err += (e / sc) * (e / sc);
        }
        (err / D as f64).sqrt()
    }

    fn dense<O: Objective, const D: usize, const L: usize>(lanes: &mut Lanes<D, L>, _: &Problem<'_, O>) {
        use dopri54::D as DD;
        for l in (0..L).filter(|&l| lanes.accept[l]) {
            let h = lanes.h[l];
            for i in 0..D {
                let [k0, _, k2, k3, k4, k5, k6] = [0, 1, 2, 3, 4, 5, 6].map(|s| lanes.k[s][i][l]);
                let rcont4 =
                    (k0 * DD[0] + k2 * DD[2] + k3 * DD[3] + k4 * DD[4] + k5 * DD[5] + k6 * DD[6]) * h;
                let (y, y_next) = (lanes.y[i][l], lanes.y_next[i][l]);
                let ydiff = y_next - y;
                let bspl = k0 * h - ydiff;
                let rcont3 = -k6 * h + ydiff - bspl;
                lanes.rcont[0][i][l] = y;
                lanes.rcont[1][i][l] = ydiff;
                lanes.rcont[2][i][l] = bspl;
                lanes.rcont[3][i][l] = rcont3;
                lanes.rcont[4][i][l] = rcont4;
                lanes.k[0][i][l] = k6;
                lanes.y[i][l] = y_next;
            }
        }
    }

    fn interpolate<const D: usize, const L: usize>(
        lanes: &Lanes<D, L>,
        l: usize,
        i: usize,
        theta: f64,
        theta1: f64,
    ) -> f64 {
        let r = |c: usize| lanes.rcont[c][i][l];
        r(0) + (r(1) + (r(2) + (r(3) + r(4) * theta1) * theta) * theta1) * theta
    }
}

/// One of dop853's three extra stages for its dense output: its terms as (stage slot, column of a), its
/// row of a, and the slot it is evaluated into.
type ExtraStage = (&'static [(usize, usize)], usize, usize);

/// ode_solvers' `Dop853` with `solve`'s controller (safety 0.9, β = 0, fac_min 0.333, fac_max 6). The
/// stage slots follow ode_solvers' `k` array, which it reuses: after the stages k₂, k₃ hold stages 11
/// and 12, k₄ the 8th-order increment and k₅ the new solution; on acceptance k₄ becomes f at the new
/// point and k₁₀, k₂, k₃ the dense output's three extra stages.
struct Dop853Lanes;

impl Scheme for Dop853Lanes {
    const SAFETY: f64 = 0.9;
    const BETA: f64 = 0.0;
    const FAC_MIN: f64 = 0.333;
    const FAC_MAX: f64 = 6.0;
    const ALPHA: f64 = 1.0 / 8.0 - Self::BETA * 0.2;
    const INIT_EXPONENT: f64 = 0.125;

    fn out_of_steps(n_step: u32, max_steps: u32) -> bool {
        n_step >= max_steps
    }

    /// Stages 2 … 12 of every lane (each term k_j·(h·a) as ode_solvers forms it, zeros included), then
    /// the 8th-order increment and solution.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn stages<O: Objective, const D: usize, const L: usize>(lanes: &mut Lanes<D, L>, p: &Problem<'_, O>) {
        use dopri853::{A, B, C};
        for s in 1..12 {
            let row = A[s - 1];
            for i in 0..D {
                let mut v = lanes.y[i];
                for (j, &a) in row.iter().enumerate() {
                    for l in 0..L {
                        v[l] += lanes.k[j][i][l] * (lanes.h[l] * a);
                    }
                }
                lanes.y_next[i] = v;
            }
            let at = std::array::from_fn(|l| lanes.x[l] + lanes.h[l] * C[s]);
            p.field_lanes(
                &lanes.y_next,
                &mut lanes.k[s],
                &lanes.active,
                at,
                &mut lanes.first_non_finite,
            );
        }
        let k = &mut lanes.k;
        for i in 0..D {
            for l in 0..L {
                k[1][i][l] = k[10][i][l];
                k[2][i][l] = k[11][i][l];
                let b = k[0][i][l] * B[0]
                    + k[5][i][l] * B[5]
                    + k[6][i][l] * B[6]
                    + k[7][i][l] * B[7]
                    + k[8][i][l] * B[8]
                    + k[9][i][l] * B[9]
                    + k[1][i][l] * B[10]
                    + k[2][i][l] * B[11];
                k[3][i][l] = b;
                k[4][i][l] = lanes.y[i][l] + b * lanes.h[l];
                lanes.y_next[i][l] = k[4][i][l];
            }
        }
        for l in 0..L {
            lanes.evals[l] += 11;
        }
    }

    /// ode_solvers' two error norms (the 5th-order estimate and the 3rd-order bhh one), combined as
    /// Hairer's DOP853 does.
    fn error<const D: usize, const L: usize>(lanes: &Lanes<D, L>, l: usize, rtol: f64, atol: f64) -> f64 {
        use dopri853::{BHH, E};
        let k = |s: usize, i: usize| lanes.k[s][i][l];
        let (mut err, mut err2) = (0.0, 0.0);
        for i in 0..D {
            let mut est = 0.0;
            for (s, &e) in E.iter().enumerate().take(STAGES) {
                est += k(s, i) * e;
            }
            let bhh = k(3, i) - k(0, i) * BHH[0] - k(8, i) * BHH[1] - k(2, i) * BHH[2];
            let sc = atol + lanes.y[i][l].abs().max(k(4, i).abs()) * rtol;
            err += (est / sc) * (est / sc);
            err2 += (bhh / sc) * (bhh / sc);
        }
        let mut deno = err + 0.01 * err2;
        if deno <= 0.0 {
            deno = 1.0;
        }
        lanes.h[l].abs() * err * (1.0 / (deno * D as f64)).sqrt()
    }

    /// f at the new point (the next step's k₁), the dense coefficients from the 12 stages, the three
    /// extra stages and the coefficients' completion: computed for every lane in one pass per stage (a
    /// lane that rejected its attempt gets values it never reads: its k₁, y and x are left as they were),
    /// and counted for the accepting lanes.
    #[allow(clippy::needless_range_loop)]
    fn dense<O: Objective, const D: usize, const L: usize>(lanes: &mut Lanes<D, L>, p: &Problem<'_, O>) {
        use dopri853::{A, C, D as DD};
        let accept = lanes.accept;
        let h = lanes.h;
        let x = lanes.x;
        let y_new = lanes.k[4];
        p.field_lanes(
            &y_new,
            &mut lanes.k[3],
            &accept,
            std::array::from_fn(|l| x[l] + h[l]),
            &mut lanes.first_non_finite,
        );
        let k = &lanes.k;
        for i in 0..D {
            for l in 0..L {
                let y = lanes.y[i][l];
                let ydiff = k[4][i][l] - y;
                let bspl = k[0][i][l] * h[l] - ydiff;
                lanes.rcont[0][i][l] = y;
                lanes.rcont[1][i][l] = ydiff;
                lanes.rcont[2][i][l] = bspl;
                lanes.rcont[3][i][l] = ydiff - k[3][i][l] * h[l] - bspl;
                for r in 4..DENSE {
                    let mut acc = 0.0;
                    for j in 0..STAGES {
                        acc += k[j][i][l] * DD[r - 4][j];
                    }
                    lanes.rcont[r][i][l] = acc;
                }
            }
        }
        // The extra stages 14, 15, 16 into k₁₀, k₂, k₃: y + (Σ k·a)·h over the terms ode_solvers writes,
        // as (slot, column of a) pairs (slots 1, 2 and 9 hold stages 11, 12 and 14 by then).
        let extra: [ExtraStage; 3] = [
            (
                &[(0, 0), (6, 6), (7, 7), (8, 8), (9, 9), (1, 10), (2, 11), (3, 12)],
                12,
                9,
            ),
            (
                &[(0, 0), (5, 5), (6, 6), (7, 7), (1, 10), (2, 11), (3, 12), (9, 13)],
                13,
                1,
            ),
            (
                &[(0, 0), (5, 5), (6, 6), (7, 7), (8, 8), (3, 12), (9, 13), (1, 14)],
                14,
                2,
            ),
        ];
        for (terms, row, into) in extra {
            let mut y_stage = [[0.0; L]; D];
            for i in 0..D {
                for l in 0..L {
                    let (j0, c0) = terms[0];
                    let mut sum = lanes.k[j0][i][l] * A[row][c0];
                    for &(j, c) in &terms[1..] {
                        sum += lanes.k[j][i][l] * A[row][c];
                    }
                    y_stage[i][l] = lanes.y[i][l] + sum * h[l];
                }
            }
            let at = std::array::from_fn(|l| x[l] + h[l] * C[row + 1]);
            p.field_lanes(
                &y_stage,
                &mut lanes.k[into],
                &accept,
                at,
                &mut lanes.first_non_finite,
            );
        }
        let k = &lanes.k;
        for r in 4..DENSE {
            let d = &DD[r - 4];
            for i in 0..D {
                for l in 0..L {
                    let c = lanes.rcont[r][i][l];
                    lanes.rcont[r][i][l] = (c
                        + k[3][i][l] * d[12]
                        + k[9][i][l] * d[13]
                        + k[1][i][l] * d[14]
                        + k[2][i][l] * d[15])
                        * h[l];
                }
            }
        }
        for l in (0..L).filter(|&l| accept[l]) {
            lanes.evals[l] += 4;
            for i in 0..D {
                lanes.k[0][i][l] = lanes.k[3][i][l];
                lanes.y[i][l] = lanes.k[4][i][l];
            }
        }
    }

    fn interpolate<const D: usize, const L: usize>(
        lanes: &Lanes<D, L>,
        l: usize,
        i: usize,
        theta: f64,
        theta1: f64,
    ) -> f64 {
        let r = |c: usize| lanes.rcont[c][i][l];
        r(0) + (r(1)
            + (r(2) + (r(3) + (r(4) + (r(5) + (r(6) + r(7) * theta) * theta1) * theta) * theta1) * theta)
                * theta1)
            * theta
    }
}

/// `L` starts in flight: their states, stages and controllers, lane by lane.
struct Lanes<const D: usize, const L: usize> {
    active: [bool; L],
    /// The start each lane integrates.
    start: [usize; L],
    y: [[f64; L]; D],
    /// The stages (slots as the scheme uses them; dopri5's k₇ = f(x + h, y_next) is the next step's k₁:
    /// FSAL).
    k: [[[f64; L]; D]; STAGES],
    /// A stage's point during the stages, the new solution after them.
    y_next: [[f64; L]; D],
    /// The dense output's coefficients of the last accepted step.
    rcont: [[[f64; L]; D]; DENSE],
    x: [f64; L],
    x_old: [f64; L],
    h: [f64; L],
    h_old: [f64; L],
    /// The step the controller proposes after an accepted attempt.
    h_new: [f64; L],
    /// This attempt was accepted.
    accept: [bool; L],
    /// The controller's memory: the last accepted error (≥ 1e-4), and whether the last step was rejected.
    fac_old: [f64; L],
    reject: [bool; L],
    /// This attempt ends at s_end.
    last: [bool; L],
    /// Attempts so far (ode_solvers' n_step).
    n_step: [u32; L],
    /// The pace guard's window start (s, attempts), as `solve`'s.
    mark: [(f64, u64); L],
    /// The next dense output time, an integer s.
    next_j: [u64; L],
    /// The first s at which the field was not finite (∞: never).
    first_non_finite: [f64; L],
    evals: [u64; L],
    accepted: [u64; L],
    rejected: [u64; L],
    /// The last recorded point and how many were recorded.
    theta: [[f64; D]; L],
    recorded: [u64; L],
}

impl<const D: usize, const L: usize> Lanes<D, L> {
    fn new() -> Self {
        Lanes {
            active: [false; L],
            start: [0; L],
            y: [[0.0; L]; D],
            k: [[[0.0; L]; D]; STAGES],
            y_next: [[0.0; L]; D],
            rcont: [[[0.0; L]; D]; DENSE],
            x: [0.0; L],
            x_old: [0.0; L],
            h: [0.0; L],
            h_old: [0.0; L],
            h_new: [0.0; L],
            accept: [false; L],
            fac_old: [0.0; L],
            reject: [false; L],
            last: [false; L],
            n_step: [0; L],
            mark: [(0.0, 0); L],
            next_j: [0; L],
            first_non_finite: [f64::INFINITY; L],
            evals: [0; L],
            accepted: [0; L],
            rejected: [0; L],
            theta: [[0.0; D]; L],
            recorded: [0; L],
        }
    }

    fn any_active(&self) -> bool {
        self.active.iter().any(|&a| a)
    }

    /// Loads the next start that needs integrating into lane `l` (ending on the way those that need
    /// none), or leaves the lane idle when the queue is empty. Runs `solve`'s set-up: the recorded
    /// initial point, the tolerance check, and Hairer's initial step (two evaluations) and k₁ (one more).
    #[allow(clippy::too_many_arguments)]
    fn fill<O: Objective, S: Scheme>(
        &mut self,
        l: usize,
        p: &Problem<'_, O>,
        starts: &[[f64; D]],
        bounds: &[f64],
        queue: &mut std::ops::Range<usize>,
        ends: &mut [Option<FlowLaneEnd<D>>],
        sink: &mut impl FnMut(LaneSample<'_, D>),
    ) {
        self.active[l] = false;
        let mut grad = [0.0; D];
        for i in queue.by_ref() {
            let y0 = starts[i];
            let end = |termination| FlowLaneEnd {
                theta: y0,
                recorded: 1,
                termination,
                stats: RunStats::default(),
            };
            let (loss, grad_norm) = match p.check(0, &y0, bounds[i], &mut grad) {
                Ok(v) => v,
                Err(diverged) => {
                    ends[i] = Some(FlowLaneEnd {
                        recorded: 0,
                        ..end(diverged)
                    });
                    continue;
                }
            };
            sink(LaneSample {
                start: i,
                j: 0,
                theta: &y0,
                loss,
                grad_norm,
            });
            if p.settings.rtol <= MIN_RTOL {
                let failure = SolverFailure::ToleranceUnreachable;
                ends[i] = Some(end(Termination::SolverFailed {
                    failure,
                    t: 0.0,
                    advice: failure.advice().to_string(),
                }));
                continue;
            }
            if p.n == 0 {
                ends[i] = Some(end(Termination::Completed));
                continue;
            }
            self.load::<O, S>(l, i, &y0, p);
            return;
        }
    }

    /// Starts lane `l` on start `i` at `y0`: ode_solvers' `hinit` and first stage.
    fn load<O: Objective, S: Scheme>(&mut self, l: usize, i: usize, y0: &[f64; D], p: &Problem<'_, O>) {
        let (rtol, atol) = (p.settings.rtol, p.settings.atol);
        let h_max = p.s_end().abs();
        let mut first_non_finite = f64::INFINITY;
        let mut f0 = [0.0; D];
        if !p.field(y0, &mut f0) {
            first_non_finite = 0.0;
        }
        let (mut d0, mut d1) = (0.0, 0.0);
        for i in 0..D {
            let sci = atol + y0[i].abs() * rtol;
            d0 += (y0[i] / sci) * (y0[i] / sci);
            d1 += (f0[i] / sci) * (f0[i] / sci);
        }
        let tol = 1.0e-10;
        let mut h0 = if d0 < tol || d1 < tol {
            1.0e-6
        } else {
            0.01 * (d0 / d1).sqrt()
        };
        h0 = h0.min(h_max).abs();
        let mut y1 = [0.0; D];
        for i in 0..D {
            y1[i] = y0[i] + f0[i] * h0;
        }
        let mut f1 = [0.0; D];
        if !p.field(&y1, &mut f1) && h0 < first_non_finite {
            first_non_finite = h0;
        }
        let mut d2 = 0.0;
        for i in 0..D {
            let sci = atol + y0[i].abs() * rtol;
            d2 += ((f1[i] - f0[i]) / sci) * ((f1[i] - f0[i]) / sci);
        }
        d2 = d2.sqrt() / h0;
        let h1 = if d1.sqrt().max(d2.abs()) <= 1.0e-15 {
            1.0e-6_f64.max(h0.abs() * 1.0e-3)
        } else {
            (0.01 / (d1.sqrt().max(d2))).powf(S::INIT_EXPONENT)
        };
        let h = (100.0 * h0.abs()).min(h1.min(h_max)).abs();
        // k₁ = f(x₀, y₀), which ode_solvers evaluates again: the same bits as f0, counted.
        for i in 0..D {
            self.y[i][l] = y0[i];
            self.k[0][i][l] = f0[i];
        }
        self.active[l] = true;
        self.start[l] = i;
        self.x[l] = 0.0;
        self.x_old[l] = 0.0;
        self.h[l] = h;
        self.h_old[l] = h;
        self.fac_old[l] = 1.0e-4;
        self.reject[l] = false;
        self.last[l] = false;
        self.n_step[l] = 0;
        self.mark[l] = (0.0, 0);
        self.next_j[l] = 0;
        self.first_non_finite[l] = first_non_finite;
        self.evals[l] = 3;
        self.accepted[l] = 0;
        self.rejected[l] = 0;
        self.theta[l] = *y0;
        self.recorded[l] = 1;
    }

    /// ode_solvers' checks before an attempt (step budget, step underflow) and its last-step rule.
    fn before_step<O: Objective, S: Scheme>(
        &mut self,
        l: usize,
        p: &Problem<'_, O>,
    ) -> Result<(), SolverFailure> {
        if S::out_of_steps(self.n_step[l], p.settings.max_steps) {
            return Err(SolverFailure::MaxStepsReached);
        }
        if 0.1 * self.h[l].abs() <= f64::EPSILON * self.x[l].abs() {
            return Err(SolverFailure::StepSizeUnderflow);
        }
        let s_end = p.s_end();
        if self.x[l] + 1.01 * self.h[l] - s_end > 0.0 {
            self.h[l] = s_end - self.x[l];
            self.last[l] = true;
        }
        self.n_step[l] += 1;
        Ok(())
    }

    /// Ends lane `l`'s start with a solver failure at its current s, named as `solve` names it.
    fn fail<O: Objective>(
        &mut self,
        l: usize,
        p: &Problem<'_, O>,
        failure: SolverFailure,
        ends: &mut [Option<FlowLaneEnd<D>>],
    ) {
        let t = self.x[l] * p.spacing;
        let s_bad = self.first_non_finite[l];
        let blew_up = s_bad.is_finite() && s_bad * p.spacing <= t + p.spacing;
        let termination = if blew_up {
            Termination::Diverged {
                step: p.grid.step_of(self.recorded[l] - 1),
                t,
                reason: format!("the vector field became non-finite near t = {t:.6e} ({failure:?})"),
            }
        } else {
            Termination::SolverFailed {
                failure,
                t,
                advice: failure.advice().to_string(),
            }
        };
        // `solve` takes no rejected count from a failed run, but for the pace guard's stop (a normal exit
        // of ode_solvers, with its counts) and for running out of steps (the attempts that were not
        // accepted, from the count ode_solvers' error carries).
        match failure {
            SolverFailure::Stalled => {}
            SolverFailure::MaxStepsReached => {
                self.rejected[l] = u64::from(self.n_step[l]).saturating_sub(self.accepted[l]);
            }
            _ => self.rejected[l] = 0,
        }
        self.finish(l, termination, ends);
    }

    fn finish(&mut self, l: usize, termination: Termination, ends: &mut [Option<FlowLaneEnd<D>>]) {
        self.active[l] = false;
        ends[self.start[l]] = Some(FlowLaneEnd {
            theta: self.theta[l],
            recorded: self.recorded[l],
            termination,
            stats: RunStats {
                grad_evals: self.evals[l],
                accepted_steps: self.accepted[l],
                rejected_steps: self.rejected[l],
                ..RunStats::default()
            },
        });
    }

    /// Lane `l`'s error norm and ode_solvers' `Controller::accept` with the scheme's constants: true
    /// when the attempt is accepted (its next step is then in `h_new`); on rejection the retry's h is set.
    fn control<O: Objective, S: Scheme>(&mut self, l: usize, p: &Problem<'_, O>) -> bool {
        let err = S::error(self, l, p.settings.rtol, p.settings.atol);
        let h = self.h[l];
        let (facc1, facc2) = (1.0 / S::FAC_MIN, 1.0 / S::FAC_MAX);
        let fac11 = err.powf(S::ALPHA);
        let mut fac = fac11 * self.fac_old[l].powf(-S::BETA);
        fac = facc2.max(facc1.min(fac / S::SAFETY));
        let mut h_new = h / fac;
        if err > 1.0 || err.is_nan() {
            self.h[l] = h / facc1.min(fac11 / S::SAFETY);
            self.reject[l] = true;
            self.last[l] = false;
            if self.accepted[l] >= 1 {
                self.rejected[l] += 1;
            }
            return false;
        }
        self.fac_old[l] = err.max(1.0e-4);
        let h_max = p.s_end().abs();
        if h_new.abs() > h_max {
            h_new = h_max;
        }
        if self.reject[l] {
            h_new = h_new.abs().min(h.abs());
        }
        self.reject[l] = false;
        self.accepted[l] += 1;
        self.h_new[l] = h_new;
        true
    }

    /// Lane `l` after an accepted attempt (its dense output computed): advances x, records the
    /// integer s the step covered and ends the start when it diverged or reached s_end; true when its
    /// start has ended.
    fn advance<O: Objective, S: Scheme>(
        &mut self,
        l: usize,
        p: &Problem<'_, O>,
        bounds: &[f64],
        ends: &mut [Option<FlowLaneEnd<D>>],
        sink: &mut impl FnMut(LaneSample<'_, D>),
    ) -> bool {
        let h = self.h[l];
        self.x_old[l] = self.x[l];
        self.x[l] += h;
        self.h_old[l] = h;
        // Dense output at every integer s the step covered (s = 0 is the initial point, recorded).
        while self.next_j[l] as f64 <= self.x[l] {
            let xd = self.next_j[l] as f64;
            let j = self.next_j[l];
            self.next_j[l] += 1;
            if j == 0 || j > p.n {
                continue;
            }
            let theta = (xd - self.x_old[l]) / self.h_old[l];
            let theta1 = 1.0 - theta;
            let out: [f64; D] = std::array::from_fn(|i| S::interpolate(self, l, i, theta, theta1));
            let start = self.start[l];
            let mut grad = [0.0; D];
            match p.check(j, &out, bounds[start], &mut grad) {
                Ok((loss, grad_norm)) => {
                    self.theta[l] = out;
                    self.recorded[l] = j + 1;
                    sink(LaneSample {
                        start,
                        j,
                        theta: &out,
                        loss,
                        grad_norm,
                    });
                }
                Err(diverged) => {
                    self.finish(l, diverged, ends);
                    return true;
                }
            }
        }
        // `solve`'s pace guard, at the step's end (not at an integer s, where it cannot tell a dopri5 step
        // from a dense output point).
        let s_end = p.s_end();
        let max_steps = u64::from(p.settings.max_steps);
        let attempts = u64::from(self.n_step[l]);
        if self.x[l].fract() != 0.0 && pace_stalls(&mut self.mark[l], self.x[l], attempts, s_end, max_steps) {
            self.fail(l, p, SolverFailure::Stalled, ends);
            return true;
        }
        if self.last[l] {
            self.finish(l, Termination::Completed, ends);
            return true;
        }
        self.h[l] = self.h_new[l];
        false
    }
}
