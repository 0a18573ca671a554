//! The `flowgap` command line: parse flags once into a checked request, call the library, map errors
//! to exit codes (0 success, 1 failure of the machine, 2 bad input).

use clap::{Parser, Subcommand};
use flowgap::golden::{self, Outcome};
use flowgap::render::style::fmt_num; // times in significant digits: 1e-5, not 0.0000
use flowgap::{experiment, order, outdir, output, scenario, sweep, Error};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Prints a line to stdout; a closed pipe (`flowgap check | head`) ends the program quietly instead of
/// panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

#[derive(Parser)]
#[command(
    name = "flowgap",
    version,
    about = "Discrete training versus its continuous-time models: run both, measure the gap, draw it"
)]
struct Cli {
    /// Folder of named scenarios (default: ./scenarios, else the one shipped with flowgap).
    #[arg(long, global = true, value_name = "DIR")]
    scenarios: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the named scenarios with their one-line descriptions.
    List,
    /// Run a scenario (a name from `flowgap list`, or a path to a .toml file) and write its outputs.
    Run {
        /// Scenario name or path.
        scenario: String,
        /// Output folder (default: output/<name>/).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace another scenario's (or command's) output in the output folder.
        #[arg(long)]
        force: bool,
        /// Wall time each method may take, in seconds; a method still running then stops with
        /// termination `time_limit`, and everything it recorded is written as for any early stop.
        #[arg(long, value_name = "SECONDS", value_parser = parse_max_time, allow_negative_numbers = true)]
        max_time: Option<std::time::Duration>,
        /// No progress line.
        #[arg(long)]
        quiet: bool,
        /// Figure style in place of the scenario's `[output] style`: screen, paper (3.25 in) or
        /// paper_wide (6.75 in); a paper style also drops the titles.
        #[arg(long, value_name = "STYLE", value_parser = parse_style)]
        style: Option<flowgap::outspec::FigureStyle>,
    },
    /// Run a scenario at several step sizes on its horizon and fit each comparison's order (log–log slope
    /// of the maximum distance against η); writes order.json, order.png and order.svg.
    Order {
        /// Scenario name or path.
        scenario: String,
        /// The step sizes η, comma-separated (e.g. 4e-3,2e-3,1e-3,5e-4); each must divide the horizon.
        #[arg(long, value_name = "ETAS", value_delimiter = ',', required = true)]
        step_sizes: Vec<f64>,
        /// Output folder for order.json (default: output/<name>-order/).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace another scenario's (or command's) output in the output folder.
        #[arg(long)]
        force: bool,
    },
    /// Redraw the figures of a finished run from its saved files (scenario.toml, trajectories/), without
    /// running it again.
    Plot {
        /// The run's output folder.
        dir: PathBuf,
        /// Figures to draw, comma-separated (default: the scenario's `[output] figures`).
        #[arg(long, value_name = "NAMES", value_delimiter = ',', value_parser = parse_figure)]
        figures: Option<Vec<flowgap::outspec::FigureKind>>,
        /// Formats, comma-separated: png, svg (default: the scenario's `[output] formats`).
        #[arg(long, value_name = "FORMATS", value_delimiter = ',', value_parser = parse_format)]
        formats: Option<Vec<flowgap::outspec::ImageFormat>>,
        /// Redraw in this style in place of the saved `[output] style`: screen, paper (3.25 in) or
        /// paper_wide (6.75 in); a paper style also drops the titles.
        #[arg(long, value_name = "STYLE", value_parser = parse_style)]
        style: Option<flowgap::outspec::FigureStyle>,
    },
    /// Run scenarios and compare them with their golden files (`golden/<name>.json` beside each scenario).
    Check {
        /// Scenario names or paths (default: every named scenario).
        #[arg(value_name = "NAME|PATH")]
        names: Vec<String>,
        /// Write or update the golden files from this run, and say what changed.
        #[arg(long)]
        bless: bool,
    },
    /// Run a scenario over a grid of settings (its [sweep] axes and --grid flags) in parallel: one row per
    /// run in sweep.csv, counts in summary.json, aggregate figures. See docs/sweeps.md.
    Sweep(SweepArgs),
    /// Join the parts of a sharded sweep (`--shard i/N` runs) into the output a single run gives.
    Merge {
        /// The parts' output folders, every shard once, any order.
        #[arg(value_name = "PART_DIR", required = true)]
        parts: Vec<PathBuf>,
        /// Output folder.
        #[arg(long, value_name = "DIR", required = true)]
        out: PathBuf,
        /// Replace another scenario's sweep in the output folder.
        #[arg(long)]
        force: bool,
    },
}

/// `flowgap sweep`'s flags.
#[derive(clap::Args)]
struct SweepArgs {
    /// Scenario name or path.
    scenario: String,
    /// An axis: key=v1,v2,… or key=lo:hi:n or key=lo:hi:n:log (replaces the file's axis of that key).
    #[arg(long, value_name = "KEY=VALUES")]
    grid: Vec<String>,
    /// Worker threads (default and at most: the machine's cores); the output does not depend on it.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Run only part i of N (0 ≤ i < N): the runs whose index is i mod N.
    #[arg(long, value_name = "i/N")]
    shard: Option<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Output folder (default: output/<name>-sweep/, or …-shard-i-of-N/ with --shard).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace another scenario's sweep in the output folder.
    #[arg(long)]
    force: bool,
}

/// A figure name for `plot --figures`.
fn parse_figure(name: &str) -> Result<flowgap::outspec::FigureKind, String> {
    flowgap::outspec::FigureKind::from_name(name).ok_or_else(|| {
        format!(
            "unknown figure `{name}`; allowed: {}",
            flowgap::outspec::FigureKind::NAMES.join(", ")
        )
    })
}

/// A wall-time budget for `run --max-time`: a finite number of seconds above zero.
fn parse_max_time(text: &str) -> Result<std::time::Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("must be a finite number of seconds above 0, not {text}"));
    }
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// The progress line of `flowgap run` on stderr: a bar over the running method's horizon; `None` with
/// `--quiet` or when stderr is not a terminal (pipes and tests see nothing).
fn run_progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed:>4} {bar:20} {msg}")
            .expect("a fixed template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

/// The progress line's text: `2/3 flow (gradient_flow): t = 1.25 / 10` (with `, path 4/100` for an
/// ensemble).
fn progress_message(p: &experiment::Progress) -> String {
    let path = p
        .path
        .map_or(String::new(), |(i, n)| format!(", path {}/{n}", i + 1));
    format!(
        "{}/{} {} ({}){path}: t = {:.2} / {}",
        p.index + 1,
        p.count,
        p.id,
        p.kind,
        p.t,
        p.t_end
    )
}

/// An image format for `plot --formats`.
fn parse_format(name: &str) -> Result<flowgap::outspec::ImageFormat, String> {
    flowgap::outspec::ImageFormat::from_name(name).ok_or_else(|| {
        format!(
            "unknown format `{name}`; allowed: {}",
            flowgap::outspec::ImageFormat::NAMES.join(", ")
        )
    })
}

fn parse_style(name: &str) -> Result<flowgap::outspec::FigureStyle, String> {
    flowgap::outspec::FigureStyle::from_name(name).ok_or_else(|| {
        format!(
            "unknown style `{name}`; allowed: {}",
            flowgap::outspec::FigureStyle::NAMES.join(", ")
        )
    })
}

fn scenarios_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let local = PathBuf::from("scenarios");
        if local.is_dir() {
            local
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_bad_input() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// Runs the command; `Ok(false)` means it ran but found a failure (a check that missed).
fn execute(cli: Cli) -> Result<bool, Error> {
    let dir = scenarios_dir(cli.scenarios);
    match cli.command {
        Command::List => {
            let entries = scenario::list(&dir)?;
            let width = entries.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, description) in entries {
                say!("{name:width$}  {description}");
            }
            Ok(true)
        }
        Command::Run {
            scenario: which,
            out,
            force,
            max_time,
            quiet,
            style,
        } => {
            let path = scenario::resolve(&dir, &which)?;
            let scenario = scenario::load(&path)?;
            // A single run ignores the [sweep] table, but a mistake in it is still the file's mistake:
            // say so now rather than at the first `flowgap sweep`.
            scenario::sweep::read(scenario.text(), &path)?;
            let out = out.unwrap_or_else(|| Path::new("output").join(&scenario.experiment.name));
            // Claimed before the run, so that an occupied folder is refused before any work.
            let claim = outdir::Claim::new(&out, outdir::Kind::Run, &scenario.experiment.name, force)?;
            exit_clean_on_ctrl_c(&claim);
            let bar = run_progress_bar(quiet);
            let show = |p: &experiment::Progress| {
                if let Some(bar) = &bar {
                    bar.set_position((p.fraction() * 1000.0) as u64);
                    bar.set_message(progress_message(p));
                }
            };
            let options = experiment::RunOptions {
                max_time,
                progress: bar
                    .is_some()
                    .then_some(&show as &(dyn Fn(&experiment::Progress) + Sync)),
            };
            let (experiment, mut spec) = scenario.into_parts();
            if let Some(style) = style {
                spec.figure.style = style;
                spec.figure.title = style == flowgap::outspec::FigureStyle::Screen;
            }
            let report = experiment.run_with_options(options);
            if let Some(bar) = &bar {
                bar.set_message("writing outputs");
            }
            let written = output::write_claimed(&report, &spec, claim);
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            let files = written?;
            for m in &report.methods {
                let t = &m.trajectory;
                say!(
                    "{:<16} {:<14} {:<13} t_end={:<10} loss={:.6e}",
                    m.id,
                    m.kind,
                    t.termination.name(),
                    fmt_num(t.t_end()),
                    t.final_loss()
                );
            }
            for c in &report.comparisons {
                let departure = c
                    .departure_time
                    .map_or("never".to_string(), |t| format!("t={}", fmt_num(t)));
                say!(
                    "{} vs {}: max distance {:.3e} at t={}, final {:.3e}, departs (>{:.0e}) {departure}",
                    c.a,
                    c.b,
                    c.max_distance,
                    fmt_num(c.t_max_distance),
                    c.final_distance,
                    c.tolerance
                );
            }
            say!("wrote {} files to {}", files.len(), out.display());
            Ok(true)
        }
        Command::Order {
            scenario: which,
            step_sizes,
            out,
            force,
        } => {
            let path = scenario::resolve(&dir, &which)?;
            let name = scenario::load(&path)?.experiment.name;
            let out = out.unwrap_or_else(|| Path::new("output").join(format!("{name}-order")));
            let claim = outdir::Claim::new(&out, outdir::Kind::Order, &name, force)?;
            exit_clean_on_ctrl_c(&claim);
            let study = order::order_study(&path, &step_sizes)?;
            let files = order::write_study(&study, claim)?;
            for fit in &study.comparisons {
                let slope = fit.slope.map_or("—".to_string(), |s| format!("{s:.3}"));
                let distances: Vec<String> = fit.max_distances.iter().map(|d| format!("{d:.3e}")).collect();
                say!(
                    "{} vs {}: slope {slope} over {} of {} step sizes; max distances {}",
                    fit.a,
                    fit.b,
                    fit.points_used,
                    study.step_sizes.len(),
                    distances.join(", ")
                );
            }
            for f in files {
                say!("wrote {}", f.display());
            }
            Ok(true)
        }
        Command::Plot {
            dir: run_dir,
            figures,
            formats,
            style,
        } => {
            let files =
                flowgap::replot::replot_in_style(&run_dir, figures.as_deref(), formats.as_deref(), style)?;
            say!(
                "redrew {} files in {}",
                files.len(),
                run_dir.join("figures").display()
            );
            Ok(true)
        }
        Command::Check { names, bless } => check(&dir, names, bless),
        Command::Sweep(args) => run_sweep(&dir, args),
        Command::Merge { parts, out, force } => {
            let files = sweep::merge(&parts, &out, force)?;
            say!(
                "merged {} parts: wrote {} files to {}",
                parts.len(),
                files.len(),
                out.display()
            );
            Ok(true)
        }
    }
}

/// On Ctrl-C, removes what `claim` put beside the output folder and exits 130: a stopped run or order
/// study leaves the previous output as it was and nothing else.
fn exit_clean_on_ctrl_c(claim: &outdir::Claim) {
    let leftovers = claim.leftovers();
    let _ = ctrlc::set_handler(move || {
        outdir::remove_leftovers(&leftovers);
        std::process::exit(130);
    });
}

/// Set by Ctrl-C: a sweep starts no new run and keeps the finished rows.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn run_sweep(dir: &Path, args: SweepArgs) -> Result<bool, Error> {
    use std::io::IsTerminal;
    let shard = match &args.shard {
        Some(s) => sweep::Shard::parse(s)?,
        None => sweep::Shard::WHOLE,
    };
    let path = scenario::resolve(dir, &args.scenario)?;
    let plan = sweep::Plan::new(&path, &args.grid)?;
    shard.check(plan.runs())?;
    let out = args.out.unwrap_or_else(|| {
        let leaf = match args.shard {
            Some(_) => format!("{}-sweep-shard-{}-of-{}", plan.name, shard.index, shard.count),
            None => format!("{}-sweep", plan.name),
        };
        Path::new("output").join(leaf)
    });
    let claim = outdir::Claim::new(&out, outdir::Kind::Sweep, &plan.name, args.force)?;
    // More threads than cores only add switching (the output does not depend on the number).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cores).clamp(1, cores);
    if args.jobs.is_some_and(|j| j > cores) {
        eprintln!(
            "note: --jobs {} is more than this machine's {cores} cores; using {cores}",
            args.jobs.unwrap_or(0)
        );
    }
    // A second Ctrl-C while finishing still ends the process the usual way only if the handler is not
    // set; here every Ctrl-C just asks to stop, and the sweep stops after the runs in flight.
    let _ = ctrlc::set_handler(|| STOP.store(true, std::sync::atomic::Ordering::SeqCst));
    let options = sweep::Options {
        jobs,
        shard,
        progress: !args.quiet && std::io::stderr().is_terminal(),
    };
    let outcome = sweep::run_sweep_claimed(&plan, claim, options, &STOP)?;
    if outcome.interrupted {
        eprintln!(
            "interrupted: kept {} of {} rows in {}; run the sweep again for the rest",
            outcome.rows,
            outcome.planned,
            out.join(sweep::TABLE).display()
        );
        std::process::exit(130);
    }
    say!(
        "{} runs: wrote {} files to {}",
        outcome.rows,
        outcome.files.len(),
        out.display()
    );
    Ok(true)
}

/// `flowgap check`: runs each scenario and compares it with its golden file. A scenario whose golden
/// file is unusable is reported and the others still checked; the first such error then ends the
/// command as bad input (exit 2).
fn check(dir: &Path, names: Vec<String>, bless: bool) -> Result<bool, Error> {
    let paths = if names.is_empty() {
        scenario::list(dir)?
            .into_iter()
            .map(|(name, _)| scenario::named_path(dir, &name))
            .collect()
    } else {
        names
            .iter()
            .map(|n| scenario::resolve(dir, n))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut all_passed = true;
    let mut unusable = None;
    for path in paths {
        let scenario = scenario::load(&path)?;
        let name = scenario.experiment.name.clone();
        let report = scenario.experiment.run();
        match golden::check(&path, &report, bless) {
            Ok(Outcome::Passed) => say!("ok      {name}"),
            Ok(Outcome::Failed(misses)) => {
                all_passed = false;
                say!("FAILED  {name}: {}", golden::headline(&misses));
                for line in golden::explain(&misses) {
                    say!("        {line}");
                }
            }
            Ok(Outcome::Blessed(None)) => say!(
                "blessed {name}: new golden file {}",
                golden::path_for(&path).display()
            ),
            Ok(Outcome::Blessed(Some(changes))) if changes.is_empty() => {
                say!("blessed {name}: unchanged")
            }
            Ok(Outcome::Blessed(Some(changes))) => {
                say!("blessed {name}: {}", golden::headline(&changes));
                for line in golden::explain(&changes) {
                    say!("        {line}");
                }
            }
            Ok(Outcome::Replaced(why)) => say!("blessed {name}: replaced an unusable golden file ({why})"),
            Err(e @ Error::MissingGolden { .. }) => {
                all_passed = false;
                say!("MISSING {name}: {e}");
            }
            Err(e) if e.is_bad_input() => {
                say!("BAD     {name}: {e}");
                unusable.get_or_insert(e);
                continue;
            }
            Err(e) => return Err(e),
        }
        // What the golden file records but does not compare (a chaotic path past its horizon).
        if let Ok(g) = golden::load(&golden::path_for(&path)) {
            for note in g.horizon_notes() {
                say!("        note: {note}");
            }
        }
    }
    match unusable {
        Some(e) => Err(e),
        None => Ok(all_passed),
    }
}
