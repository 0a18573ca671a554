//! Turning byte offsets in a scenario file into lines, columns and dotted keys for error messages.
//!
//! The TOML parser reports where an error is (a byte span) but not under which key; these helpers read
//! the key back from the text around that offset, line by line. They must never panic, whatever the text.

/// The 1-based (line, column) of byte `offset` in `src` (an offset inside a multi-byte character counts
/// as that character).
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(src, offset);
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The largest char boundary ≤ `offset` (std's own is unstable).
fn floor_char_boundary(src: &str, offset: usize) -> usize {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// What the line holding an offset says about keys.
#[derive(Debug, Default, PartialEq)]
pub struct LineKeys {
    /// The table the line belongs to, dotted, with an index for arrays of tables (`method[1]`); `None` at
    /// the root.
    pub table: Option<String>,
    /// True when the line is that table's header.
    pub is_header: bool,
    /// The key of the value the line belongs to (`step_size`, `a.b`); for a continuation line of a
    /// multi-line array, the key that opened it.
    pub key: Option<String>,
}

impl LineKeys {
    /// `table.key`, `table`, or `key`, whichever are known.
    pub fn dotted(&self) -> Option<String> {
        match (&self.table, &self.key) {
            (Some(t), Some(k)) if !self.is_header => Some(format!("{t}.{k}")),
            (Some(t), _) => Some(t.clone()),
            (None, Some(k)) => Some(k.clone()),
            (None, None) => None,
        }
    }
}

/// The table and key of the line holding byte `offset`.
pub fn keys_at(src: &str, offset: usize) -> LineKeys {
    let (line_no, _) = line_col(src, offset);
    keys_by_line(src).into_iter().nth(line_no - 1).unwrap_or_default()
}

/// The table and key of every line of `src`, in order (one pass over the text).
pub fn keys_by_line(src: &str) -> Vec<LineKeys> {
    let mut table: Option<String> = None;
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut key: Option<String> = None;
    // Brackets and braces a multi-line value has left open, and whether a `"""` string is open.
    let mut depth = 0i64;
    let mut in_multiline_string = false;
    let mut out = Vec::new();
    for raw in src.lines() {
        let text = strip_comment(raw).trim();
        let quotes = raw.matches("\"\"\"").count() + raw.matches("'''").count();
        if in_multiline_string || depth > 0 {
            // A continuation line: it belongs to the key that opened the value.
            if in_multiline_string {
                in_multiline_string = quotes % 2 == 0;
            } else {
                depth = (depth + bracket_balance(text)).max(0);
            }
            out.push(LineKeys {
                table: table.clone(),
                is_header: false,
                key: key.clone(),
            });
            continue;
        }
        key = None;
        if let Some((name, array)) = header(text) {
            let name = if array {
                let n = match counts.iter_mut().find(|(k, _)| *k == name) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        counts.push((name.clone(), 0));
                        0
                    }
                };
                format!("{name}[{n}]")
            } else {
                name
            };
            table = Some(name);
            out.push(LineKeys {
                table: table.clone(),
                is_header: true,
                key: None,
            });
            continue;
        }
        if let Some((k, v)) = text.split_once('=') {
            let k = k.trim();
            let unquoted = unquote_key(k);
            if !unquoted.is_empty() && !k.starts_with('[') && !k.starts_with('{') && !k.contains(',') {
                key = Some(unquoted);
                depth = bracket_balance(v).max(0);
            }
        }
        in_multiline_string = quotes % 2 == 1;
        out.push(LineKeys {
            table: table.clone(),
            is_header: false,
            key: key.clone(),
        });
    }
    out
}

/// Opening minus closing brackets and braces outside strings.
fn bracket_balance(text: &str) -> i64 {
    let mut balance = 0;
    let mut in_string: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match in_string {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    in_string = None;
                }
            }
            None if c == '"' || c == '\'' => in_string = Some(c),
            None if c == '[' || c == '{' => balance += 1,
            None if c == ']' || c == '}' => balance -= 1,
            None => {}
        }
    }
    balance
}

/// The line without a trailing `# comment` (a `#` inside a string is kept).
fn strip_comment(line: &str) -> &str {
    let mut in_string: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match in_string {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    in_string = None;
                }
            }
            None if c == '"' || c == '\'' => in_string = Some(c),
            None if c == '#' => return &line[..i],
            None => {}
        }
    }
    line
}

/// `[name]` → (`name`, false), `[[name]]` → (`name`, true); an unclosed `[name` still names its table.
/// A line is a header only when its name starts with a letter, `_` or a quote, so the rows of a
/// multi-line array (`[1.0, 2.0],`) are not.
pub fn header(text: &str) -> Option<(String, bool)> {
    let (rest, array) = match text.strip_prefix("[[") {
        Some(rest) => (rest, true),
        None => (text.strip_prefix('[')?, false),
    };
    let inner = rest.trim_end_matches(']').trim();
    let first = inner.chars().next()?;
    let name_like = (first.is_alphabetic() || first == '_' || first == '"' || first == '\'')
        && !inner.contains(',')
        && !inner.contains('[')
        && !inner.contains(']');
    let name = unquote_key(inner);
    (name_like && !name.is_empty()).then_some((name, array))
}

/// `"a" . b` → `a.b`: the key as a user would name it in prose.
fn unquote_key(k: &str) -> String {
    k.split('.')
        .map(|part| part.trim().trim_matches('"').trim_matches('\''))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dotted key of the line holding byte `offset`.
    fn key_at(src: &str, offset: usize) -> Option<String> {
        keys_at(src, offset).dotted()
    }

    #[test]
    fn finds_lines_columns_and_keys() {
        let src = "name = \"x\"\n[run]\nstep_size = -1\n";
        let at = src.find("-1").unwrap();
        assert_eq!(line_col(src, at), (3, 13));
        assert_eq!(key_at(src, at).as_deref(), Some("run.step_size"));
        assert_eq!(key_at(src, 0).as_deref(), Some("name"));
        assert_eq!(key_at(src, src.find("[run]").unwrap()).as_deref(), Some("run"));
    }

    #[test]
    fn counts_arrays_of_tables() {
        let src =
            "[[method]]\nid = \"a\"\n[[compare]]\na = 1\n[[method]]  # the second\nid = \"b\"\nrtol = 1\n";
        assert_eq!(
            key_at(src, src.find("rtol").unwrap()).as_deref(),
            Some("method[1].rtol")
        );
        assert_eq!(
            key_at(src, src.find("a = 1").unwrap()).as_deref(),
            Some("compare[0].a")
        );
        let second = src.rfind("[[method]]").unwrap();
        assert_eq!(
            keys_at(src, second),
            LineKeys {
                table: Some("method[1]".into()),
                is_header: true,
                key: None
            }
        );
    }

    #[test]
    fn continuation_lines_belong_to_the_key_that_opened_them() {
        let src = "[objective]\nmatrix = [\n  [1.0, 2.0],\n  [2.0, \"x\"],\n]\n";
        let at = src.find("\"x\"").unwrap();
        assert_eq!(line_col(src, at), (4, 9));
        assert_eq!(key_at(src, at).as_deref(), Some("objective.matrix"));
        let src = "description = \"\"\"\n[run]\nx = 1\n\"\"\"\nname = 1\n";
        assert_eq!(
            key_at(src, src.find("x = 1").unwrap()).as_deref(),
            Some("description")
        );
        assert_eq!(key_at(src, src.find("name").unwrap()).as_deref(), Some("name"));
    }

    #[test]
    fn comments_and_odd_offsets_do_not_confuse_it() {
        let src = "# expect: key=name line=1\n[run] # run = 3\nsteps = 1 # a = b\n";
        assert_eq!(key_at(src, 3), None);
        assert_eq!(
            key_at(src, src.find("steps").unwrap()).as_deref(),
            Some("run.steps")
        );
        let src = "name = \"é\"\n";
        // Byte 9 is inside the two-byte `é`: it counts as that character's column.
        assert_eq!(line_col(src, 9), (1, 9));
        assert_eq!(line_col(src, 1000), (2, 1));
        let src = "description = \"d\"\n\n[objective\nkind = 1\n";
        assert_eq!(
            key_at(src, src.find("[objective").unwrap()).as_deref(),
            Some("objective")
        );
        assert_eq!(key_at(src, src.len() - 1).as_deref(), Some("objective.kind"));
        assert_eq!(key_at(src, 18), None);
        // Found by fuzzing: a quote alone before `=` is no key.
        assert_eq!(key_at("'=", 0), None);
        assert_eq!(key_at("\"=", 1), None);
        assert_eq!(key_at("[\"", 0), None);
    }
}
