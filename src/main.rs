//! The `flowgap` command line: parse flags once into a checked request, call the library, map errors
//! to exit codes (0 success, 1 failure of the machine, 2 bad input).

use clap::{Parser, Subcommand};
use flowgap::{order, output, run, scenario, Error};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
        /// Replace another scenario's results in the output folder.
        #[arg(long)]
        force: bool,
    },
    /// Run a scenario at several step sizes on its horizon and fit each comparison's order (log–log slope
    /// of the maximum distance against η); writes order.json.
    Order {
        /// Scenario name or path.
        scenario: String,
        /// The step sizes η, comma-separated (e.g. 4e-3,2e-3,1e-3,5e-4); each must divide the horizon.
        #[arg(long, value_name = "ETAS", value_delimiter = ',', required = true)]
        step_sizes: Vec<f64>,
        /// Output folder for order.json (default: output/<name>-order/).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
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
        Ok(()) => ExitCode::SUCCESS,
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

fn execute(cli: Cli) -> Result<(), Error> {
    let dir = scenarios_dir(cli.scenarios);
    match cli.command {
        Command::List => {
            let entries = scenario::list(&dir)?;
            let width = entries.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, description) in entries {
                println!("{name:width$}  {description}");
            }
            Ok(())
        }
        Command::Run {
            scenario: which,
            out,
            force,
        } => {
            let path = scenario::resolve(&dir, &which)?;
            let scenario = scenario::load(&path)?;
            let out = out.unwrap_or_else(|| Path::new("output").join(&scenario.name));
            let report = run::run(scenario);
            let files = output::write_report(&report, &out, force)?;
            for m in &report.methods {
                let t = &m.trajectory;
                println!(
                    "{:<16} {:<14} {:<13} t_end={:<10.4} loss={:.6e}",
                    m.id,
                    m.kind,
                    t.termination.name(),
                    t.t_end(),
                    t.final_loss()
                );
            }
            for c in &report.comparisons {
                let departure = c
                    .departure_time
                    .map_or("never".to_string(), |t| format!("t={t:.4}"));
                println!(
                    "{} vs {}: max distance {:.3e} at t={:.4}, final {:.3e}, departs (>{:.0e}) {departure}",
                    c.a, c.b, c.max_distance, c.t_max_distance, c.final_distance, c.tolerance
                );
            }
            println!("wrote {} files to {}", files.len(), out.display());
            Ok(())
        }
        Command::Order {
            scenario: which,
            step_sizes,
            out,
        } => {
            let path = scenario::resolve(&dir, &which)?;
            let study = order::order_study(&path, &step_sizes)?;
            let out = out.unwrap_or_else(|| Path::new("output").join(format!("{}-order", study.scenario)));
            let file = order::write_order(&study, &out)?;
            for fit in &study.comparisons {
                let slope = fit.slope.map_or("—".to_string(), |s| format!("{s:.3}"));
                let distances: Vec<String> = fit.max_distances.iter().map(|d| format!("{d:.3e}")).collect();
                println!(
                    "{} vs {}: slope {slope} over {} of {} step sizes; max distances {}",
                    fit.a,
                    fit.b,
                    fit.points_used,
                    study.step_sizes.len(),
                    distances.join(", ")
                );
            }
            println!("wrote {}", file.display());
            Ok(())
        }
    }
}
