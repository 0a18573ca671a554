//! Building scenario errors that point into the file: file, line, column, dotted key, what is allowed.

use super::locate::{key_at, line_col};
use crate::error::{Error, Location, Result};
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// Builds errors that point into one file.
pub struct Ctx<'a> {
    /// The scenario file, for messages.
    pub path: &'a Path,
    /// Its text.
    pub src: &'a str,
}

impl Ctx<'_> {
    /// Deserialises the whole file into `T`, mapping TOML and serde errors to located ones. Types that
    /// read only a part of the file (one table) ignore the rest by not denying unknown fields at the top.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T> {
        toml::from_str(self.src).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let key = backticked(&message)
                .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"))
                .map(|k| match key_at(self.src, span.start) {
                    Some(table) if message.starts_with("missing field") => format!("{table}.{k}"),
                    Some(found) if message.starts_with("unknown field") && found.ends_with(&k) => found,
                    Some(table) => format!("{table}.{k}"),
                    None => k,
                })
                .or_else(|| key_at(self.src, span.start))
                .unwrap_or_else(|| "(syntax)".to_string());
            self.err(span, key, message)
        })
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
            message: message.into(),
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

/// The first `word` in backticks within `message`.
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}
