//! Embeds the font into the SVGs plotters writes, so that a viewer needs no system font.
//!
//! plotters' SVG backend writes each label as `<text font-family="DejaVu Sans, sans-serif" …>label</text>`
//! and embeds no font. [`embed_font`] reads those text elements back, collects the characters they use
//! (separately for regular and bold text), cuts a subset of the embedded DejaVu Sans holding exactly the
//! glyphs of those characters (plus `.notdef` and the components of composite glyphs) with `allsorts`,
//! and adds it as a base64 `data:` URL in an `@font-face` rule of a `<defs><style>` right after the
//! opening `<svg>` tag. The subset keeps a Unicode `cmap` (browsers and other CSS engines map characters
//! through it), the metrics, the name table, the hinting tables and the `kern` pairs among its glyphs
//! (plotters measured the text with those); it drops the OpenType layout tables (GPOS, GSUB, GDEF).
//!
//! Everything here is a pure function of the SVG text: the same figure gives the same bytes.

use super::style::FONT;
use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use allsorts::tag;
use base64::Engine as _;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The tables a subset keeps: those a valid OpenType font requires (cmap, head, hhea, hmtx, maxp, name,
/// OS/2, post; glyf and loca are always added) and the TrueType hinting tables the glyphs' instructions
/// refer to.
const TABLES: [u32; 11] = [
    tag::CMAP,
    tag::HEAD,
    tag::HHEA,
    tag::HMTX,
    tag::MAXP,
    tag::NAME,
    tag::OS_2,
    tag::POST,
    tag::CVT,
    tag::FPGM,
    tag::PREP,
];

/// The first family of a CSS font list (`"DejaVu Sans, sans-serif"` → `DejaVu Sans`), unquoted.
pub fn primary_family(list: &str) -> &str {
    let first = list.split(',').next().unwrap_or("").trim();
    first.trim_matches(|c| c == '"' || c == '\'')
}

/// The weights a text may be drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weight {
    Normal,
    Bold,
}

impl Weight {
    fn css(self) -> &'static str {
        match self {
            Weight::Normal => "normal",
            Weight::Bold => "bold",
        }
    }

    fn font(self) -> &'static [u8] {
        match self {
            Weight::Normal => dejavu::sans::regular(),
            Weight::Bold => dejavu::sans::bold(),
        }
    }
}

/// The characters of the SVG's text elements drawn in [`FONT`], as (regular, bold) sets. Whitespace
/// control characters (plotters ends each text with a newline, which SVG drops) are left out.
fn used_chars(svg: &str) -> Result<(BTreeSet<char>, BTreeSet<char>), String> {
    let family = primary_family(FONT);
    let (mut regular, mut bold) = (BTreeSet::new(), BTreeSet::new());
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        rest = &rest[start + "<text".len()..];
        let open_end = rest
            .find('>')
            .ok_or_else(|| "a <text> tag of the SVG is not closed".to_string())?;
        let attrs = &rest[..open_end];
        let body_start = open_end + 1;
        let body_len = rest[body_start..]
            .find("</text>")
            .ok_or_else(|| "a <text> element of the SVG has no </text>".to_string())?;
        let body = &rest[body_start..body_start + body_len];
        rest = &rest[body_start + body_len..];
        if attrs.ends_with('/') {
            continue;
        }
        if attribute(attrs, "font-family").map(|f| primary_family(&unescape(f)).to_string())
            != Some(family.to_string())
        {
            continue;
        }
        let set = if attribute(attrs, "font-weight") == Some("bold") {
            &mut bold
        } else {
            &mut regular
        };
        set.extend(unescape(body).chars().filter(|c| !c.is_control()));
    }
    Ok((regular, bold))
}

/// The raw (still escaped) value of attribute `name` in a start tag's attribute text.
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let at = attrs.find(&needle)? + needle.len();
    let len = attrs[at..].find('"')?;
    Some(&attrs[at..at + len])
}

/// Undoes XML escaping of the five predefined entities and numeric character references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else {
            break;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A TrueType subset of `font` holding the glyphs of `chars` (characters the font lacks are left out: a
/// viewer draws them with the fallback family, as plotters drew them with `.notdef`).
pub fn subset_font(font: &[u8], chars: &BTreeSet<char>) -> Result<Vec<u8>, String> {
    let face = ttf_parser::Face::parse(font, 0).map_err(|e| format!("the font does not parse: {e}"))?;
    let mut glyphs = BTreeSet::new();
    for &c in chars {
        if let Some(g) = face.glyph_index(c) {
            if g.0 != 0 {
                glyphs.insert(g.0);
            }
        }
    }
    // `.notdef` first, then the used glyphs in the font's order.
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();
    let data = ReadScope::new(font)
        .read::<FontData<'_>>()
        .map_err(|e| format!("the font does not parse: {e}"))?;
    let provider = data
        .table_provider(0)
        .map_err(|e| format!("the font does not parse: {e}"))?;
    let font_subset = subset(
        &provider,
        &ids,
        &SubsetProfile::Custom(TABLES.to_vec()),
        CmapTarget::Unicode,
    )
    .map_err(|e| format!("subsetting the font failed: {e}"))?;
    match kern_table(&face, &ids) {
        Some(kern) => add_table(&font_subset, *b"kern", &kern),
        None => Ok(font_subset),
    }
}

/// A `kern` table (version 0, one horizontal format-0 subtable) with the pairs of `ids` that `face`'s
/// horizontal `kern` subtables kern, in the subset's glyph numbering (glyph `ids[i]` becomes glyph `i`:
/// allsorts keeps the order it is given and appends composite components after). plotters measures
/// text with exactly these pairs (ab_glyph reads the `kern` table), so a viewer that kerns with the
/// subset places the glyphs where the layout expects them. `None` when no pair is kerned.
fn kern_table(face: &ttf_parser::Face, ids: &[u16]) -> Option<Vec<u8>> {
    let subtables: Vec<_> = face
        .tables()
        .kern?
        .subtables
        .into_iter()
        .filter(|st| st.horizontal && !st.variable)
        .collect();
    let mut pairs = Vec::new();
    for (left, &old_left) in ids.iter().enumerate() {
        for (right, &old_right) in ids.iter().enumerate() {
            let value = subtables.iter().find_map(|st| {
                st.glyphs_kerning(ttf_parser::GlyphId(old_left), ttf_parser::GlyphId(old_right))
            });
            if let Some(v) = value.filter(|v| *v != 0) {
                pairs.push((left as u16, right as u16, v));
            }
        }
    }
    // A format-0 subtable's length is a u16: at most (65535 - 14) / 6 pairs.
    if pairs.is_empty() || pairs.len() > 10_000 {
        return None;
    }
    let n = pairs.len() as u16;
    let (search_range, entry_selector) = binary_search_header(n, 6);
    let mut t = Vec::with_capacity(4 + 14 + 6 * pairs.len());
    for v in [
        0u16,
        1,
        0,
        14 + 6 * n,
        0x0001,
        n,
        search_range,
        entry_selector,
        6 * n - search_range,
    ] {
        t.extend_from_slice(&v.to_be_bytes());
    }
    for (l, r, v) in pairs {
        t.extend_from_slice(&l.to_be_bytes());
        t.extend_from_slice(&r.to_be_bytes());
        t.extend_from_slice(&v.to_be_bytes());
    }
    Some(t)
}

/// `(searchRange, entrySelector)` of a binary-search header over `n` entries of `size` bytes.
fn binary_search_header(n: u16, size: u16) -> (u16, u16) {
    let mut power = 1u16;
    let mut log = 0u16;
    while power.saturating_mul(2) <= n {
        power *= 2;
        log += 1;
    }
    (power.saturating_mul(size), log)
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The OpenType checksum: the wrapping sum of the big-endian u32 words, the last one zero-padded.
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, w| {
        let mut word = [0u8; 4];
        word[..w.len()].copy_from_slice(w);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// The TrueType font `font` with the table `tag` added (or replaced): a new table directory in tag
/// order, each table 4-byte aligned with its checksum, and `head.checkSumAdjustment` recomputed.
fn add_table(font: &[u8], tag: [u8; 4], data: &[u8]) -> Result<Vec<u8>, String> {
    let malformed = || "the subset font's table directory is malformed".to_string();
    let count = be_u16(font, 4).ok_or_else(malformed)? as usize;
    let mut tables: Vec<([u8; 4], &[u8])> = Vec::with_capacity(count + 1);
    for k in 0..count {
        let rec = 12 + 16 * k;
        let t: [u8; 4] = font
            .get(rec..rec + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(malformed)?;
        let offset = be_u32(font, rec + 8).ok_or_else(malformed)? as usize;
        let length = be_u32(font, rec + 12).ok_or_else(malformed)? as usize;
        let bytes = font.get(offset..offset + length).ok_or_else(malformed)?;
        if t != tag {
            tables.push((t, bytes));
        }
    }
    tables.push((tag, data));
    tables.sort_by_key(|(t, _)| *t);
    let n = tables.len() as u16;
    let (search_range, entry_selector) = binary_search_header(n, 16);
    let mut out = Vec::with_capacity(font.len() + data.len() + 32);
    out.extend_from_slice(font.get(0..4).ok_or_else(malformed)?);
    for v in [n, search_range, entry_selector, 16 * n - search_range] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (t, bytes) in &tables {
        let sum = if t == b"head" {
            head_at = Some(offset);
            let mut head = bytes.to_vec();
            head.get_mut(8..12).ok_or_else(malformed)?.fill(0);
            checksum(&head)
        } else {
            checksum(bytes)
        };
        out.extend_from_slice(t);
        out.extend_from_slice(&sum.to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        offset += bytes.len().div_ceil(4) * 4;
    }
    for (_, bytes) in &tables {
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    let head_at = head_at.ok_or_else(|| "the subset font has no head table".to_string())?;
    out[head_at + 8..head_at + 12].fill(0);
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    Ok(out)
}

/// `svg` with a subset of DejaVu Sans (regular, and bold when bold text occurs) embedded as `@font-face`
/// rules for the family the text uses; unchanged when it has no text in that family.
pub fn embed_font(svg: &str) -> Result<String, String> {
    let (regular, bold) = used_chars(svg)?;
    let mut style = String::new();
    for (weight, chars) in [(Weight::Normal, &regular), (Weight::Bold, &bold)] {
        if chars.is_empty() {
            continue;
        }
        let font = subset_font(weight.font(), chars)?;
        let data = base64::engine::general_purpose::STANDARD.encode(&font);
        let _ = writeln!(
            style,
            "@font-face {{ font-family: \"{}\"; font-weight: {}; font-style: normal; \
             src: url(data:font/ttf;base64,{data}) format(\"truetype\"); }}",
            primary_family(FONT),
            weight.css(),
        );
    }
    if style.is_empty() {
        return Ok(svg.to_string());
    }
    let open = svg
        .find("<svg")
        .and_then(|at| svg[at..].find('>').map(|end| at + end + 1))
        .ok_or_else(|| "the SVG has no <svg> tag".to_string())?;
    let (head, tail) = svg.split_at(open);
    let newline = if tail.starts_with('\n') { "\n" } else { "" };
    let tail = &tail[newline.len()..];
    let mut out = String::with_capacity(svg.len() + style.len() + 64);
    out.push_str(head);
    out.push_str(newline);
    out.push_str("<defs>\n<style>\n");
    out.push_str(&style);
    out.push_str("</style>\n</defs>\n");
    out.push_str(tail);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = "<svg width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\">\n\
        <text x=\"1\" y=\"1\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"10\">\nθ₀ &lt;1&amp;\n</text>\n\
        <text x=\"1\" y=\"1\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"10\" font-weight=\"bold\">\nB\n</text>\n\
        <text x=\"1\" y=\"1\" font-family=\"serif\" font-size=\"10\">\nZ\n</text>\n\
        </svg>\n";

    #[test]
    fn characters_are_collected_per_weight_and_family() {
        let (regular, bold) = used_chars(SVG).unwrap();
        assert_eq!(regular, "θ₀ <1&".chars().collect());
        assert_eq!(bold, "B".chars().collect());
        assert_eq!(primary_family(FONT), "DejaVu Sans");
        assert_eq!(primary_family("'A b', c"), "A b");
        assert_eq!(unescape("a&#x3b8;&#955;&bogus;&"), "aθλ&bogus;&");
    }

    #[test]
    fn the_subset_maps_exactly_the_used_characters() {
        let out = embed_font(SVG).unwrap();
        assert_eq!(out, embed_font(SVG).unwrap(), "deterministic");
        assert!(out.starts_with("<svg") && out.contains("<defs>\n<style>\n@font-face"));
        assert_eq!(out.matches("@font-face").count(), 2);
        let chars: BTreeSet<char> = "θ₀ <1&".chars().collect();
        let font = subset_font(dejavu::sans::regular(), &chars).unwrap();
        assert!(font.len() < 40_000, "{} bytes", font.len());
        let face = ttf_parser::Face::parse(&font, 0).unwrap();
        for c in chars {
            assert!(face.glyph_index(c).is_some_and(|g| g.0 != 0), "{c:?}");
        }
        for c in ['A', 'z', '9', 'λ'] {
            assert!(face.glyph_index(c).is_none_or(|g| g.0 == 0), "{c:?}");
        }
        // The pairs plotters kerns keep their values under the new glyph numbers.
        let full = ttf_parser::Face::parse(dejavu::sans::regular(), 0).unwrap();
        let kerning = |f: &ttf_parser::Face, a: char, b: char| {
            let (a, b) = (f.glyph_index(a).unwrap(), f.glyph_index(b).unwrap());
            f.tables()
                .kern
                .and_then(|k| k.subtables.into_iter().find_map(|st| st.glyphs_kerning(a, b)))
        };
        let chars: BTreeSet<char> = "AVTo. ".chars().collect();
        let font = subset_font(dejavu::sans::regular(), &chars).unwrap();
        let face = ttf_parser::Face::parse(&font, 0).unwrap();
        assert!(kerning(&full, 'A', 'V').is_some());
        for a in chars.iter().copied() {
            for b in chars.iter().copied() {
                assert_eq!(kerning(&face, a, b), kerning(&full, a, b), "{a:?}{b:?}");
            }
        }
        // No text in the font's family: nothing to embed.
        let plain = "<svg>\n<text font-family=\"serif\">\nx\n</text>\n</svg>\n";
        assert_eq!(embed_font(plain).unwrap(), plain);
        // A broken tag is an error, not a panic.
        assert!(embed_font("<svg>\n<text font-family=\"DejaVu Sans\"").is_err());
    }
}
