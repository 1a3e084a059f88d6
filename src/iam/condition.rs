//! The `Condition` element: operators, value parsing and three-valued evaluation
//! (docs/iam.md#conditions).
//!
//! Combining rules: conditions of one statement are ANDed (every operator, every key); the
//! values listed for one key are ORed for positive operators, and for negated operators the
//! request value must differ from every listed value. Each test is `True`, `False` or `Unknown`
//! (a key the context does not know, a policy variable whose key is unknown, a value that
//! cannot be read as the operator's type).

use super::matcher::{ArnPattern, ArnSplit};
use super::policy::{PolicyError, child, index};
use super::request::{KeyState, RequestContext};
use super::variables::{Syntax, Template, VarFail, VarMatch};
use crate::base::known::Tri;
use serde_json::Value;
use std::net::IpAddr;

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOperator {
    ForAllValues,
    ForAnyValue,
}

/// The operator without its set prefix and `IfExists` suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const BASE_OPERATORS: [(&str, BaseOperator); 27] = [
    ("stringequals", BaseOperator::StringEquals),
    ("stringnotequals", BaseOperator::StringNotEquals),
    (
        "stringequalsignorecase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "stringnotequalsignorecase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("stringlike", BaseOperator::StringLike),
    ("stringnotlike", BaseOperator::StringNotLike),
    ("numericequals", BaseOperator::NumericEquals),
    ("numericnotequals", BaseOperator::NumericNotEquals),
    ("numericlessthan", BaseOperator::NumericLessThan),
    ("numericlessthanequals", BaseOperator::NumericLessThanEquals),
    ("numericgreaterthan", BaseOperator::NumericGreaterThan),
    (
        "numericgreaterthanequals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("dateequals", BaseOperator::DateEquals),
    ("datenotequals", BaseOperator::DateNotEquals),
    ("datelessthan", BaseOperator::DateLessThan),
    ("datelessthanequals", BaseOperator::DateLessThanEquals),
    ("dategreaterthan", BaseOperator::DateGreaterThan),
    ("dategreaterthanequals", BaseOperator::DateGreaterThanEquals),
    ("bool", BaseOperator::Bool),
    ("binaryequals", BaseOperator::BinaryEquals),
    ("ipaddress", BaseOperator::IpAddress),
    ("notipaddress", BaseOperator::NotIpAddress),
    ("arnequals", BaseOperator::ArnEquals),
    ("arnlike", BaseOperator::ArnLike),
    ("arnnotequals", BaseOperator::ArnNotEquals),
    ("arnnotlike", BaseOperator::ArnNotLike),
    ("null", BaseOperator::Null),
];

impl BaseOperator {
    /// Negated operators are true for an absent key and require the request value to differ
    /// from every listed value.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            BaseOperator::StringNotEquals
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringNotLike
                | BaseOperator::NumericNotEquals
                | BaseOperator::DateNotEquals
                | BaseOperator::NotIpAddress
                | BaseOperator::ArnNotEquals
                | BaseOperator::ArnNotLike
        )
    }
}

/// A full operator, e.g. `ForAnyValue:StringLikeIfExists`.
#[derive(Clone, Debug, PartialEq)]
pub struct Operator {
    pub set: Option<SetOperator>,
    pub base: BaseOperator,
    pub if_exists: bool,
    /// As written in the policy.
    pub text: String,
}

impl Operator {
    /// `None` for anything that is not an IAM condition operator (names are matched without
    /// regard to case). `NullIfExists` and set operators on `Null` are rejected, as IAM does.
    pub fn parse(text: &str) -> Option<Operator> {
        let (set, rest) = match text.split_once(':') {
            Some((prefix, rest)) => {
                let set = match prefix.to_ascii_lowercase().as_str() {
                    "forallvalues" => SetOperator::ForAllValues,
                    "foranyvalue" => SetOperator::ForAnyValue,
                    _ => return None,
                };
                (Some(set), rest)
            }
            None => (None, text),
        };
        let lower = rest.to_ascii_lowercase();
        let (name, if_exists) = match lower.strip_suffix("ifexists") {
            Some(n) => (n, true),
            None => (lower.as_str(), false),
        };
        let base = BASE_OPERATORS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b)?;
        if base == BaseOperator::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator {
            set,
            base,
            if_exists,
            text: text.to_string(),
        })
    }
}

/// Listed values, parsed for the operator's type. `None` entries could not be read as that
/// type; testing against them is `Unknown` (never a silent false).
#[derive(Clone, Debug)]
enum Values {
    /// Equals and Like families; `ignore_case` for the IgnoreCase pair.
    Strings {
        templates: Vec<Template>,
        ignore_case: bool,
    },
    Numbers(Vec<Option<f64>>),
    /// Milliseconds since the Unix epoch.
    Dates(Vec<Option<i128>>),
    Bools(Vec<Option<bool>>),
    Binary(Vec<String>),
    Cidrs(Vec<Option<Cidr>>),
    Arns(Vec<ArnPattern>),
    /// `true`: the key must be absent.
    Null(Vec<bool>),
}

/// One operator applied to one key.
#[derive(Clone, Debug)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written in the policy.
    pub key: String,
    key_lc: String,
    /// The listed values as text (`true` and `"true"` both become `true`).
    pub values: Vec<String>,
    parsed: Values,
}

/// Parses a `Condition` block; `path` is the JSON pointer of the block.
pub(crate) fn parse_conditions(
    block: &Value,
    path: &str,
    variables: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let ops = block.as_object().ok_or_else(|| {
        PolicyError::new(path, "Condition must be an object of operators".to_string())
    })?;
    let mut out = Vec::new();
    for (op_text, keys) in ops {
        let op_path = child(path, op_text);
        let operator = Operator::parse(op_text).ok_or_else(|| {
            PolicyError::new(&op_path, format!("unknown condition operator `{op_text}`"))
        })?;
        let keys = keys.as_object().ok_or_else(|| {
            PolicyError::new(
                &op_path,
                format!("`{op_text}` must map condition keys to values"),
            )
        })?;
        for (key, raw) in keys {
            let key_path = child(&op_path, key);
            if key.trim().is_empty() {
                return Err(PolicyError::new(
                    &key_path,
                    "empty condition key".to_string(),
                ));
            }
            let values = condition_values(raw, &key_path)?;
            let parsed = parse_values(&operator, &values, variables, &key_path)?;
            out.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                key_lc: key.to_ascii_lowercase(),
                values,
                parsed,
            });
        }
    }
    Ok(out)
}

/// A string, bool or number, or a non-empty array of them, as text.
fn condition_values(raw: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    fn scalar(v: &Value, path: &str) -> Result<String, PolicyError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(PolicyError::new(
                path,
                "condition value must be a string, a boolean or a number".to_string(),
            )),
        }
    }
    match raw {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(PolicyError::new(
                    path,
                    "condition value list is empty".to_string(),
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, v)| scalar(v, &index(path, i)))
                .collect()
        }
        other => Ok(vec![scalar(other, path)?]),
    }
}

fn parse_values(
    op: &Operator,
    values: &[String],
    variables: bool,
    path: &str,
) -> Result<Values, PolicyError> {
    use BaseOperator as B;
    let strings = |wildcards: bool, ignore_case: bool| Values::Strings {
        templates: values
            .iter()
            .map(|v| {
                Template::compile(
                    v,
                    Syntax {
                        wildcards,
                        variables,
                    },
                )
            })
            .collect(),
        ignore_case,
    };
    Ok(match op.base {
        B::StringEquals | B::StringNotEquals => strings(false, false),
        B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => strings(false, true),
        B::StringLike | B::StringNotLike => strings(true, false),
        B::NumericEquals
        | B::NumericNotEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => {
            Values::Numbers(values.iter().map(|v| parse_number(v)).collect())
        }
        B::DateEquals
        | B::DateNotEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => Values::Dates(values.iter().map(|v| parse_date(v)).collect()),
        B::Bool => Values::Bools(values.iter().map(|v| parse_bool(v)).collect()),
        B::BinaryEquals => Values::Binary(values.to_vec()),
        B::IpAddress | B::NotIpAddress => {
            Values::Cidrs(values.iter().map(|v| Cidr::parse(v)).collect())
        }
        B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => Values::Arns(
            values
                .iter()
                .map(|v| ArnPattern::compile(v, variables.then_some(0)))
                .collect(),
        ),
        B::Null => {
            let mut flags = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                match parse_bool(v) {
                    Some(b) => flags.push(b),
                    None => {
                        let p = if values.len() > 1 {
                            index(path, i)
                        } else {
                            path.to_string()
                        };
                        return Err(PolicyError::new(
                            &p,
                            format!("Null takes \"true\" or \"false\", found `{v}`"),
                        ));
                    }
                }
            }
            Values::Null(flags)
        }
    })
}

/// One listed value tested against one request value, before negation.
enum Test {
    Match,
    NoMatch,
    /// A policy variable's key is unknown.
    UnknownVar(String),
    /// A policy variable cannot be resolved (absent key, no default).
    Unresolvable,
    /// The policy value or the request value is not of the operator's type.
    Invalid,
}

impl Condition {
    /// Evaluates this condition; keys that made the answer `Unknown` are appended to `keys`.
    pub(crate) fn evaluate(&self, ctx: &RequestContext, keys: &mut Vec<String>) -> Tri {
        let state = ctx.lookup(&self.key_lc);
        let unknown = |keys: &mut Vec<String>| {
            keys.push(self.key.clone());
            Tri::Unknown
        };
        if let Values::Null(flags) = &self.parsed {
            let present = match state {
                KeyState::Single(_) => true,
                KeyState::Multi(v) if !v.is_empty() => true,
                KeyState::Absent => false,
                // A present-but-empty multi-valued key: whether IAM calls it null is not
                // documented.
                KeyState::Multi(_) | KeyState::Unknown => return unknown(keys),
            };
            return Tri::from_bool(
                flags
                    .iter()
                    .any(|must_be_absent| *must_be_absent != present),
            );
        }
        match self.operator.set {
            Some(set) => match state {
                KeyState::Unknown => unknown(keys),
                KeyState::Absent => self.evaluate_set(set, true, std::iter::empty(), ctx, keys),
                // A single-valued key is a one-element set.
                KeyState::Single(v) => self.evaluate_set(set, false, std::iter::once(v), ctx, keys),
                KeyState::Multi(vs) => {
                    self.evaluate_set(set, false, vs.iter().map(String::as_str), ctx, keys)
                }
            },
            None => match state {
                KeyState::Unknown => unknown(keys),
                KeyState::Absent => {
                    Tri::from_bool(self.operator.if_exists || self.operator.base.is_negated())
                }
                // Operators without a set prefix on a multi-valued key: AWS documents the result
                // as unreliable, so it is not decided here.
                KeyState::Multi(_) => unknown(keys),
                KeyState::Single(v) => self.test_value(v, ctx, keys),
            },
        }
    }

    fn evaluate_set<'v>(
        &self,
        set: SetOperator,
        absent: bool,
        values: impl Iterator<Item = &'v str>,
        ctx: &RequestContext,
        keys: &mut Vec<String>,
    ) -> Tri {
        match set {
            // Vacuously true for an absent key or an empty set.
            SetOperator::ForAllValues => {
                let mut acc = Tri::True;
                for v in values {
                    acc = acc.and(self.test_value(v, ctx, keys));
                    if acc == Tri::False {
                        break;
                    }
                }
                acc
            }
            SetOperator::ForAnyValue => {
                if absent && self.operator.if_exists {
                    // ForAnyValue is false for an absent key, IfExists says true: undocumented.
                    keys.push(self.key.clone());
                    return Tri::Unknown;
                }
                let mut acc = Tri::False;
                for v in values {
                    acc = acc.or(self.test_value(v, ctx, keys));
                    if acc == Tri::True {
                        break;
                    }
                }
                acc
            }
        }
    }

    /// The operator applied to one request value, across every listed value.
    fn test_value(&self, v: &str, ctx: &RequestContext, keys: &mut Vec<String>) -> Tri {
        let negated = self.operator.base.is_negated();
        let mut acc = if negated { Tri::True } else { Tri::False };
        let count = self.values.len();
        for i in 0..count {
            let r = match self.test_one(i, v, ctx) {
                Test::Match => Tri::True,
                Test::NoMatch => Tri::False,
                Test::UnknownVar(k) => {
                    keys.push(k);
                    Tri::Unknown
                }
                // A positive test cannot match through an unresolvable variable; for a negated
                // test IAM may treat the statement as invalid, so it is not decided.
                Test::Unresolvable if !negated => Tri::False,
                Test::Unresolvable | Test::Invalid => {
                    keys.push(self.key.clone());
                    Tri::Unknown
                }
            };
            if negated {
                acc = acc.and(!r);
                if acc == Tri::False {
                    break;
                }
            } else {
                acc = acc.or(r);
                if acc == Tri::True {
                    break;
                }
            }
        }
        acc
    }

    fn test_one(&self, i: usize, v: &str, ctx: &RequestContext) -> Test {
        use BaseOperator as B;
        let from_var = |m: VarMatch| match m {
            VarMatch::Yes => Test::Match,
            VarMatch::No => Test::NoMatch,
            VarMatch::Fail(VarFail::Unknown(k)) => Test::UnknownVar(k),
            VarMatch::Fail(VarFail::Unresolvable) => Test::Unresolvable,
        };
        let bool_test = |b: bool| if b { Test::Match } else { Test::NoMatch };
        match &self.parsed {
            Values::Strings {
                templates,
                ignore_case,
            } => {
                let Some(t) = templates.get(i) else {
                    return Test::Invalid;
                };
                if *ignore_case {
                    match t.resolve_text(ctx) {
                        Ok(text) => bool_test(text.to_lowercase() == v.to_lowercase()),
                        Err(VarFail::Unknown(k)) => Test::UnknownVar(k),
                        Err(VarFail::Unresolvable) => Test::Unresolvable,
                    }
                } else {
                    from_var(t.matches(v, ctx))
                }
            }
            Values::Numbers(ns) => {
                let (Some(Some(p)), Some(r)) = (ns.get(i), parse_number(v)) else {
                    return Test::Invalid;
                };
                bool_test(match self.operator.base {
                    B::NumericEquals | B::NumericNotEquals => r == *p,
                    B::NumericLessThan => r < *p,
                    B::NumericLessThanEquals => r <= *p,
                    B::NumericGreaterThan => r > *p,
                    B::NumericGreaterThanEquals => r >= *p,
                    _ => return Test::Invalid,
                })
            }
            Values::Dates(ds) => {
                let (Some(Some(p)), Some(r)) = (ds.get(i), parse_date(v)) else {
                    return Test::Invalid;
                };
                bool_test(match self.operator.base {
                    B::DateEquals | B::DateNotEquals => r == *p,
                    B::DateLessThan => r < *p,
                    B::DateLessThanEquals => r <= *p,
                    B::DateGreaterThan => r > *p,
                    B::DateGreaterThanEquals => r >= *p,
                    _ => return Test::Invalid,
                })
            }
            Values::Bools(bs) => match (bs.get(i), parse_bool(v)) {
                (Some(Some(p)), Some(r)) => bool_test(*p == r),
                _ => Test::Invalid,
            },
            Values::Binary(bs) => match bs.get(i) {
                Some(p) => bool_test(p == v),
                None => Test::Invalid,
            },
            Values::Cidrs(cs) => match (cs.get(i), v.trim().parse::<IpAddr>()) {
                (Some(Some(c)), Ok(ip)) => bool_test(c.contains(ip)),
                _ => Test::Invalid,
            },
            Values::Arns(ps) => {
                let Some(p) = ps.get(i) else {
                    return Test::Invalid;
                };
                let split = ArnSplit::new(v);
                if split.count() < 6 || !v.starts_with("arn:") {
                    return Test::Invalid;
                }
                from_var(p.matches(v, &split, ctx))
            }
            Values::Null(_) => Test::Invalid,
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An optional sign, digits, and an optional fraction. Exponents, `inf` and `NaN` are not IAM
/// numbers.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    if body.contains('.') && frac.is_empty() && int.is_empty() {
        return None;
    }
    t.parse::<f64>().ok()
}

/// A date condition value: Unix epoch seconds (an integer) or ISO 8601 (`2024-05-01`,
/// `2024-05-01T10:00Z`, `2024-05-01T10:00:00.5+02:00`; no zone means UTC). Milliseconds.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i128>().ok().map(|secs| secs * 1000);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i128> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    if b.len() == 10 {
        return Some(ms);
    }
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    if b.get(13) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    ms += (hour * 60 + minute) * 60_000;
    let mut pos = 16;
    if b.get(pos) == Some(&b':') {
        let sec = num(pos + 1, 2)?;
        if sec > 60 {
            return None;
        }
        ms += sec * 1000;
        pos += 3;
        if b.get(pos) == Some(&b'.') {
            let start = pos + 1;
            let mut end = start;
            while b.get(end).is_some_and(|c| c.is_ascii_digit()) {
                end += 1;
            }
            if end == start {
                return None;
            }
            // Milliseconds: the first three fraction digits.
            let frac = s.get(start..end)?;
            let padded = format!("{:0<3}", frac.get(..frac.len().min(3))?);
            ms += padded.parse::<i128>().ok()?;
            pos = end;
        }
    }
    match b.get(pos) {
        None => Some(ms),
        Some(b'Z' | b'z') if pos + 1 == b.len() => Some(ms),
        Some(sign @ (b'+' | b'-')) => {
            let rest = s.get(pos + 1..)?;
            let (oh, om) = match rest.len() {
                5 if rest.as_bytes().get(2) == Some(&b':') => (num(pos + 1, 2)?, num(pos + 4, 2)?),
                4 => (num(pos + 1, 2)?, num(pos + 3, 2)?),
                2 => (num(pos + 1, 2)?, 0),
                _ => return None,
            };
            let offset = (oh * 60 + om) * 60_000;
            Some(if *sign == b'+' {
                ms - offset
            } else {
                ms + offset
            })
        }
        _ => None,
    }
}

fn days_in_month(year: i128, month: i128) -> i128 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
fn days_from_civil(year: i128, month: i128, day: i128) -> i128 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An IPv4 or IPv6 network; a bare address is a /32 or /128.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 3 {
                    return None;
                }
                (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?))
            }
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Cidr { addr, prefix })
    }

    /// An IPv4 address is never inside an IPv6 network, nor the reverse.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                (u32::from(net) & mask) == (u32::from(ip) & mask)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                (u128::from(net) & mask) == (u128::from(ip) & mask)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conds(block: Value) -> Vec<Condition> {
        parse_conditions(&block, "/Statement/0/Condition", true).unwrap()
    }

    fn eval(block: Value, ctx: &RequestContext) -> Tri {
        let mut keys = Vec::new();
        conds(block)
            .iter()
            .fold(Tri::True, |acc, c| acc.and(c.evaluate(ctx, &mut keys)))
    }

    fn ctx() -> RequestContext {
        let mut c = RequestContext::new();
        c.set("aws:SourceVpc", "vpc-1")
            .set("aws:PrincipalTag/team", "Blue")
            .set("aws:SecureTransport", "true")
            .set("aws:MultiFactorAuthAge", "300")
            .set("aws:CurrentTime", "2024-05-01T12:00:00Z")
            .set("aws:EpochTime", "1714564800")
            .set("aws:SourceIp", "10.1.2.3")
            .set(
                "aws:PrincipalArn",
                "arn:aws:iam::111122223333:role/svc/exec",
            )
            .set_multi(
                "aws:PrincipalOrgPaths",
                vec!["o-1/r-1/ou-a/".into(), "o-1/r-1/ou-b/".into()],
            )
            .set_multi("aws:TagKeys", vec![])
            .set_absent("aws:SourceVpce")
            .set("aws:username", "Blue");
        c
    }

    #[test]
    fn string_family() {
        let c = ctx();
        assert_eq!(
            eval(
                json!({"StringEquals": {"aws:SourceVpc": ["vpc-2", "vpc-1"]}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(json!({"StringEquals": {"AWS:SOURCEVPC": "VPC-1"}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"StringEqualsIgnoreCase": {"aws:SourceVpc": "VPC-1"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"StringNotEquals": {"aws:SourceVpc": ["vpc-2", "vpc-3"]}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"StringNotEquals": {"aws:SourceVpc": ["vpc-2", "vpc-1"]}}),
                &c
            ),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"StringNotEqualsIgnoreCase": {"aws:SourceVpc": "VPC-1"}}),
                &c
            ),
            Tri::False
        );
        assert_eq!(
            eval(json!({"StringLike": {"aws:SourceVpc": "vpc-?"}}), &c),
            Tri::True
        );
        assert_eq!(
            eval(json!({"StringNotLike": {"aws:SourceVpc": "vpc-*"}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}),
                &c
            ),
            Tri::True
        );
    }

    #[test]
    fn absent_unknown_and_if_exists() {
        let c = ctx();
        assert_eq!(
            eval(json!({"StringEquals": {"aws:SourceVpce": "vpce-1"}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(json!({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), &c),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-9"}}),
                &c
            ),
            Tri::False
        );
        assert_eq!(
            eval(json!({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}), &c),
            Tri::Unknown
        );
        assert_eq!(
            eval(json!({"Null": {"aws:SourceVpce": "true"}}), &c),
            Tri::True
        );
        assert_eq!(
            eval(json!({"Null": {"aws:SourceVpc": true}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(json!({"Null": {"aws:SourceVpc": "false"}}), &c),
            Tri::True
        );
        assert_eq!(
            eval(json!({"Null": {"aws:PrincipalOrgID": "false"}}), &c),
            Tri::Unknown
        );
        // False wins over unknown in a block.
        assert_eq!(
            eval(
                json!({"StringEquals": {"aws:PrincipalOrgID": "o-1", "aws:SourceVpc": "x"}}),
                &c
            ),
            Tri::False
        );
    }

    #[test]
    fn set_operators() {
        let c = ctx();
        let paths = |op: &str, v: Value| json!({ op: {"aws:PrincipalOrgPaths": v} });
        assert_eq!(
            eval(paths("ForAnyValue:StringLike", json!("o-1/r-1/ou-b/*")), &c),
            Tri::True
        );
        assert_eq!(
            eval(
                paths("ForAllValues:StringLike", json!("o-1/r-1/ou-b/*")),
                &c
            ),
            Tri::False
        );
        assert_eq!(
            eval(
                paths("ForAllValues:StringLike", json!(["*ou-a/", "*ou-b/"])),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(paths("ForAllValues:StringNotEquals", json!("o-2/")), &c),
            Tri::True
        );
        assert_eq!(
            eval(
                paths("ForAnyValue:StringNotEquals", json!("o-1/r-1/ou-a/")),
                &c
            ),
            Tri::True
        );
        // Single-value operator on a multi-valued key: not decided.
        assert_eq!(eval(paths("StringLike", json!("*")), &c), Tri::Unknown);
        // Empty set and absent keys.
        assert_eq!(
            eval(
                json!({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}),
                &c
            ),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"ForAllValues:StringEquals": {"aws:SourceVpce": "a"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ForAnyValue:StringEquals": {"aws:SourceVpce": "a"}}),
                &c
            ),
            Tri::False
        );
        // A single-valued key is a one-element set.
        assert_eq!(
            eval(
                json!({"ForAnyValue:StringEquals": {"aws:SourceVpc": "vpc-1"}}),
                &c
            ),
            Tri::True
        );
    }

    #[test]
    fn numeric_date_bool_ip_arn_binary() {
        let c = ctx();
        assert_eq!(
            eval(
                json!({"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "300.0"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"NumericNotEquals": {"aws:MultiFactorAuthAge": "300"}}),
                &c
            ),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"NumericEquals": {"aws:MultiFactorAuthAge": "abc"}}),
                &c
            ),
            Tri::Unknown
        );
        assert_eq!(
            eval(
                json!({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"DateEquals": {"aws:CurrentTime": "2024-05-01T14:00:00+02:00"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"DateEquals": {"aws:EpochTime": "2024-05-01T12:00:00Z"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(json!({"DateLessThan": {"aws:CurrentTime": 1714564800}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(json!({"Bool": {"aws:SecureTransport": true}}), &c),
            Tri::True
        );
        assert_eq!(
            eval(json!({"Bool": {"aws:SecureTransport": "FALSE"}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "10.0.0.0/8"]}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(json!({"NotIpAddress": {"aws:SourceIp": "10.1.2.3"}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}), &c),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/svc/*"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/svc/exec"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/other"}}),
                &c
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:IAM::*:role/svc/*"}}),
                &c
            ),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"BinaryEquals": {"aws:PrincipalTag/team": "Blue"}}),
                &c
            ),
            Tri::True
        );
    }

    #[test]
    fn ipv6_networks() {
        let net = Cidr::parse("2001:db8::/32").unwrap();
        assert!(net.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!net.contains("2001:db9::1".parse().unwrap()));
        assert!(!net.contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.0/").is_none());
        assert!(
            Cidr::parse("::/0")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
    }

    #[test]
    fn dates_parse() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1970-01-02T00:00:00Z"), Some(86_400_000));
        assert_eq!(parse_date("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("12"), Some(12_000));
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2024-05-01T12:00:00Zjunk"), None);
    }

    #[test]
    fn numbers_parse() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e3"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("."), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn bad_operators_and_values_are_errors_with_a_place() {
        let err = parse_conditions(&json!({"StringEqulas": {"k": "v"}}), "/C", true).unwrap_err();
        assert_eq!(err.path, "/C/StringEqulas");
        assert!(err.message.contains("unknown condition operator"));
        for bad in [
            "NullIfExists",
            "ForAllValues:Null",
            "ForSomeValues:StringEquals",
            "Like",
        ] {
            assert!(
                parse_conditions(&json!({ bad: {"k": "v"}}), "/C", true).is_err(),
                "{bad}"
            );
        }
        let err = parse_conditions(&json!({"StringEquals": {"aws:TagKeys/x": []}}), "/C", true)
            .unwrap_err();
        assert_eq!(err.path, "/C/StringEquals/aws:TagKeys~1x");
        assert!(parse_conditions(&json!({"StringEquals": {"k": null}}), "/C", true).is_err());
        assert!(parse_conditions(&json!({"StringEquals": {"k": {"a": 1}}}), "/C", true).is_err());
        assert!(parse_conditions(&json!({"StringEquals": "v"}), "/C", true).is_err());
        assert!(parse_conditions(&json!({"Null": {"k": "maybe"}}), "/C", true).is_err());
        assert!(parse_conditions(&json!([]), "/C", true).is_err());
        // Operator names are matched without regard to case.
        let ok = parse_conditions(
            &json!({"forallvalues:stringlikeifexists": {"k": "v"}}),
            "/C",
            true,
        )
        .unwrap();
        assert_eq!(ok[0].operator.set, Some(SetOperator::ForAllValues));
        assert!(ok[0].operator.if_exists);
    }
}
