//! Figures drawn with plotters, one file per figure kind, one shared style.
//!
//! [`draw`] renders one [`FigureKind`] from a [`FigureInput`] into `dir/<name>.<ext>` for each
//! [`ImageFormat`]. Every file is written atomically (a hidden temporary file in the same folder, then a
//! rename). Text uses the embedded DejaVu Sans, so no system font or fontconfig is needed; each SVG
//! carries a subset of it holding the characters it uses ([`svg_font`]), and each PDF, made from the same
//! SVG, embeds the glyphs it uses ([`pdf`]).

pub mod basin_map;
pub mod bifurcation;
pub mod central;
mod conserved;
pub mod contour;
mod curves;
mod ensemble;
pub mod held_out;
pub mod legend;
pub mod matched;
mod order_plot;
pub mod pdf;
mod phase_portrait;
mod projected;
mod raster;
pub mod sharpness;
pub mod style;
pub mod svg_font;
mod sweep;
pub mod sweep_curve;
pub mod sweep_overlay;
mod trainability;

pub use sweep::sweep_figures;

use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::formats::order::OrderStudy;
use crate::landscape::Plane;
use crate::method::MethodRun;
use crate::objective::Objective;
use crate::outspec::{FigureKind, FigureSettings, ImageFormat};
use crate::trajectory::Trajectory;
use phase_portrait::PhasePortrait;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Everything a figure may draw from.
pub struct FigureInput<'a> {
    /// The scenario's name (kept for callers; titles name the figure, not the scenario).
    pub title: &'a str,
    /// The loss landscape.
    pub objective: &'a dyn Objective,
    /// Every method's result, in scenario order.
    pub methods: &'a [MethodRun],
    /// Every comparison, in scenario order.
    pub comparisons: &'a [Comparison],
    /// η, the step size (the time unit).
    pub step_size: f64,
    /// Canvas size, PNG resolution, projection plane.
    pub settings: &'a FigureSettings,
}

/// Draws one figure into `dir/<name>.<ext>` for each format, returning the files written.
///
/// Creates `dir` when missing. Each file is rendered to a hidden temporary file beside it and renamed
/// into place, so a reader never sees a half-written figure. A phase portrait of an objective that is not
/// 2-D is an [`Error::Render`]; odd data (empty or diverged trajectories, NaN, constant values) is drawn
/// as far as it goes, never a panic.
pub fn draw(
    kind: FigureKind,
    input: &FigureInput,
    dir: &Path,
    formats: &[ImageFormat],
) -> Result<Vec<PathBuf>> {
    let name = kind.name();
    let render_error = |message: String| Error::Render {
        figure: name.to_string(),
        message,
    };
    style::ensure_font().map_err(render_error)?;
    let figure = match kind {
        FigureKind::PhasePortrait | FigureKind::ProjectedPortrait => {
            Prepared::PhasePortrait(Box::new(portrait(kind, input).map_err(render_error)?))
        }
        FigureKind::Loss => Prepared::Loss,
        FigureKind::Distance => Prepared::Distance,
        FigureKind::Sharpness => {
            return Err(render_error(
                "drawn from the run's diagnostics by render::sharpness::draw".into(),
            ))
        }
        FigureKind::Ensemble => Prepared::Ensemble,
        FigureKind::Conserved => Prepared::Conserved,
        FigureKind::HeldOut => {
            return Err(render_error(
                "drawn from the run's held-out records by render::held_out::draw".into(),
            ))
        }
        FigureKind::Central => {
            return Err(render_error(
                "drawn from the run's central checks by render::central::draw".into(),
            ))
        }
    };
    write_files(name, &WithInput(&figure, input), dir, formats, input.settings)
}

/// A portrait's data: the plane and the loss landscape on it computed by [`crate::landscape`] (the
/// objective's own plane, or the projected one), the matched-time markers, and the drawing prepared from
/// those numbers.
fn portrait<'a>(kind: FigureKind, input: &FigureInput<'a>) -> std::result::Result<PhasePortrait<'a>, String> {
    let trajectories: Vec<&Trajectory> = input.methods.iter().map(|m| &m.trajectory).collect();
    let (mut plane, title, axes) = if kind == FigureKind::ProjectedPortrait {
        let plane = Plane::projected(input.objective, &trajectories, input.settings.projection.as_ref())?;
        let axes = plane.projection().map(projected::axes).unwrap_or_default();
        (plane, "projected portrait".to_string(), axes)
    } else {
        let plane = Plane::native(input.objective, &trajectories)?;
        let axes = ("θ₀".to_string(), "θ₁".to_string());
        (plane, "phase portrait".to_string(), axes)
    };
    // An empty title is none.
    let title = input.settings.title_of(kind.name(), &title).unwrap_or_default();
    let own = input.settings.overrides(kind.name());
    let axes = (own.x_label(&axes.0), own.y_label(&axes.1));
    let matched = matched::matched_points(input.methods, input.comparisons, &plane.paths);
    // The scenario's `x_range`, `y_range` fix the frame the landscape is sampled in.
    let sampled = plane.sample_in(own.x_range, own.y_range);
    Ok(PhasePortrait::new(
        title,
        input.settings,
        axes,
        input.methods,
        sampled,
        &matched,
    ))
}

/// Draws the order figure of a study into `dir/order.<ext>` for each format (atomically, as [`draw`]).
pub fn draw_order(
    study: &OrderStudy,
    dir: &Path,
    formats: &[ImageFormat],
    settings: &FigureSettings,
) -> Result<Vec<PathBuf>> {
    style::ensure_font().map_err(|message| Error::Render {
        figure: "order".to_string(),
        message,
    })?;
    write_files("order", &OrderFigure(study, settings), dir, formats, settings)
}

/// Something that draws itself onto any plotters backend.
trait Figure {
    /// Draws onto `root` (without presenting it).
    fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String>;
}

/// A prepared run figure with the run it draws.
struct WithInput<'p, 'a>(&'p Prepared<'a>, &'p FigureInput<'a>);

impl Figure for WithInput<'_, '_> {
    fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        self.0.plot(self.1, root)
    }
}

/// The order figure of a study, drawn with the scenario's figure settings.
struct OrderFigure<'s>(&'s OrderStudy, &'s FigureSettings);

impl Figure for OrderFigure<'_> {
    fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        order_plot::plot_order_with(self.0, self.1, root)
    }
}

/// Writes `figure` as `dir/<name>.<ext>` for each format, each through a hidden temporary file and a
/// rename.
fn write_files(
    name: &str,
    figure: &impl Figure,
    dir: &Path,
    formats: &[ImageFormat],
    settings: &FigureSettings,
) -> Result<Vec<PathBuf>> {
    let render_error = |message: String| Error::Render {
        figure: name.to_string(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::with_capacity(formats.len());
    for (k, &format) in formats.iter().enumerate() {
        if formats[..k].contains(&format) {
            continue;
        }
        let ext = format.extension();
        let path = dir.join(format!("{name}.{ext}"));
        // Unique per process and call, so concurrent draws into one folder never share a temporary file.
        static SERIAL: AtomicUsize = AtomicUsize::new(0);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp.{}-{serial}.{ext}", std::process::id()));
        let result = write_one(figure, format, settings, &tmp);
        let result = result.and_then(|()| std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e)));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(match e {
                Error::Render { message, .. } => render_error(message),
                other => other,
            });
        }
        written.push(path);
    }
    Ok(written)
}

/// A figure's data, computed once and drawn in every format.
enum Prepared<'a> {
    PhasePortrait(Box<PhasePortrait<'a>>),
    Loss,
    Distance,
    Ensemble,
    Conserved,
}

impl Prepared<'_> {
    /// Draws the figure onto `root` and presents it.
    fn plot<DB: DrawingBackend>(
        &self,
        input: &FigureInput,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        match self {
            Prepared::PhasePortrait(p) => p.plot(root)?,
            Prepared::Loss => curves::plot_loss(input, root)?,
            Prepared::Distance => curves::plot_distance(input, root)?,
            Prepared::Ensemble => ensemble::plot(input, root)?,
            Prepared::Conserved => conserved::plot_conserved(input, root)?,
        }
        Ok(())
    }
}

/// Renders `figure` in `format` into the file `tmp`, on the page its settings give ([`style::page`]).
fn write_one(figure: &impl Figure, format: ImageFormat, settings: &FigureSettings, tmp: &Path) -> Result<()> {
    let page = style::page(settings);
    let size = page.canvas;
    let render_error = |message: String| Error::Render {
        figure: String::new(),
        message,
    };
    let plain_svg = || -> Result<String> {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            figure.plot(&root).map_err(render_error)?;
            root.present().map_err(|e| render_error(e.to_string()))?;
        }
        Ok(svg)
    };
    match format {
        ImageFormat::Png if !page.scaled() => {
            let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                figure.plot(&root).map_err(render_error)?;
                root.present().map_err(|e| render_error(e.to_string()))?;
            }
            write_png(tmp, size, &rgb, page.dpi)
        }
        ImageFormat::Png => {
            // The paper styles (a canvas in points, not pixels) and small screen figures (laid out on a
            // larger canvas): the SVG is rasterised at the PNG's pixels.
            let rgb = raster::rasterise(&plain_svg()?, page.png).map_err(render_error)?;
            write_png(tmp, page.png, &rgb, page.dpi)
        }
        ImageFormat::Svg => {
            let svg = svg_font::embed_font(&plain_svg()?)
                .map_err(|e| render_error(format!("embedding the font in the SVG failed: {e}")))?;
            let svg = match page.inches {
                Some(inches) => {
                    raster::physical_size(&svg, format!("{:.4}in", inches.0), format!("{:.4}in", inches.1))
                        .map_err(render_error)?
                }
                // A small screen figure shows at its pixels, its larger canvas the viewBox.
                None if page.scaled() => {
                    raster::physical_size(&svg, page.png.0.to_string(), page.png.1.to_string())
                        .map_err(render_error)?
                }
                None => svg,
            };
            std::fs::write(tmp, svg).map_err(|e| Error::io(tmp, e))
        }
        ImageFormat::Pdf => {
            let bytes =
                pdf::svg_to_pdf(&plain_svg()?, page.pdf_dpi(pdf::DEFAULT_PDF_DPI)).map_err(render_error)?;
            std::fs::write(tmp, bytes).map_err(|e| Error::io(tmp, e))
        }
    }
}

/// Encodes an RGB buffer as PNG, with a `pHYs` chunk when `dpi` is given (so a paper's layout tool
/// prints it at width/dpi inches).
fn write_png(path: &Path, size: (u32, u32), rgb: &[u8], dpi: Option<u32>) -> Result<()> {
    let io = |e: std::io::Error| Error::io(path, e);
    let encode = |e: png::EncodingError| Error::io(path, std::io::Error::other(e.to_string()));
    let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let mut encoder = png::Encoder::new(file, size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    if let Some(dpi) = dpi {
        // pHYs counts pixels per metre: 1 inch = 0.0254 m.
        let per_metre = (dpi as f64 / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
    }
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(rgb).map_err(encode)?;
    writer.finish().map_err(encode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare;
    use crate::continuous::{solve, GradientFlow, SolverKind, SolverSettings};
    use crate::discrete::gradient_descent;
    use crate::objective::{Himmelblau, Quadratic, Rosenbrock};
    use crate::outspec::DEFAULT_FIGURE;
    use crate::trajectory::{Termination, TimeGrid, Trajectory};

    const ALL: [FigureKind; 3] = [FigureKind::PhasePortrait, FigureKind::Loss, FigureKind::Distance];
    const BOTH: [ImageFormat; 2] = [ImageFormat::Png, ImageFormat::Svg];

    /// A fresh folder under the system temp dir.
    fn temp_dir(tag: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("flowgap_render_{tag}_{}_{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn settings() -> SolverSettings {
        SolverSettings {
            solver: SolverKind::Dop853,
            rtol: 1e-9,
            atol: 1e-12,
            max_steps: 1_000_000,
            dt: 1e-3,
            controller: None,
        }
    }

    fn run(id: &str, kind: &str, discrete: bool, trajectory: Trajectory) -> MethodRun {
        MethodRun {
            ensemble: None,
            id: id.to_string(),
            kind: kind.to_string(),
            discrete,
            trajectory,
        }
    }

    /// GD and gradient flow from one start, with their comparison.
    fn gd_and_flow(
        objective: &dyn Objective,
        start: &[f64],
        grid: &TimeGrid,
    ) -> (Vec<MethodRun>, Vec<Comparison>) {
        let gd = gradient_descent(objective, start, grid, 1e10);
        let flow = solve(
            &GradientFlow { objective },
            objective,
            start,
            grid,
            &settings(),
            1e10,
        );
        let cmp = compare("gd", &gd, "flow", &flow, 1e-3);
        (
            vec![
                run("gd", "gd", true, gd),
                run("flow", "gradient_flow", false, flow),
            ],
            vec![cmp],
        )
    }

    /// Draws every figure in both formats and checks the files.
    fn draw_all(input: &FigureInput, dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for kind in ALL {
            let written = draw(kind, input, dir, &BOTH).unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
            assert_eq!(written.len(), 2);
            for f in &written {
                let bytes = std::fs::read(f).unwrap();
                match f.extension().and_then(|e| e.to_str()) {
                    Some("png") => assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n"),
                    _ => assert!(bytes.starts_with(b"<svg") || bytes.starts_with(b"<?xml")),
                }
            }
            files.extend(written);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
        files
    }

    #[test]
    fn rosenbrock_figures_are_written_atomically_in_both_formats() {
        let objective = Rosenbrock {
            a: 1.0,
            b: 100.0,
            dim: 2,
        };
        let grid = TimeGrid::new(1e-3, 2000, 1);
        let (methods, comparisons) = gd_and_flow(&objective, &[-1.2, 1.0], &grid);
        let input = FigureInput {
            title: "rosenbrock",
            objective: &objective,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 1e-3,
            settings: &DEFAULT_FIGURE,
        };
        let dir = temp_dir("rosenbrock").join("nested").join("figures");
        let files = draw_all(&input, &dir);
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "phase_portrait.png",
                "phase_portrait.svg",
                "loss.png",
                "loss.svg",
                "distance.png",
                "distance.svg"
            ]
        );
        let svg = std::fs::read_to_string(dir.join("distance.svg")).unwrap();
        assert!(svg.contains("gd vs flow"));
        // Drawing again replaces the files.
        draw(
            FigureKind::Loss,
            &input,
            &dir,
            &[ImageFormat::Png, ImageFormat::Png],
        )
        .unwrap();
        std::fs::remove_dir_all(dir.parent().unwrap().parent().unwrap()).ok();
    }

    #[test]
    fn phase_portrait_needs_two_dimensions() {
        let objective = Rosenbrock {
            a: 1.0,
            b: 100.0,
            dim: 3,
        };
        let input = FigureInput {
            title: "r3",
            objective: &objective,
            methods: &[],
            comparisons: &[],
            step_size: 0.1,
            settings: &DEFAULT_FIGURE,
        };
        let dir = temp_dir("dim3");
        match draw(FigureKind::PhasePortrait, &input, &dir, &BOTH) {
            Err(Error::Render { figure, message }) => {
                assert_eq!(figure, "phase_portrait");
                assert!(message.contains("2-D"), "{message}");
            }
            other => panic!("expected a render error, got {other:?}"),
        }
        // The curves work in any dimension.
        draw(FigureKind::Loss, &input, &dir, &[ImageFormat::Png]).unwrap();
        draw(FigureKind::Distance, &input, &dir, &[ImageFormat::Svg]).unwrap();
        let svg = std::fs::read_to_string(dir.join("distance.svg")).unwrap();
        assert!(svg.contains("no comparisons"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn divergence_is_marked_in_the_legends() {
        // GD on a quadratic with η·λ_max = 2.4 > 2 diverges; the flow does not.
        let objective = Quadratic::from_eigenvalues(&[12.0, 1.0], vec![0.0, 0.0]);
        let grid = TimeGrid::new(0.2, 200, 1);
        let (methods, comparisons) = gd_and_flow(&objective, &[1.0, 1.0], &grid);
        assert!(matches!(
            methods[0].trajectory.termination,
            Termination::Diverged { .. }
        ));
        let input = FigureInput {
            title: "unstable",
            objective: &objective,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 0.2,
            settings: &DEFAULT_FIGURE,
        };
        let dir = temp_dir("diverged");
        draw_all(&input, &dir);
        let loss = std::fs::read_to_string(dir.join("loss.svg")).unwrap();
        assert!(loss.contains("(diverged at t="), "loss legend");
        let portrait = std::fs::read_to_string(dir.join("phase_portrait.svg")).unwrap();
        // The path leaves the frame: its legend gives the step where it diverged.
        assert!(portrait.contains("gd (diverged at step "), "portrait legend");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn odd_data_is_drawn_without_panicking() {
        let objective = Himmelblau;
        let empty = Trajectory::with_capacity(2, 0);
        let mut single = Trajectory::with_capacity(2, 1);
        single.push(0, 0.0, &[1.0, 1.0], 106.0, 50.0, &[]);
        let mut nan = Trajectory::with_capacity(2, 4);
        nan.push(0, 0.0, &[0.0, 0.0], 170.0, 1.0, &[]);
        nan.push(1, 0.1, &[f64::NAN, 0.0], f64::NAN, f64::NAN, &[]);
        nan.push(2, 0.2, &[f64::INFINITY, 1e300], f64::INFINITY, f64::NAN, &[]);
        nan.push(3, 0.3, &[0.5, 0.5], -1.0, 1.0, &[]);
        nan.push(4, 0.4, &[1e300, -1e300], f64::INFINITY, f64::INFINITY, &[]);
        nan.termination = Termination::Diverged {
            step: 5,
            t: 0.5,
            reason: "test".into(),
        };
        let methods = vec![
            run("empty", "gd", true, empty.clone()),
            run("single", "gradient_flow", false, single.clone()),
            run("nan", "gd", true, nan.clone()),
        ];
        let comparisons = vec![
            compare("empty", &empty, "single", &single, 1e-3),
            compare("single", &single, "single", &single, 0.0),
            compare("nan", &nan, "nan", &nan, f64::NAN),
        ];
        let input = FigureInput {
            title: "odd",
            objective: &objective,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 0.1,
            settings: &DEFAULT_FIGURE,
        };
        let dir = temp_dir("odd");
        draw_all(&input, &dir);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn empty_and_flat_inputs_are_drawn() {
        let dir = temp_dir("empty");
        let none = FigureInput {
            title: "none",
            objective: &Himmelblau,
            methods: &[],
            comparisons: &[],
            step_size: 0.1,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&none, &dir);
        let mut single = Trajectory::with_capacity(2, 1);
        single.push(0, 0.0, &[1.0, 1.0], 0.0, 0.0, &[]);
        let lone = [run("single", "gd", true, single)];
        let flat = Quadratic::from_eigenvalues(&[0.0, 0.0], vec![0.0, 0.0]);
        let lone_input = FigureInput {
            title: "flat",
            objective: &flat,
            methods: &lone,
            comparisons: &[],
            step_size: 0.1,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&lone_input, &dir);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Writes sample figures for a visual check into `$FLOWGAP_FIGURE_DIR` (default: a temp folder):
    /// `FLOWGAP_FIGURE_DIR=/tmp/render_check cargo test --lib render::tests::sample_figures -- --ignored`.
    #[test]
    #[ignore = "writes sample figures for a visual check"]
    fn sample_figures() {
        let root = std::env::var_os("FLOWGAP_FIGURE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| temp_dir("samples"));
        let rosenbrock = Rosenbrock {
            a: 1.0,
            b: 100.0,
            dim: 2,
        };
        let grid = TimeGrid::new(1e-3, 5000, 1);
        let (methods, comparisons) = gd_and_flow(&rosenbrock, &[-1.2, 1.0], &grid);
        let started = std::time::Instant::now();
        let probe = FigureInput {
            title: "probe",
            objective: &rosenbrock,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 1e-3,
            settings: &DEFAULT_FIGURE,
        };
        let prepared = portrait(FigureKind::PhasePortrait, &probe).unwrap();
        drop(prepared);
        eprintln!(
            "rosenbrock: {:.3} s to sample the 400×400 contour grid, the fill and the field",
            started.elapsed().as_secs_f64()
        );
        let started = std::time::Instant::now();
        let input = FigureInput {
            title: "rosenbrock_valley",
            objective: &rosenbrock,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 1e-3,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&input, &root.join("rosenbrock"));
        eprintln!(
            "rosenbrock: {:.3} s for three figures in two formats",
            started.elapsed().as_secs_f64()
        );

        let himmelblau = Himmelblau;
        let grid = TimeGrid::new(0.01, 300, 1);
        let (methods, comparisons) = gd_and_flow(&himmelblau, &[-0.5, 0.5], &grid);
        let input = FigureInput {
            title: "himmelblau",
            objective: &himmelblau,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 0.01,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&input, &root.join("himmelblau"));

        let quadratic = Quadratic::from_eigenvalues(&[10.0, 1.0], vec![0.0, 0.0]);
        let grid = TimeGrid::new(0.15, 40, 1);
        let (methods, comparisons) = gd_and_flow(&quadratic, &[1.0, 1.5], &grid);
        let input = FigureInput {
            title: "quadratic_few_steps",
            objective: &quadratic,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 0.15,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&input, &root.join("quadratic"));

        let grid = TimeGrid::new(0.25, 200, 1);
        let (methods, comparisons) = gd_and_flow(&quadratic, &[1.0, 1.0], &grid);
        let input = FigureInput {
            title: "quadratic_unstable",
            objective: &quadratic,
            methods: &methods,
            comparisons: &comparisons,
            step_size: 0.25,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&input, &root.join("unstable"));
        // Degenerate inputs: nothing at all, and one lone point on a flat landscape.
        let none = FigureInput {
            title: "nothing",
            objective: &himmelblau,
            methods: &[],
            comparisons: &[],
            step_size: 0.1,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&none, &root.join("nothing"));
        let mut single = Trajectory::with_capacity(2, 1);
        single.push(0, 0.0, &[1.0, 1.0], 0.0, 0.0, &[]);
        let lone = [run("single", "gd", true, single)];
        let flat = Quadratic::from_eigenvalues(&[0.0, 0.0], vec![0.0, 0.0]);
        let cmp = [compare(
            "single",
            &lone[0].trajectory,
            "single",
            &lone[0].trajectory,
            1e-3,
        )];
        let input = FigureInput {
            title: "flat",
            objective: &flat,
            methods: &lone,
            comparisons: &cmp,
            step_size: 0.1,
            settings: &DEFAULT_FIGURE,
        };
        draw_all(&input, &root.join("flat"));
        eprintln!("figures in {}", root.display());
    }
}
