//! Vector PDF from the SVG a figure already makes: svg2pdf (typst's converter) lays the SVG out with usvg
//! and writes each text as real, selectable text in a subset of the embedded DejaVu Sans, so a PDF needs
//! no font on the reader's machine and LaTeX includes it as it is.

use std::sync::{Arc, OnceLock};
use svg2pdf::usvg::{fontdb, Options, Tree};
use svg2pdf::{ConversionOptions, PageOptions};

/// The dots per inch a PDF's page assumes when the scenario sets no `dpi`: a default 1000-unit-wide
/// figure then prints 6.67 inches wide, a two-column paper's full width.
pub const DEFAULT_PDF_DPI: u32 = 150;

/// The fonts usvg may use: only the embedded DejaVu Sans (regular and bold), never a system font, so a
/// figure's PDF is the same on every machine.
pub(super) fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_font_data(dejavu::sans::regular().to_vec());
            db.load_font_data(dejavu::sans::bold().to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

/// Converts an SVG (as plotters writes it, without the embedded @font-face) into a one-page PDF whose
/// page is `width / dpi` inches wide.
pub fn svg_to_pdf(svg: &str, dpi: f32) -> Result<Vec<u8>, String> {
    let tree = read_svg(svg)?;
    let page = PageOptions { dpi };
    svg2pdf::to_pdf(&tree, ConversionOptions::default(), page)
        .map_err(|e| format!("the PDF could not be written: {e}"))
}

/// Lays out an SVG as plotters writes it with the embedded DejaVu Sans only (shared by the PDF and the
/// paper styles' PNG, [`super::raster`]).
pub(super) fn read_svg(svg: &str) -> Result<Tree, String> {
    let options = Options {
        fontdb: fonts(),
        font_family: "DejaVu Sans".to_string(),
        ..Options::default()
    };
    Tree::from_str(svg, &options).map_err(|e| format!("the figure's SVG could not be read: {e}"))
}
