//! The library's one error type. Every message says what is wrong and what is allowed.

use std::path::PathBuf;

/// Where in a scenario file a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The scenario file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// Everything that can go wrong in flowgap's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario is malformed or impossible; nothing was run or written.
    #[error("{location}: {key}: {message}")]
    Scenario {
        /// File, line and column.
        location: Location,
        /// The offending key, dotted (e.g. `run.step_size`).
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A named scenario does not exist.
    #[error("no scenario named `{name}` in {dir}; run `flowgap list` to see the names, or give a path to a .toml file")]
    UnknownScenario {
        /// The name asked for.
        name: String,
        /// The folder searched.
        dir: PathBuf,
    },
    /// The output folder holds something a run must not replace.
    #[error("will not write into {dir}: {why}")]
    OutputOccupied {
        /// The folder.
        dir: PathBuf,
        /// Why, and what to do.
        why: String,
    },
    /// A scenario has no golden file to check against.
    #[error("no golden file at {path}; run `flowgap check --bless` to create it from the current results (check them first)")]
    MissingGolden {
        /// Where it was expected.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A data file (CSV) or a dataset's settings are unusable: the file, and where known the row (1-based,
    /// as a spreadsheet shows it: the header is row 1) and the column.
    #[error("{}", data_text(file, *row, column.as_deref(), message))]
    Data {
        /// The data file (or, for a synthetic source, what was asked for).
        file: PathBuf,
        /// 1-based row of the file, when the fault is in one row.
        row: Option<usize>,
        /// The column's name, when the fault is in one column.
        column: Option<String>,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A file flowgap reads is unusable: not a regular file, too large, not text, or (for a saved run,
    /// golden file or sweep part) missing or not what flowgap wrote.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Drawing a figure failed.
    #[error("figure {figure}: {message}")]
    Render {
        /// The figure's name.
        figure: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// True when the error is the user's input (exit code 2), not the machine's.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Scenario { .. }
                | Error::UnknownScenario { .. }
                | Error::OutputOccupied { .. }
                | Error::Data { .. }
                | Error::Input { .. }
        )
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// `file, row 7, column `x`: message`, leaving out what is not known.
fn data_text(file: &std::path::Path, row: Option<usize>, column: Option<&str>, message: &str) -> String {
    let mut s = file.display().to_string();
    if let Some(r) = row {
        s.push_str(&format!(", row {r}"));
    }
    if let Some(c) = column {
        s.push_str(&format!(", column `{c}`"));
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// The longest quoted excerpt of user text a message shows (a value echoed back in backticks).
pub const MAX_EXCERPT_CHARS: usize = 60;

/// `text` with control characters (except newlines) escaped, cut to [`MAX_EXCERPT_CHARS`] characters
/// with `…` when longer.
pub fn excerpt(text: &str) -> String {
    let escaped = escape_controls(text);
    if escaped.chars().count() <= MAX_EXCERPT_CHARS {
        return escaped;
    }
    escaped.chars().take(MAX_EXCERPT_CHARS).collect::<String>() + "…"
}

/// `text` with control characters other than newlines escaped (`\u{1b}`), so that it cannot drive
/// the terminal.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_escaped_and_cut() {
        assert_eq!(excerpt("a\tb\u{1b}[0m"), "a\\tb\\u{1b}[0m");
        assert_eq!(excerpt("two\nlines"), "two\nlines");
        let long = excerpt(&"é".repeat(MAX_EXCERPT_CHARS + 1));
        assert_eq!(long, "é".repeat(MAX_EXCERPT_CHARS) + "…");
        assert_eq!(
            excerpt(&"é".repeat(MAX_EXCERPT_CHARS)),
            "é".repeat(MAX_EXCERPT_CHARS)
        );
    }
}
