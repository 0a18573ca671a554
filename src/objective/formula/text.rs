//! Reading a formula's text for what exmex's own errors do not say: where a fault is, where a name or
//! an operator occurs, and the spots where exmex's precedence differs from the usual reading.
//!
//! exmex stays the parser. The scanner here only splits the text into tokens with byte offsets,
//! following exmex 0.21's tokenizer rules (operators matched longest-name-first, a unary operator name
//! only when no letter or digit follows it, numbers as digits and dots, `{…}` as a variable), so that
//! messages can point at a character.

use exmex::{FloatOpsFactory, MakeOperators};

/// What a token is, as exmex reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A number literal such as `2` or `0.5`.
    Num,
    /// A variable name.
    Var,
    /// A named constant (`PI`, `π`, `E`, `e`, `TAU`, `τ`).
    Const,
    /// A unary function such as `sin` or `exp`.
    Func,
    /// A binary operator in function syntax: `atan2`, `min`, `max`.
    BinFunc,
    /// `+` or `−`, binary or unary by position.
    Sign,
    /// `*`, `/` or `^`.
    Op,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// A character exmex cannot read.
    Unknown,
}

/// One token: its kind and its byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// exmex's operators for f64 as (name, kind).
pub(super) fn operators() -> Vec<(&'static str, Kind)> {
    let mut ops: Vec<(&'static str, Kind)> = FloatOpsFactory::<f64>::make()
        .iter()
        .map(|op| {
            let repr = op.repr();
            let kind = if op.constant().is_some() {
                Kind::Const
            } else if op.has_bin() && op.has_unary() {
                Kind::Sign
            } else if op.has_bin() && repr.chars().all(char::is_alphanumeric) {
                Kind::BinFunc
            } else if op.has_bin() {
                Kind::Op
            } else {
                Kind::Func
            };
            (repr, kind)
        })
        .collect();
    // exmex tries names in reverse alphabetical order, so `log2` wins over `log` and `exp` over `e`.
    ops.sort_by(|a, b| b.0.cmp(a.0));
    ops
}

/// A character that may start a variable name (exmex: `[a-zA-Zα-ωΑ-Ω_]`).
pub(super) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || ('α'..='ω').contains(&c) || ('Α'..='Ω').contains(&c)
}

/// A character that may continue a variable name.
pub(super) fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit()
}

/// True when `s` is a whole variable name as exmex reads one.
pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Splits `text` into tokens; stops after the first [`Kind::Unknown`].
pub(super) fn tokens(text: &str) -> Vec<Token> {
    let ops = operators();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let rest = &text[at..];
        let token = |kind, len: usize| Token {
            kind,
            start: at,
            end: at + len,
        };
        let t = if c == ' ' {
            at += 1;
            continue;
        } else if c == '(' {
            token(Kind::Open, 1)
        } else if c == ')' {
            token(Kind::Close, 1)
        } else if c == ',' {
            token(Kind::Comma, 1)
        } else if c == '{' {
            // exmex: everything up to the closing brace (or the end) is the name.
            let len = rest.find('}').map_or(rest.len(), |i| i + 1);
            token(Kind::Var, len)
        } else if let Some(len) = number_len(rest) {
            token(Kind::Num, len)
        } else if let Some((repr, kind)) = ops.iter().find(|(repr, kind)| {
            rest.starts_with(repr)
                && (*kind != Kind::Func && *kind != Kind::Const
                    || !is_name(repr)
                    || !rest[repr.len()..].chars().next().is_some_and(is_name_char))
        }) {
            token(*kind, repr.len())
        } else if is_name_start(c) {
            let len = rest
                .char_indices()
                .find(|&(_, ch)| !is_name_char(ch))
                .map_or(rest.len(), |(i, _)| i);
            token(Kind::Var, len)
        } else {
            out.push(token(Kind::Unknown, c.len_utf8()));
            break;
        };
        at = t.end;
        out.push(t);
    }
    out
}

/// exmex's number literal: digits and dots, at most one dot, not a lone dot.
fn number_len(rest: &str) -> Option<usize> {
    let len = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    let dots = rest[..len].matches('.').count();
    ((len > 1 && dots < 2) || (len == 1 && dots == 0)).then_some(len)
}

/// The name a variable token stands for (braces stripped).
pub(super) fn var_name<'t>(text: &'t str, t: &Token) -> &'t str {
    let s = &text[t.start..t.end];
    s.strip_prefix('{')
        .map(|s| s.strip_suffix('}').unwrap_or(s))
        .unwrap_or(s)
}

/// True when the `+`/`−` at index `i` is unary (exmex: binary only after an operand or `)`).
fn is_unary_sign(toks: &[Token], i: usize) -> bool {
    toks[i].kind == Kind::Sign
        && !matches!(
            i.checked_sub(1).map(|j| toks[j].kind),
            Some(Kind::Num | Kind::Var | Kind::Const | Kind::Close)
        )
}

/// True when token `i` applies a unary operator to what follows: a unary sign, or a function name not
/// followed by `(` (exmex reads `sin x` as sin(x)).
fn is_prefix(toks: &[Token], i: usize) -> bool {
    is_unary_sign(toks, i)
        || toks[i].kind == Kind::Func && toks.get(i + 1).is_none_or(|t| t.kind != Kind::Open)
}

/// The index of the `)` matching the `(` at `open`.
fn matching_close(toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0i64;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The index just past the operand starting at `i`: unary prefixes, then a number, name, constant,
/// parenthesised group or function call.
fn operand_end(toks: &[Token], mut i: usize) -> Option<usize> {
    while i < toks.len() && is_prefix(toks, i) {
        i += 1;
    }
    match toks.get(i)?.kind {
        Kind::Num | Kind::Var | Kind::Const => Some(i + 1),
        Kind::Open => matching_close(toks, i).map(|c| c + 1),
        Kind::Func | Kind::BinFunc => matching_close(toks, i + 1).map(|c| c + 1),
        _ => None,
    }
}

/// Where exmex's reading of a valid expression differs from the usual one: a unary operator applied
/// before `^` (`-x^2` is (−x)² in exmex) and a chain of powers (`a^b^c` is (a^b)^c in exmex). Returns
/// the byte offset and what to write instead.
pub(super) fn precedence_pitfall(text: &str) -> Option<(usize, String)> {
    let toks = tokens(text);
    let is_pow = |i: usize| toks.get(i).is_some_and(|t| &text[t.start..t.end] == "^");
    for i in 0..toks.len() {
        let t = toks[i];
        if is_prefix(&toks, i) {
            if let Some(end) = operand_end(&toks, i + 1).filter(|&e| is_pow(e)) {
                let op = &text[t.start..t.end];
                let sep = if t.kind == Kind::Func { " " } else { "" };
                let operand = &text[toks[i + 1].start..toks[end - 1].end];
                let exponent_end = toks.get(end + 1).map_or(text.len(), |n| n.end);
                let power = text[toks[end].start..exponent_end].trim();
                return Some((
                    t.start,
                    format!(
                        "exmex applies the unary `{op}` before `^`, so `{}` means ({op}{sep}{operand}){power}; \
                         write `{op}({operand}{power})` or `({op}{sep}{operand}){power}` to say which",
                        &text[t.start..exponent_end]
                    ),
                ));
            }
        }
        if is_pow(i) {
            if let Some(end) = operand_end(&toks, i + 1).filter(|&e| is_pow(e)) {
                return Some((
                    toks[end].start,
                    "exmex reads a chain of powers from the left (a^b^c = (a^b)^c, not the usual \
                     a^(b^c)); add parentheses to say which"
                        .to_string(),
                ));
            }
        }
    }
    None
}

/// The longest expression accepted, in characters.
pub const MAX_CHARS: usize = 1000;

/// The deepest nesting of parentheses accepted.
pub const MAX_DEPTH: usize = 32;

/// The most operators accepted: `+ - * / ^` (binary or unary) and function names, one each.
pub const MAX_OPERATORS: usize = 64;

/// Refuses a text beyond [`MAX_CHARS`], [`MAX_DEPTH`] or [`MAX_OPERATORS`]: the byte offset where the
/// limit is passed and a message.
///
/// exmex parses and differentiates by recursion, and the symbolic derivatives of long products and
/// quotients grow quadratically (second derivatives more), so these bound the stack and the time
/// [`super::Formula::new`] takes. Each check is one linear pass, and the length is checked first, so
/// any text, however long, is refused in time linear in the limit, not in the text.
pub(super) fn size_fault(text: &str) -> Option<(usize, String)> {
    if let Some((at, _)) = text.char_indices().nth(MAX_CHARS) {
        return Some((
            at,
            format!(
                "the expression is longer than {MAX_CHARS} characters (limit of formula objectives); \
                 write a shorter one"
            ),
        ));
    }
    let mut depth = 0usize;
    for (at, b) in text.bytes().enumerate() {
        match b {
            b'(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((
                        at,
                        format!(
                            "parentheses nest deeper than {MAX_DEPTH} levels here (limit of formula \
                             objectives); write a flatter expression"
                        ),
                    ));
                }
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    tokens(text)
        .iter()
        .filter(|t| is_operator(t))
        .nth(MAX_OPERATORS)
        .map(|t| {
            (
                t.start,
                format!(
                    "more than {MAX_OPERATORS} operators (each of + - * / ^ and each function counts one; \
                 limit of formula objectives, whose derivatives are symbolic); write a shorter expression"
                ),
            )
        })
}

/// True for a token that [`size_fault`] counts as an operator.
fn is_operator(t: &Token) -> bool {
    matches!(t.kind, Kind::Sign | Kind::Op | Kind::Func | Kind::BinFunc)
}

/// The number of operators in `text` as [`size_fault`] counts them (e.g. in exmex's printed derivatives).
pub(super) fn operator_count(text: &str) -> usize {
    tokens(text).iter().filter(|t| is_operator(t)).count()
}

/// The byte offset of the first occurrence of variable `name`.
pub(super) fn find_var(text: &str, name: &str) -> Option<usize> {
    tokens(text)
        .iter()
        .find(|t| t.kind == Kind::Var && var_name(text, t) == name)
        .map(|t| t.start)
}

/// The byte offset of the first use of operator `repr`.
pub(super) fn find_op(text: &str, repr: &str) -> Option<usize> {
    tokens(text)
        .iter()
        .find(|t| matches!(t.kind, Kind::Func | Kind::BinFunc) && &text[t.start..t.end] == repr)
        .map(|t| t.start)
}

/// True when exmex parses `text`.
fn parses(text: &str) -> bool {
    exmex::parse::<f64>(text).is_ok()
}

/// True when some short completion of `prefix` parses: an operand, a call, a second argument, and
/// the closing parentheses still open. exmex itself is the judge.
fn viable(prefix: &str) -> bool {
    let open = prefix.matches('(').count() as i64 - prefix.matches(')').count() as i64;
    if open < 0 {
        return false;
    }
    let close = ")".repeat(open as usize);
    // Tails with a comma complete `atan2(a, b)`, `min(a, b)` and `max(a, b)`; exmex rewrites any comma
    // around the operator before it, which would make them complete other prefixes too.
    let calls_binary = tokens(prefix).iter().any(|t| t.kind == Kind::BinFunc);
    let tails: &[&str] = if calls_binary {
        &["", "1", "(1)", ",1", "1,1", "(1,1)"]
    } else {
        &["", "1", "(1)"]
    };
    tails.iter().any(|tail| parses(&format!("{prefix}{tail}{close}")))
}

/// For a text that exmex refuses with `why`: the byte offset of the fault and a message.
///
/// The fault is the first character after which no completion of the text parses (found by asking
/// exmex about each prefix, which is cheap for formulas of a few hundred characters). When every
/// prefix could still be completed, the text ends too early: an unclosed `(` or a trailing operator.
pub(super) fn locate_fault(text: &str, why: &str) -> (usize, String) {
    if text.trim().is_empty() {
        return (0, "the expression is empty".to_string());
    }
    let fault = text
        .char_indices()
        .find(|&(i, c)| !viable(&text[..i + c.len_utf8()]))
        .map(|(i, _)| i);
    let toks = tokens(text);
    let Some(at) = fault else {
        // Every prefix can be completed: something is missing at the end.
        let mut stack = Vec::new();
        for t in &toks {
            match t.kind {
                Kind::Open => stack.push(t.start),
                Kind::Close => {
                    stack.pop();
                }
                _ => {}
            }
        }
        return match stack.last() {
            Some(&open) => (open, "this `(` is never closed".to_string()),
            None => (
                text.trim_end().len(),
                format!("the expression ends too early ({why})"),
            ),
        };
    };
    let idx = toks.iter().position(|t| t.end > at).unwrap_or(toks.len() - 1);
    let here = toks[idx];
    let before = idx.checked_sub(1).map(|j| toks[j]);
    let snippet = &text[here.start..here.end];
    let is_operand_end = |k: Kind| matches!(k, Kind::Num | Kind::Var | Kind::Const | Kind::Close);
    let starts_operand = |k: Kind| matches!(k, Kind::Num | Kind::Var | Kind::Const | Kind::Open);
    match before {
        // `sinn(x)`: a name exmex does not know, used as a function.
        Some(b) if b.kind == Kind::Var && here.kind == Kind::Open => {
            let known: Vec<&str> = operators()
                .into_iter()
                .filter(|(_, k)| matches!(k, Kind::Func | Kind::BinFunc))
                .map(|(r, _)| r)
                .rev()
                .collect();
            (
                b.start,
                format!(
                    "`{}` is not a function exmex knows; its functions are: {}",
                    var_name(text, &b),
                    known.join(", ")
                ),
            )
        }
        // `1e-3`: exmex has no scientific notation and reads `1` then the constant e.
        Some(b)
            if b.kind == Kind::Num
                && matches!(text[here.start..].chars().next(), Some('e' | 'E'))
                && b.end == here.start =>
        {
            (
                b.start,
                "exmex does not read scientific notation: write 1e-3 as 0.001 (or 10^(-3))".to_string(),
            )
        }
        // `2x`, `x y`, `(a)(b)`: two operands side by side.
        Some(b) if is_operand_end(b.kind) && starts_operand(here.kind) => (
            here.start,
            format!("an operator is missing before `{snippet}` (write `2*x`, not `2x` or `2 x`)"),
        ),
        _ if here.kind == Kind::Unknown => (
            here.start,
            format!("exmex cannot read `{snippet}` (allowed: numbers, names, + - * / ^, parentheses and functions)"),
        ),
        _ => (here.start, format!("at `{snippet}`: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fault's character (1-based) and the message.
    fn fault(text: &str) -> (usize, String) {
        let why = exmex::parse::<f64>(text).expect_err("does not parse").to_string();
        let (at, msg) = locate_fault(text, &why);
        (text[..at].chars().count() + 1, msg)
    }

    #[test]
    fn faults_are_located_at_the_offending_character() {
        // Positions counted by hand, 1-based characters.
        assert_eq!(fault("(1-x)^2 + 100*(y-x^2").0, 15); // the unclosed `(` before y
        assert_eq!(fault("x )+ y").0, 3); // the extra `)`
        assert_eq!(fault("x ** y").0, 4); // the second `*`
        assert_eq!(fault("x + 2y").0, 6); // `y` right after `2`
        assert_eq!(fault("x # y").0, 3);
        assert_eq!(fault("x + sinn(y)").0, 5); // the unknown function's name
        assert!(fault("x + sinn(y)").1.contains("`sinn` is not a function"));
        assert_eq!(fault("x*1e-3").0, 3); // the number before `e`
        assert!(fault("x*1e-3").1.contains("scientific notation"));
        let (at, msg) = fault("x + y *");
        assert_eq!(at, 8); // just past the trailing operator
        assert!(msg.contains("ends too early"), "{msg}");
        assert_eq!(fault("").1, "the expression is empty");
        // A binary function's second argument does not hide a later fault: at `z` after `2`.
        assert_eq!(fault("atan2(x, y) + 2z").0, 16);
        // An unclosed `(` after a binary function: at the `(`.
        assert_eq!(fault("max(x, y").0, 4);
        // Multi-byte characters count as one.
        assert_eq!(fault("π*x $").0, 5);
    }

    #[test]
    fn precedence_pitfalls_are_found_and_clear_forms_pass() {
        for bad in [
            "-x^2",
            "exp(-x^2)",
            "2*-x^2",
            "-sin(x)^2",
            "sin x^2",
            "-(x)^2",
            "2^3^x",
            "x^-y^2",
        ] {
            assert!(precedence_pitfall(bad).is_some(), "{bad} passed");
        }
        for good in [
            "0-x^2",
            "-(x^2)",
            "(-x)^2",
            "exp(-(x^2))",
            "sin(x)^2",
            "1-x^2",
            "x^-2",
            "(2^3)^x",
            "-x*y",
        ] {
            assert_eq!(precedence_pitfall(good), None, "{good} refused");
        }
        // The offset points at the unary minus inside exp(…): byte 4.
        assert_eq!(precedence_pitfall("exp(-x^2)").unwrap().0, 4);
    }

    #[test]
    fn tokens_follow_exmex_names() {
        let text = "log2(xy) + sinh x + e*ex + {a b}";
        let kinds: Vec<(Kind, &str)> = tokens(text)
            .iter()
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Func, "log2"),
                (Kind::Open, "("),
                (Kind::Var, "xy"),
                (Kind::Close, ")"),
                (Kind::Sign, "+"),
                (Kind::Func, "sinh"),
                (Kind::Var, "x"),
                (Kind::Sign, "+"),
                (Kind::Const, "e"),
                (Kind::Op, "*"),
                (Kind::Var, "ex"),
                (Kind::Sign, "+"),
                (Kind::Var, "{a b}"),
            ]
        );
        // And exmex agrees on the variables.
        let e = exmex::parse::<f64>(text).unwrap();
        use exmex::Express;
        assert_eq!(e.var_names(), ["a b", "ex", "x", "xy"]);
    }
}
