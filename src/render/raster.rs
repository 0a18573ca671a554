//! The PNG and SVG sizes of figures laid out on a canvas other than their pixels: the paper styles' canvas
//! is in points ([`super::style::UNITS_PER_PT`]) and a small screen figure's is scaled up
//! ([`super::style::SCREEN_MIN_CANVAS`]), so the PNG is the figure's SVG rasterised by resvg at its
//! pixels, and the SVG states its printed (or pixel) size.

use resvg::tiny_skia::{Color, Pixmap, Transform};

/// The SVG `svg` (as plotters writes it) drawn on white into an RGB buffer of `size` pixels.
pub(super) fn rasterise(svg: &str, size: (u32, u32)) -> Result<Vec<u8>, String> {
    let tree = super::pdf::read_svg(svg)?;
    let mut pixmap = Pixmap::new(size.0, size.1)
        .ok_or_else(|| format!("no {}×{} pixel image can be made", size.0, size.1))?;
    pixmap.fill(Color::WHITE);
    let view = tree.size();
    let scale = Transform::from_scale(size.0 as f32 / view.width(), size.1 as f32 / view.height());
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    // Opaque (drawn on white), so the premultiplied RGBA is the RGB itself.
    Ok(pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect())
}

/// `svg` with its `<svg>` tag's `width` and `height` set to `width` and `height` (CSS lengths: `3.2500in`,
/// or `500` pixels) and a `viewBox` of its canvas, so a browser or an editor shows it at its printed (or
/// pixel) size.
pub(super) fn physical_size(svg: &str, width: String, height: String) -> Result<String, String> {
    let start = svg.find("<svg").ok_or("the SVG has no <svg> tag")?;
    let end = start
        + svg[start..]
            .find('>')
            .ok_or("the SVG's <svg> tag is not closed")?;
    let tag = &svg[start..end];
    let attr = |name: &str| -> Result<(usize, usize), String> {
        let key = format!(" {name}=\"");
        let a = tag.find(&key).ok_or(format!("the <svg> tag has no {name}"))? + key.len();
        let b = a + tag[a..]
            .find('"')
            .ok_or(format!("the <svg> tag's {name} is not closed"))?;
        Ok((a, b))
    };
    let (wa, wb) = attr("width")?;
    let (ha, hb) = attr("height")?;
    if ha < wb {
        return Err("the <svg> tag names its height before its width".into());
    }
    let (w, h) = (&tag[wa..wb], &tag[ha..hb]);
    let mut out = String::with_capacity(svg.len() + 64);
    out.push_str(&svg[..start]);
    out.push_str(&tag[..wa]);
    out.push_str(&width);
    out.push_str(&tag[wb..ha]);
    out.push_str(&height);
    out.push_str(&tag[hb..]);
    if !tag.contains("viewBox") {
        out.push_str(&format!(" viewBox=\"0 0 {w} {h}\""));
    }
    out.push_str(&svg[end..]);
    Ok(out)
}
