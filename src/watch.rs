//! Watching a running method: a wall-time budget, progress reports, and running on rayon's pool.

use crate::trajectory::Termination;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How a run is bounded and watched ([`run_with_options`]); the default is neither.
#[derive(Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// The wall time each method may take; one still running then ends with
    /// [`Termination::TimeLimit`], its points so far kept. `None`: no limit.
    pub max_time: Option<Duration>,
    /// Told which method is running and how far it got, at most once per [`REPORT_INTERVAL`].
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
}

/// The least wall time between two progress reports of a method.
pub const REPORT_INTERVAL: Duration = Duration::from_millis(200);

/// How far a method has got, as told to [`RunOptions::progress`].
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The method's place in the scenario, from 0.
    pub index: usize,
    /// The number of methods.
    pub count: usize,
    /// The method's id.
    pub id: &'a str,
    /// Its kind (`gd`, `gradient_flow`, …).
    pub kind: &'a str,
    /// The time reached on the method's axis (for an ensemble: by the path running).
    pub t: f64,
    /// The horizon.
    pub t_end: f64,
    /// For an ensemble: the path running (from 0) and the number of paths.
    pub path: Option<(usize, usize)>,
    /// Wall time since the method started.
    pub elapsed: Duration,
}

impl Progress<'_> {
    /// The fraction of the method's work done, in [0, 1] (an ensemble's paths run one after another).
    pub fn fraction(&self) -> f64 {
        let along = if self.t_end > 0.0 {
            (self.t / self.t_end).clamp(0.0, 1.0)
        } else {
            1.0
        };
        match self.path {
            Some((p, paths)) if paths > 0 => ((p as f64 + along) / paths as f64).min(1.0),
            _ => along,
        }
    }
}

/// A running method's clock: its budget and its progress reports.
///
/// The loops look at it every [`Watch::interval`] steps (solver steps for a flow), never at every cheap
/// step: a look reads the clock, and the interval adapts so that looks come about every
/// [`LOOK_TARGET`], at most every [`MAX_INTERVAL`] steps. An idle watch (no limit, no reports) is never
/// looked at, so an unwatched run is the run it always was.
///
/// Its state is atomic (relaxed: one thread looks at a time) so that a `&Watch` can go with the method
/// onto rayon's pool (see [`on_pool`]).
pub struct Watch<'a> {
    limit: Option<Duration>,
    report: Option<&'a (dyn Fn(&Progress) + Sync)>,
    method: Progress<'a>,
    started: Instant,
    /// Steps between two looks.
    interval: AtomicU64,
    /// When the last look was, in nanoseconds since `started`.
    last_look: AtomicU64,
    /// When the next report is due, in nanoseconds since `started`.
    next_report: AtomicU64,
    /// Set once the budget is spent, and never cleared.
    spent: AtomicBool,
    /// The bits of the time the method had reached then.
    spent_at: AtomicU64,
}

/// The wall time aimed at between two looks at a [`Watch`]: how far a method may overrun its budget.
pub const LOOK_TARGET: Duration = Duration::from_millis(20);

/// The most steps between two looks at a [`Watch`]: on W1 (200,000 steps of 2-D GD at some 8 ns each)
/// a look every 1024 steps costs 0.6% more instructions than no watch (callgrind).
pub const MAX_INTERVAL: u64 = 1024;

impl<'a> Watch<'a> {
    /// A watch that does nothing: no limit, no reports, no clock.
    pub fn idle() -> Watch<'static> {
        Watch::new(RunOptions::default(), "", "", 0, 0, 0.0)
    }

    /// The watch of method `id` (of kind `kind`, number `index` of `count`, horizon `t_end`); its clock
    /// starts now.
    pub fn new(
        options: RunOptions<'a>,
        id: &'a str,
        kind: &'a str,
        index: usize,
        count: usize,
        t_end: f64,
    ) -> Self {
        let idle = options.max_time.is_none() && options.progress.is_none();
        Watch {
            limit: options.max_time,
            report: options.progress,
            method: Progress {
                index,
                count,
                id,
                kind,
                t: 0.0,
                t_end,
                path: None,
                elapsed: Duration::ZERO,
            },
            started: Instant::now(),
            // The first look comes after one step, and the interval grows from there as steps prove cheap.
            interval: AtomicU64::new(if idle { u64::MAX } else { 1 }),
            last_look: AtomicU64::new(0),
            next_report: AtomicU64::new(0),
            spent: AtomicBool::new(false),
            spent_at: AtomicU64::new(0),
        }
    }

    /// The steps to take before the next look: `u64::MAX` for an idle watch.
    pub fn interval(&self) -> u64 {
        self.interval.load(Relaxed)
    }

    /// Looks at the clock, `interval()` steps after the last look, the method having reached time `t`
    /// (on path `path` of an ensemble): reports progress when a report is due, adapts the interval, and
    /// returns true once the budget is spent (and at every look after).
    pub fn expired(&self, t: f64, path: Option<(usize, usize)>) -> bool {
        if self.interval() == u64::MAX || self.is_spent() {
            return self.is_spent();
        }
        let elapsed = self.started.elapsed();
        let now = elapsed.as_nanos() as u64;
        self.pace(now);
        if let Some(report) = self.report {
            if now >= self.next_report.load(Relaxed) {
                self.next_report
                    .store(now + REPORT_INTERVAL.as_nanos() as u64, Relaxed);
                report(&Progress {
                    t,
                    path,
                    elapsed,
                    ..self.method
                });
            }
        }
        if self.limit.is_some_and(|limit| elapsed >= limit) {
            self.spent_at.store(t.to_bits(), Relaxed);
            self.spent.store(true, Relaxed);
        }
        self.is_spent()
    }

    /// Sets the interval so that the next look comes about [`LOOK_TARGET`] after this one (`now`), from
    /// the pace of the steps since the last: at most doubling, so one cheap stretch cannot push the next
    /// look far past the target.
    fn pace(&self, now: u64) {
        let since = now.saturating_sub(self.last_look.swap(now, Relaxed)).max(1);
        let steps = self.interval();
        let fit = (steps as u128 * LOOK_TARGET.as_nanos() / since as u128) as u64;
        self.interval
            .store(fit.clamp(1, (2 * steps).min(MAX_INTERVAL)), Relaxed);
    }

    /// True once a look has found the budget spent (without reading the clock).
    pub fn is_spent(&self) -> bool {
        self.spent.load(Relaxed)
    }

    /// [`Termination::TimeLimit`] at the time reached when the budget ran out; `None` while it has not.
    pub fn termination(&self) -> Option<Termination> {
        Some(Termination::TimeLimit {
            t: f64::from_bits(self.spent_at.load(Relaxed)),
            limit_seconds: self.limit.filter(|_| self.is_spent())?.as_secs_f64(),
        })
    }
}

/// Runs `f` on a thread of rayon's global pool, or right here when this thread already is one.
///
/// An objective that splits each gradient over the pool (the mlp's chunks) called from outside it hands
/// every gradient over to the pool and sleeps until it is done: a wake-up there and back per gradient
/// (9% of a single-threaded W2 run in a profile). Called from a pool thread, the caller works on one
/// chunk itself and the others are stolen by idle workers. The arithmetic, and so every result, is the
/// same either way.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        f()
    } else {
        rayon::scope(|_| f())
    }
}
