//! Building scenario errors that point into the file: file, line, column, dotted key, what is allowed.

use super::locate::{header, keys_at, line_col};
use crate::error::{escape_controls, excerpt, Error, Location, Result};
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::Path;
use toml::de::DeTable;
use toml::Spanned;

/// Builds errors that point into one file.
pub struct Ctx<'a> {
    /// The scenario file, for messages.
    pub path: &'a Path,
    /// Its text.
    pub src: &'a str,
}

impl<'a> Ctx<'a> {
    /// The file parsed once into TOML's tree of spanned values, for callers that read it as several
    /// variants (a sweep's grid points); errors as [`Ctx::deserialize`] gives them.
    pub fn tree(&self) -> Result<Spanned<DeTable<'a>>> {
        DeTable::parse(self.src).map_err(|e| self.located(&e, None))
    }
}

impl Ctx<'_> {
    /// Deserialises the whole file into `T`, mapping TOML and serde errors to located ones. Types that
    /// read only a part of the file (one table) ignore the rest by not denying unknown fields at the top.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T> {
        let de = toml::Deserializer::parse(self.src).map_err(|e| self.located(&e, None))?;
        serde_path_to_error::deserialize(de).map_err(|e| self.located(e.inner(), Some(dotted(e.path()))))
    }

    /// [`Ctx::deserialize`] from a tree of [`Ctx::tree`] (possibly changed: its spans must point into
    /// this file).
    pub fn deserialize_tree<T: DeserializeOwned>(&self, tree: Spanned<DeTable<'_>>) -> Result<T> {
        let de = toml::Deserializer::from(tree);
        serde_path_to_error::deserialize(de).map_err(|e| self.located(e.inner(), Some(dotted(e.path()))))
    }

    /// A TOML or serde error located in the file; `path` is the key path and trailing indices serde
    /// was at (none for a syntax error).
    fn located(&self, e: &toml::de::Error, path: Option<(String, String)>) -> Error {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let key = self.key_of(path, &message, span.start);
        match self.table_shape(&key, span.start) {
            Some((table, advice)) => self.err(span, table, advice),
            None => self.err(span, key, plain(&message)),
        }
    }

    /// The dotted key an error is about: the path serde_path_to_error tracked down to the failing value,
    /// or, for a TOML syntax error (the parser knows no keys yet), the key of the line at `offset`.
    fn key_of(&self, path: Option<(String, String)>, message: &str, offset: usize) -> String {
        let key = match path {
            // Serde reports a missing field at the table that lacks it (`method[1]`) and names the field
            // only in its message; no crate gives it as data.
            Some((key, index)) => match message
                .strip_prefix("missing field `")
                .and_then(|m| m.split('`').next())
            {
                Some(field) if key.is_empty() => field.to_string(),
                Some(field) => format!("{key}{index}.{field}"),
                None => key,
            },
            None => keys_at(self.src, offset).dotted().unwrap_or_default(),
        };
        if key.trim().is_empty() {
            "(syntax)".to_string()
        } else {
            key
        }
    }

    /// Advice when a table is written as an array of tables or the other way round (serde's own message
    /// for that is cryptic): `[[run]]` for `[run]`, `[method]` for `[[method]]`.
    fn table_shape(&self, key: &str, offset: usize) -> Option<(String, String)> {
        let (line, _) = line_col(self.src, offset);
        // Only a header line gets the advice: `run = [[...]]` is a value of the wrong type, not a header.
        let (_, array) = header(self.src.lines().nth(line - 1)?.trim())?;
        let name = key.split(['[', '.']).next()?;
        if SINGLE_TABLES.contains(&name) && array {
            Some((
                name.to_string(),
                format!("`{name}` is a single table: write `[{name}]`, not `[[{name}]]`"),
            ))
        } else if ARRAY_TABLES.contains(&name) && !array {
            Some((
                name.to_string(),
                format!(
                    "`{name}` is an array of tables: write `[[{name}]]` (once per entry), not `[{name}]`"
                ),
            ))
        } else {
            None
        }
    }

    /// An error at `span` about `key`.
    pub fn err(&self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) -> Error {
        let (line, column) = line_col(self.src, span.start);
        Error::Scenario {
            location: Location {
                file: self.path.to_path_buf(),
                line: Some(line),
                column: Some(column),
            },
            key: key.into(),
            message: tame(&message.into()),
        }
    }

    /// A finite number > 0.
    pub fn positive(&self, v: &Spanned<f64>, key: &str) -> Result<f64> {
        let x = *v.get_ref();
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(self.err(v.span(), key, format!("must be a finite number > 0, found {x}")))
        }
    }

    /// A list of finite numbers.
    pub fn finite_list(&self, v: &Spanned<Vec<f64>>, key: &str) -> Result<Vec<f64>> {
        match v.get_ref().iter().position(|x| !x.is_finite()) {
            Some(i) => Err(self.err(
                v.span(),
                key,
                format!("entry {i} is {}; all entries must be finite", v.get_ref()[i]),
            )),
            None => Ok(v.get_ref().clone()),
        }
    }

    /// Refuses a key that the chosen kind does not use.
    pub fn not_for<T>(&self, v: &Option<Spanned<T>>, key: &str, kind: &str, allowed: &str) -> Result<()> {
        match v {
            Some(s) => Err(self.err(
                s.span(),
                key,
                format!("does not apply to kind `{kind}`; its keys are: {allowed}"),
            )),
            None => Ok(()),
        }
    }
}

/// `path` as the dotted TOML key a user wrote (`method[1].rtol`), and the indices after its last key
/// apart (`[1]` of `init.point[1]`: an entry of an array value, or the table of an array of tables
/// that lacks a field). The private field through which `toml::Spanned` reads its value is left out.
fn dotted(path: &serde_path_to_error::Path) -> (String, String) {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    let mut pending = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => pending.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } if key != SPANNED_VALUE => {
                out.push_str(&std::mem::take(&mut pending));
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Map { .. } | Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    (out, pending)
}

/// The field through which `toml::Spanned` hands its value to serde (private to serde_spanned).
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";

/// The first `word` in backticks within `message`.
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// The tables a scenario has once.
const SINGLE_TABLES: [&str; 5] = ["objective", "init", "run", "output", "diagnostics"];

/// The tables a scenario may repeat.
const ARRAY_TABLES: [&str; 2] = ["method", "compare"];

/// The longest message (the rest is cut: a value may be a megabyte long).
const MAX_MESSAGE_CHARS: usize = 2000;

/// `message` made safe to print: control characters other than newlines escaped (a value may hold an
/// escape sequence for the terminal), every backticked excerpt cut to
/// [`crate::error::MAX_EXCERPT_CHARS`], and the whole cut to [`MAX_MESSAGE_CHARS`].
pub fn tame(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts are inside backticks: values quoted from the file.
        out.push_str(&if i % 2 == 1 {
            excerpt(part)
        } else {
            escape_controls(part)
        });
    }
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + " …";
    }
    out
}

/// An integer literal TOML holds but an i64 does not, as serde words it (`invalid value: integer
/// `N`, expected i64` or `invalid type: integer `N` as i128, expected i64`): says it is out of range
/// and what the limit is.
fn out_of_range(message: &str) -> Option<String> {
    let is_integer =
        message.starts_with("invalid value: integer `") || message.starts_with("invalid type: integer `");
    if !is_integer || !message.ends_with("expected i64") {
        return None;
    }
    let number = backticked(message)?;
    let limit = if number.starts_with('-') {
        format!("at least {}", i64::MIN)
    } else {
        format!("at most {}", i64::MAX)
    };
    Some(format!("`{number}` is out of range: {limit}"))
}

/// Serde's message with Rust type names replaced by the words a TOML user knows.
fn plain(message: &str) -> String {
    if let Some(m) = out_of_range(message) {
        return m;
    }
    let mut m = message
        .replace("expected i64", "expected an integer")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("invalid type: map", "invalid type: table");
    // `expected struct RawRun` → `expected a table`.
    while let Some(at) = m.find("expected struct ") {
        let rest = &m[at + "expected struct ".len()..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric() && c != '_')
            .unwrap_or(rest.len());
        m = format!("{}expected a table{}", &m[..at], &rest[end..]);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tamed_for_the_terminal() {
        let long = "v".repeat(5000);
        let m = tame(&format!("unknown kind `{long}\u{1b}`; allowed: gd\u{7}"));
        assert_eq!(
            m,
            format!("unknown kind `{}…`; allowed: gd\\u{{7}}", "v".repeat(60))
        );
        assert!(tame(&"w ".repeat(5000)).chars().count() <= MAX_MESSAGE_CHARS + 2);
        assert_eq!(tame("two\nlines"), "two\nlines");
    }

    /// The key of the error `src` gives when read as `T`.
    fn key_of_error<T: DeserializeOwned>(src: &str) -> String {
        let cx = Ctx {
            path: Path::new("t.toml"),
            src,
        };
        match cx.deserialize::<T>() {
            Err(Error::Scenario { key, .. }) => key,
            other => panic!("expected a scenario error, got {:?}", other.err()),
        }
    }

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Entry {
        id: Spanned<String>,
        point: Option<Spanned<Vec<f64>>>,
    }

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct File {
        entry: Vec<Spanned<Entry>>,
    }

    #[test]
    fn errors_name_the_dotted_key_they_are_about() {
        let two = "[[entry]]\nid = \"a\"\n[[entry]]\n";
        // A missing field is reported at the table that lacks it: the second entry.
        assert_eq!(key_of_error::<File>(two), "entry[1].id");
        assert_eq!(
            key_of_error::<File>(&format!("{two}id = \"b\"\nrtol = 1\n")),
            "entry[1].rtol"
        );
        // An entry of an array value: the key names the value.
        assert_eq!(
            key_of_error::<File>("entry = [{ id = \"a\", point = [1.0, \"x\"] }]"),
            "entry[0].point"
        );
        assert_eq!(key_of_error::<File>("entry = []\nname = 1\n"), "name");
        assert_eq!(key_of_error::<File>(""), "entry");
        // A syntax error: the key of the line.
        assert_eq!(
            key_of_error::<File>("[[entry]]\nid = \"a\nx = 1\n"),
            "entry[0].id"
        );
        assert_eq!(key_of_error::<File>("= 1\n"), "(syntax)");
    }

    #[test]
    fn integers_beyond_i64_are_out_of_range() {
        assert_eq!(
            plain("invalid value: integer `9223372036854775808`, expected i64"),
            "`9223372036854775808` is out of range: at most 9223372036854775807"
        );
        assert_eq!(
            plain("invalid type: integer `-9223372036854775809` as i128, expected i64"),
            "`-9223372036854775809` is out of range: at least -9223372036854775808"
        );
        assert_eq!(
            plain("invalid type: string \"x\", expected i64"),
            "invalid type: string \"x\", expected an integer"
        );
    }
}
