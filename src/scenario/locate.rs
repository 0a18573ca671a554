//! Turning byte offsets in a scenario file into lines, columns and dotted keys for error messages.

/// The 1-based (line, column) of byte `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The dotted key written on the line holding byte `offset` (`run.step_size`), prefixed by the nearest
/// table header above it; the header itself when the line is a header.
pub fn key_at(src: &str, offset: usize) -> Option<String> {
    let (line_no, _) = line_col(src, offset);
    let lines: Vec<&str> = src.lines().collect();
    let line = lines.get(line_no.checked_sub(1)?)?.trim();
    let header = lines[..line_no - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(header_name);
    if line.starts_with('[') {
        return Some(header_name(line));
    }
    let key = line.split('=').next()?.trim();
    if key.is_empty() || !line.contains('=') {
        return header;
    }
    Some(match header {
        Some(h) => format!("{h}.{key}"),
        None => key.to_string(),
    })
}

/// `[[method]]` → `method`, `[run]` → `run` (a trailing comment is ignored).
fn header_name(line: &str) -> String {
    let end = line.find(']').unwrap_or(line.len());
    line[..end].trim_start_matches('[').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_columns_and_keys() {
        let src = "name = \"x\"\n[run]\nstep_size = -1\n";
        let at = src.find("-1").unwrap();
        assert_eq!(line_col(src, at), (3, 13));
        assert_eq!(key_at(src, at).as_deref(), Some("run.step_size"));
        assert_eq!(key_at(src, 0).as_deref(), Some("name"));
        assert_eq!(key_at(src, src.find("[run]").unwrap()).as_deref(), Some("run"));
    }
}
