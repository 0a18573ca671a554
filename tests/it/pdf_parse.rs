//! Each style's PDF is read by a PDF parser (lopdf): one page whose MediaBox is the figure's printed size
//! in points, and its fonts embedded as font programs (FontFile2/FontFile3 streams), not named only.

use flowgap::outspec::{FigureStyle, ImageFormat};
use flowgap::scenario;
use lopdf::{Document, Object};
use std::path::Path;

/// A PDF number (integer or real) as f64.
fn number(o: &Object) -> f64 {
    match o {
        Object::Integer(i) => *i as f64,
        Object::Real(r) => f64::from(*r),
        other => panic!("not a number: {other:?}"),
    }
}

/// The MediaBox of page `page`, looked up through its parents (a page inherits it from its Pages).
fn media_box(doc: &Document, page: lopdf::ObjectId) -> [f64; 4] {
    let mut id = page;
    loop {
        let dict = doc
            .get_object(id)
            .and_then(Object::as_dict)
            .expect("a page dictionary");
        if let Ok(b) = dict.get(b"MediaBox") {
            let b = match b {
                Object::Reference(r) => doc.get_object(*r).unwrap(),
                b => b,
            };
            let v: Vec<f64> = b.as_array().expect("an array").iter().map(number).collect();
            return [v[0], v[1], v[2], v[3]];
        }
        id = dict
            .get(b"Parent")
            .and_then(Object::as_reference)
            .expect("a MediaBox on the page or a parent");
    }
}

/// Asserts that the PDF at `path` parses, has one page of `(pw, ph)` points (within 0.5 pt), and that
/// every font it names is embedded: each FontDescriptor has a non-empty FontFile2/FontFile3 program of
/// DejaVu Sans, and there is at least one.
pub fn assert_pdf(path: &Path, (pw, ph): (f64, f64), name: &str) {
    let doc = Document::load(path).unwrap_or_else(|e| panic!("{name}: the PDF does not parse: {e}"));
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 1, "{name}: one page");
    let b = media_box(&doc, *pages.values().next().unwrap());
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    assert!(
        (w - pw).abs() < 0.5 && (h - ph).abs() < 0.5,
        "{name}: a {w} × {h} pt page, not {pw} × {ph}"
    );
    let descriptors: Vec<&lopdf::Dictionary> = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"Type").and_then(Object::as_name).ok() == Some(&b"FontDescriptor"[..]))
        .collect();
    assert!(!descriptors.is_empty(), "{name}: no font descriptor");
    for d in &descriptors {
        let program = [&b"FontFile2"[..], b"FontFile3"]
            .iter()
            .find_map(|k| d.get(k).and_then(Object::as_reference).ok())
            .unwrap_or_else(|| panic!("{name}: a font without its program: {d:?}"));
        let stream = doc.get_object(program).and_then(Object::as_stream).unwrap();
        assert!(!stream.content.is_empty(), "{name}: an empty font program");
        let font_name = d.get(b"FontName").and_then(Object::as_name).unwrap();
        assert!(
            String::from_utf8_lossy(font_name).contains("DejaVuSans"),
            "{name}: {:?}",
            String::from_utf8_lossy(font_name)
        );
    }
}

#[test]
fn each_styles_pdf_parses_as_one_page_of_its_size_with_its_fonts_embedded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let loaded = scenario::load(&scenario::named_path(&dir, "quadratic_above_threshold")).unwrap();
    let (experiment, mut spec) = loaded.into_parts();
    let report = experiment.run();
    // (style, width, height, dpi, expected page in points): a paper style prints at its inches × 72; a
    // screen figure at its pixels / dpi × 72 (150 dpi without one), whatever canvas it was laid out on.
    let cases = [
        (
            FigureStyle::Paper,
            1000,
            800,
            None,
            (3.25 * 72.0, 3.25 * 0.8 * 72.0),
        ),
        (
            FigureStyle::PaperWide,
            1000,
            800,
            None,
            (6.75 * 72.0, 6.75 * 0.45 * 72.0),
        ),
        (FigureStyle::Screen, 1000, 800, None, (480.0, 384.0)),
        (FigureStyle::Screen, 1000, 800, Some(300), (240.0, 192.0)),
        (FigureStyle::Screen, 500, 400, None, (240.0, 192.0)),
    ];
    for (style, width, height, dpi, (pw, ph)) in cases {
        spec.figure.style = style;
        spec.figure.width = width;
        spec.figure.height = height;
        spec.figure.dpi = dpi;
        let out = std::env::temp_dir().join(format!(
            "flowgap_pdf_parse_{style:?}_{width}_{dpi:?}_{}",
            std::process::id()
        ));
        flowgap::output::draw_figures(&report, &spec, &spec.figures, &[ImageFormat::Pdf], &out)
            .unwrap_or_else(|e| panic!("{e}"));
        for kind in &spec.figures {
            let name = format!("{style:?} {width}×{height} {dpi:?} {}", kind.name());
            assert_pdf(&out.join(format!("{}.pdf", kind.name())), (pw, ph), &name);
        }
        std::fs::remove_dir_all(&out).ok();
    }
}
