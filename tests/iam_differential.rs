//! Differential test of the IAM evaluator (`src/iam`) against an independent implementation,
//! the npm package `@cloud-copilot/iam-simulate`, run as a separate oracle process
//! (`tests/node/iam-oracle.mjs`). The package is AGPL: it is only ever executed as an external
//! program by this test; nothing of it is vendored, bundled or linked, and `tests/node/node_modules`
//! is not committed.
//!
//! Install the oracle: `npm --prefix tests/node ci`. Set `ECS_PREFLIGHT_SKIP_ORACLE=1` to skip
//! this test on a machine without Node.
//!
//! The test generates random policy sets and requests from a seeded PRNG (deterministic), asks
//! both implementations, and requires that wherever both give a definite answer they agree,
//! except for the classes of known differences listed in `KNOWN_DIFFERENCES`, each with its
//! reason. Where our evaluator does not know something (a key, a policy, the session name), the
//! oracle is given some concrete value: a definite answer of ours must then hold for it too.
//! A disagreement counts as a known difference only if undoing that difference on our side
//! (`neutralize`) makes us agree with the oracle's unchanged answer; each class also has a
//! hand-written example (`known_difference_examples`) that must show it.

use ecs_preflight::base::known::Tri;
use ecs_preflight::iam::{
    Decision, Evaluation, Policy, PolicyDoc, PolicySet, Principal, Request, RequestContext,
    ResourceSide, parse_policy, parse_policy_str,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CASES: usize = 12_000;
const SEED: u64 = 0x1A4D_2026_0001;

const ACCT: &str = "111111111111";
const OTHER: &str = "222222222222";
const ROLE: &str = "arn:aws:iam::111111111111:role/service-role/exec";
const SESSION: &str = "arn:aws:sts::111111111111:assumed-role/exec/task-1";

/// Classes of disagreement that are understood, with why. A disagreement is attributed to the
/// first class whose feature the case contains; any other disagreement fails the test.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "old-version-variables",
        "a policy with Version 2008-10-17 or no Version uses ${...}: \
         docs/iam.md#policy-variables (IAM Version element doc) makes policy variables literal \
         text there; the oracle substitutes them whatever the Version",
    ),
    (
        "uppercase-arn-prefix",
        "a Resource pattern has upper-case letters in the partition/service/region/account \
         parts: docs/iam.md#wildcards-and-case matches resource ARNs case-sensitively in every \
         part; the oracle matches those four parts case-insensitively",
    ),
    (
        "wildcard-in-resource-type",
        "a Resource pattern has a wildcard before the first '/' of the resource part \
         (`…:*/app`): docs/iam.md#wildcards-and-case globs the whole part; the oracle requires \
         that resource-type prefix to match literally",
    ),
    (
        "short-arn-in-not-resource",
        "NotResource lists a pattern with fewer than six ARN parts (`arn:aws:ecr:*`): we let its \
         last part match the rest (inferred, docs/iam.md#wildcards-and-case) and a non-match \
         counts as 'not listed'; the oracle pads the pattern and then, on a non-match, treats \
         the NotResource as not matching either",
    ),
    (
        "ipv4-slash-zero",
        "IpAddress/NotIpAddress with 0.0.0.0/0: the oracle builds the mask as `-1 << 32`, which \
         JavaScript computes as `-1 << 0`, so its 0.0.0.0/0 only contains 0.0.0.0 (oracle bug)",
    ),
    (
        "bare-ip-other-family",
        "NotIpAddress with a bare address (no /len) and a request address of the other IP \
         family: the oracle evaluates `isIPv4(req) && (equal == false)`, i.e. 'not outside' \
         (operator precedence, oracle bug); an IPv6 address is never the IPv4 address",
    ),
];

/// Each known difference, undone on our side of a case: if our answer then agrees with the
/// oracle's unchanged answer, the disagreement is fully explained by that difference.
fn neutralize(feature: &str, c: &Case) -> Case {
    let mut c = c.clone();
    let oracle_ip = c.context.iter().find_map(|(k, v)| match (*k, v) {
        ("aws:SourceIp", Ctx::Single(ip)) => Some(ip.clone()),
        ("aws:SourceIp", Ctx::Unknown(Some(Value::String(ip)))) => Some(ip.clone()),
        _ => None,
    });
    let resource = c.resource.clone();
    for doc in c.documents_mut() {
        match feature {
            "old-version-variables" => doc["Version"] = json!("2012-10-17"),
            "uppercase-arn-prefix" => map_resources(doc, |_, p| {
                if UPPERCASE_RESOURCE_PATTERNS.contains(&p) {
                    p.to_lowercase()
                } else {
                    p.to_string()
                }
            }),
            "wildcard-in-resource-type" => map_resources(doc, |_, p| {
                if RESOURCE_TYPE_WILDCARDS.contains(&p) {
                    "arn:aws:ecr:*:*:no-such-type/x".into()
                } else {
                    p.to_string()
                }
            }),
            "short-arn-in-not-resource" => map_resources(doc, |not, p| {
                let prefix = p.trim_end_matches('*');
                if not && SHORT_RESOURCE_PATTERNS.contains(&p) && !resource.starts_with(prefix) {
                    "*".into()
                } else {
                    p.to_string()
                }
            }),
            "ipv4-slash-zero" => map_conditions(doc, |_, v| {
                if v == "0.0.0.0/0" {
                    "0.0.0.0/32".into()
                } else {
                    v.to_string()
                }
            }),
            "bare-ip-other-family" => map_conditions(doc, |op, v| {
                let bare = !v.contains('/');
                match &oracle_ip {
                    Some(ip)
                        if op.contains("NotIpAddress")
                            && bare
                            && v.contains(':') != ip.contains(':') =>
                    {
                        ip.clone()
                    }
                    _ => v.to_string(),
                }
            }),
            _ => {}
        }
    }
    c
}

fn map_resources(doc: &mut Value, f: impl Fn(bool, &str) -> String) {
    let Some(stmts) = doc.get_mut("Statement").and_then(Value::as_array_mut) else {
        return;
    };
    for s in stmts {
        for (name, not) in [("Resource", false), ("NotResource", true)] {
            match s.get_mut(name) {
                Some(Value::String(p)) => *p = f(not, p),
                Some(Value::Array(items)) => {
                    for item in items {
                        if let Value::String(p) = item {
                            *p = f(not, p);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn map_conditions(doc: &mut Value, f: impl Fn(&str, &str) -> String) {
    let Some(stmts) = doc.get_mut("Statement").and_then(Value::as_array_mut) else {
        return;
    };
    for s in stmts {
        let Some(block) = s.get_mut("Condition").and_then(Value::as_object_mut) else {
            continue;
        };
        for (op, keys) in block.iter_mut() {
            let Some(keys) = keys.as_object_mut() else {
                continue;
            };
            for v in keys.values_mut() {
                match v {
                    Value::String(x) => *x = f(op, x),
                    Value::Array(items) => {
                        for item in items {
                            if let Value::String(x) = item {
                                *x = f(op, x);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic PRNG (SplitMix64): no extra crates.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn pick_str(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

// ---------------------------------------------------------------------------------------------
// Condition keys, with the type the oracle knows them by.

#[derive(Clone, Copy, PartialEq)]
enum Family {
    Str,
    Arn,
    Bool,
    Num,
    Date,
    Epoch,
    Ip,
    Bin,
}

struct KeyDef {
    name: &'static str,
    family: Family,
    multi: bool,
    pool: &'static [&'static str],
}

const fn key(
    name: &'static str,
    family: Family,
    multi: bool,
    pool: &'static [&'static str],
) -> KeyDef {
    KeyDef {
        name,
        family,
        multi,
        pool,
    }
}

const KEYS: &[KeyDef] = &[
    key(
        "aws:PrincipalTag/team",
        Family::Str,
        false,
        &["blue", "green", "Blue", "b*e", "app"],
    ),
    key("aws:SourceVpc", Family::Str, false, &["vpc-1", "vpc-2"]),
    key(
        "aws:RequestedRegion",
        Family::Str,
        false,
        &["us-east-1", "eu-west-1"],
    ),
    key(
        "aws:PrincipalOrgID",
        Family::Str,
        false,
        &["o-aaa", "o-bbb"],
    ),
    key(
        "aws:username",
        Family::Str,
        false,
        &["alice", "blue", "app"],
    ),
    key(
        "aws:PrincipalArn",
        Family::Arn,
        false,
        &[ROLE, "arn:aws:iam::111111111111:role/other"],
    ),
    key(
        "aws:SourceArn",
        Family::Arn,
        false,
        &[
            "arn:aws:ecs:us-east-1:111111111111:task/c/abc",
            "arn:aws:ecs:eu-west-1:222222222222:task/d/x",
        ],
    ),
    key(
        "aws:SecureTransport",
        Family::Bool,
        false,
        &["true", "false"],
    ),
    key(
        "aws:MultiFactorAuthPresent",
        Family::Bool,
        false,
        &["true", "false"],
    ),
    key(
        "aws:MultiFactorAuthAge",
        Family::Num,
        false,
        &["0", "300", "3600", "7200.5"],
    ),
    key(
        "aws:CurrentTime",
        Family::Date,
        false,
        &[
            "2024-01-01T00:00:00Z",
            "2024-06-01T12:00:00Z",
            "2025-01-01T00:00:00Z",
        ],
    ),
    key(
        "aws:EpochTime",
        Family::Epoch,
        false,
        &["1700000000", "1720000000", "1735689600"],
    ),
    key(
        "aws:SourceIp",
        Family::Ip,
        false,
        &["10.1.2.3", "192.168.1.10", "2001:db8::5", "203.0.113.7"],
    ),
    key(
        "aws:PrincipalTag/bin",
        Family::Bin,
        false,
        &["QUJD", "REVG"],
    ),
    key(
        "aws:PrincipalOrgPaths",
        Family::Str,
        true,
        &["o-a/r-1/ou-1/", "o-a/r-1/ou-2/", "o-b/r-2/"],
    ),
    key("aws:TagKeys", Family::Str, true, &["env", "team", "owner"]),
    key(
        "aws:CalledVia",
        Family::Str,
        true,
        &["ecs.amazonaws.com", "cloudformation.amazonaws.com"],
    ),
];

const STR_PATTERNS: &[&str] = &[
    "b*",
    "*e",
    "vpc-?",
    "*",
    "o-a/*",
    "eu-*",
    "*ou-2/",
    "e?v",
    "${aws:username}",
    "${aws:PrincipalTag/team, 'blue'}",
    "${aws:PrincipalTag/missing, 'app'}",
    "b${*}e",
    "${aws:SourceVpc}",
];
const IGNORE_CASE_VALUES: &[&str] = &[
    "BLUE",
    "Vpc-1",
    "US-EAST-1",
    "o-AAA",
    "Team",
    "${aws:username}",
];
const ARN_PATTERNS: &[&str] = &[
    "arn:aws:iam::111111111111:role/*",
    "arn:aws:iam::*:role/service-role/exec",
    ROLE,
    "arn:aws:iam::111111111111:role/other",
    "arn:aws:ecs:*:111111111111:*",
    "arn:aws:ecs:us-east-1:*:task/*",
    "arn:aws:ecs:eu-west-?:222222222222:task/d/*",
    "arn:aws:iam::111111111111:role/service-role/${aws:username}",
    "arn:aws:ecs:*:*:task/${aws:PrincipalTag/team, 'c'}/*",
];
const NUM_VALUES: &[&str] = &["0", "300", "3600", "1000.5", "-1"];
const DATE_VALUES: &[&str] = &[
    "2024-03-01T00:00:00Z",
    "2024-06-01T12:00:00Z",
    "2024-12-31T23:59:59Z",
    "2024-06-01",
];
const EPOCH_VALUES: &[&str] = &["1700000000", "1720000000", "1735689600", "1710000000"];
const IP_VALUES: &[&str] = &[
    "10.0.0.0/8",
    "192.168.0.0/16",
    "2001:db8::/32",
    "203.0.113.7/32",
    "0.0.0.0/0",
    "10.1.2.3",
    "::/0",
];

const STRING_OPS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
];
const IGNORE_CASE_OPS: &[&str] = &["StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"];
const ARN_OPS: &[&str] = &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"];
const NUM_OPS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
];
const DATE_OPS: &[&str] = &[
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
];

// ---------------------------------------------------------------------------------------------
// Actions, resources, principals.

const ACTION_PATTERNS: &[&str] = &[
    "ecr:BatchGetImage",
    "ECR:batchgetimage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:Get*",
    "ecr:*",
    "*",
    "ecr:Batch?etImage",
    "ecr:*Image",
    "ecr:*Layer*",
    "ecr:GetAuthorizationToken",
    "ecr:getauthorizationTOKEN",
    "logs:*",
    "logs:Put*",
    "secretsmanager:GetSecretValue",
    "secretsmanager:*",
    "s3:*",
    "iam:*",
    "ecr:Put*",
    "ecr:List*",
    "ecr:Describe*",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "*",
    "*",
    "arn:aws:ecr:*:*:repository/*",
    "arn:aws:ecr:us-east-1:111111111111:repository/*",
    "arn:aws:ecr:*:222222222222:repository/*",
    "arn:aws:ecr:us-east-1:111111111111:repository/app",
    "arn:aws:ecr:eu-west-1:222222222222:repository/base/img",
    "arn:aws:ecr:us-east-?:*:repository/ap?",
    "arn:aws:ecr:*:*:repository/*app*",
    "arn:aws:ecr:*:*:repository/blue/*",
    "arn:aws:logs:*:*:log-group:grp:*",
    "arn:aws:logs:us-east-1:111111111111:log-group:grp:log-stream:pre/*",
    "arn:aws:logs:*:*:log-group:other:*",
    "arn:aws:secretsmanager:*:*:secret:db-*",
    "arn:aws:secretsmanager:us-east-1:222222222222:secret:*",
    "arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}/*",
    "arn:aws:ecr:*:*:repository/${aws:username, 'app'}",
    "arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}${*}",
    "arn:aws:ecr:*:*:repository/b${?}se/*",
];
const SHORT_RESOURCE_PATTERNS: &[&str] = &["arn:aws:ecr:*", "arn:aws:ecr:eu-west-1:*"];
const UPPERCASE_RESOURCE_PATTERNS: &[&str] = &[
    "arn:aws:ECR:*:*:repository/*",
    "arn:aws:ecr:US-EAST-1:*:repository/*",
];
const RESOURCE_TYPE_WILDCARDS: &[&str] = &["arn:aws:ecr:*:*:*/app", "arn:aws:ecr:*:*:repo*/blue/*"];

const REPOS: &[&str] = &["app", "blue/app", "green/svc", "base/img"];
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

fn principal_entry(rng: &mut Rng) -> Value {
    let aws = [
        "*",
        ACCT,
        "arn:aws:iam::111111111111:root",
        ROLE,
        "arn:aws:iam::111111111111:role/other",
        SESSION,
        "arn:aws:sts::111111111111:assumed-role/exec/task-9",
        OTHER,
        "arn:aws:iam::222222222222:root",
        "333333333333",
    ];
    match rng.below(10) {
        0 => json!("*"),
        1 => json!({"Service": "codebuild.amazonaws.com"}),
        2..=4 => {
            let n = rng.range(2, 3);
            let list: Vec<&str> = (0..n).map(|_| *rng.pick(&aws)).collect();
            json!({ "AWS": list })
        }
        _ => json!({ "AWS": rng.pick(&aws) }),
    }
}

// ---------------------------------------------------------------------------------------------
// One generated case.

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Identity,
    Boundary,
    Resource,
}

struct Gen<'r> {
    rng: &'r mut Rng,
    features: BTreeSet<&'static str>,
}

impl Gen<'_> {
    fn string_list(&mut self, pool: &[&str], lo: usize, hi: usize) -> Value {
        let n = self.rng.range(lo, hi);
        let items: Vec<Value> = (0..n).map(|_| json!(self.rng.pick(pool))).collect();
        if items.len() == 1 && self.rng.pct(60) {
            items[0].clone()
        } else {
            Value::Array(items)
        }
    }

    fn resource_pattern(&mut self, not_resource: bool) -> &'static str {
        let roll = self.rng.below(100);
        if roll < 3 {
            if not_resource {
                self.features.insert("short-arn-in-not-resource");
            }
            self.rng.pick_str(SHORT_RESOURCE_PATTERNS)
        } else if roll < 5 {
            self.features.insert("uppercase-arn-prefix");
            self.rng.pick_str(UPPERCASE_RESOURCE_PATTERNS)
        } else if roll < 7 {
            self.features.insert("wildcard-in-resource-type");
            self.rng.pick_str(RESOURCE_TYPE_WILDCARDS)
        } else {
            self.rng.pick_str(RESOURCE_PATTERNS)
        }
    }

    fn condition_values(&mut self, def: &KeyDef, op: &str) -> Value {
        let n = self.rng.range(1, 3);
        let mut vals = Vec::new();
        for _ in 0..n {
            let v: Value = match def.family {
                Family::Str if op.contains("IgnoreCase") => {
                    json!(self.rng.pick(IGNORE_CASE_VALUES))
                }
                Family::Str if op.contains("Like") && self.rng.pct(60) => {
                    json!(self.rng.pick(STR_PATTERNS))
                }
                Family::Str if self.rng.pct(20) => {
                    json!(self.rng.pick(&[
                        "${aws:username}",
                        "${aws:PrincipalTag/team, 'blue'}",
                        "${aws:SourceVpc}"
                    ]))
                }
                Family::Str | Family::Bin => json!(self.rng.pick(def.pool)),
                Family::Arn if op.starts_with("String") => json!(self.rng.pick(def.pool)),
                Family::Arn => json!(self.rng.pick(ARN_PATTERNS)),
                Family::Bool => {
                    if self.rng.pct(50) {
                        json!(self.rng.pct(50))
                    } else {
                        json!(self.rng.pick(&["true", "false"]))
                    }
                }
                Family::Num => {
                    if self.rng.pct(30) {
                        json!(300)
                    } else {
                        json!(self.rng.pick(NUM_VALUES))
                    }
                }
                // Epoch and ISO values are not mixed on one key: the oracle compares epoch seconds
                // with ISO milliseconds (our unit tests cover mixed formats).
                Family::Date => json!(self.rng.pick(DATE_VALUES)),
                Family::Epoch => json!(self.rng.pick(EPOCH_VALUES)),
                Family::Ip => {
                    let v = *self.rng.pick(IP_VALUES);
                    if v == "0.0.0.0/0" {
                        self.features.insert("ipv4-slash-zero");
                    }
                    if op == "NotIpAddress" && !v.contains('/') {
                        self.features.insert("bare-ip-other-family");
                    }
                    json!(v)
                }
            };
            vals.push(v);
        }
        if vals.len() == 1 && self.rng.pct(50) {
            vals.remove(0)
        } else {
            Value::Array(vals)
        }
    }

    fn condition_key_text(&mut self, name: &str) -> String {
        match self.rng.below(10) {
            0 => name.to_uppercase(),
            1 => name.to_lowercase(),
            _ => name.to_string(),
        }
    }

    fn condition_block(&mut self) -> Value {
        let mut block = serde_json::Map::new();
        for _ in 0..self.rng.range(1, 2) {
            let def = self.rng.pick(KEYS);
            let (op, values) = if self.rng.pct(10) {
                let v = if self.rng.pct(50) {
                    json!(self.rng.pct(50))
                } else {
                    json!(self.rng.pick(&["true", "false"]))
                };
                ("Null".to_string(), v)
            } else {
                let base = match def.family {
                    Family::Str if self.rng.pct(25) => *self.rng.pick(IGNORE_CASE_OPS),
                    Family::Str => *self.rng.pick(STRING_OPS),
                    Family::Arn if self.rng.pct(20) => *self.rng.pick(STRING_OPS),
                    Family::Arn => *self.rng.pick(ARN_OPS),
                    Family::Bool => "Bool",
                    Family::Num => *self.rng.pick(NUM_OPS),
                    Family::Date | Family::Epoch => *self.rng.pick(DATE_OPS),
                    Family::Ip => *self.rng.pick(&["IpAddress", "NotIpAddress"]),
                    Family::Bin => "BinaryEquals",
                };
                let values = self.condition_values(def, base);
                let mut op = base.to_string();
                if self.rng.pct(20) {
                    op.push_str("IfExists");
                }
                let set = if def.multi {
                    self.rng.pct(85)
                } else {
                    self.rng.pct(10)
                };
                if set {
                    let prefix = if self.rng.pct(50) {
                        "ForAllValues:"
                    } else {
                        "ForAnyValue:"
                    };
                    op = format!("{prefix}{op}");
                }
                (op, values)
            };
            let key = self.condition_key_text(def.name);
            let entry = block.entry(op).or_insert_with(|| json!({}));
            entry[key] = values;
        }
        Value::Object(block)
    }

    fn statement(&mut self, kind: Kind, n: usize) -> Value {
        let mut s = serde_json::Map::new();
        if self.rng.pct(50) {
            s.insert("Sid".into(), json!(format!("S{n}")));
        }
        let mut deny_pct = match kind {
            Kind::Identity => 30,
            Kind::Boundary => 15,
            Kind::Resource => 30,
        };
        if kind == Kind::Resource {
            if self.rng.pct(88) {
                s.insert("Principal".into(), principal_entry(self.rng));
            } else {
                s.insert("NotPrincipal".into(), principal_entry(self.rng));
                deny_pct = 80;
            }
        }
        let effect = if self.rng.pct(deny_pct) {
            "Deny"
        } else {
            "Allow"
        };
        s.insert("Effect".into(), json!(effect));
        let actions = self.string_list(ACTION_PATTERNS, 1, 3);
        s.insert(
            if self.rng.pct(85) {
                "Action"
            } else {
                "NotAction"
            }
            .into(),
            actions,
        );
        let wants_resource = kind != Kind::Resource || self.rng.pct(50);
        if wants_resource {
            let not = self.rng.pct(15);
            let n = self.rng.range(1, 3);
            let list: Vec<Value> = (0..n).map(|_| json!(self.resource_pattern(not))).collect();
            let v = if list.len() == 1 && self.rng.pct(60) {
                list[0].clone()
            } else {
                Value::Array(list)
            };
            s.insert(if not { "NotResource" } else { "Resource" }.into(), v);
        }
        if self.rng.pct(40) {
            s.insert("Condition".into(), self.condition_block());
        }
        Value::Object(s)
    }

    fn policy(&mut self, kind: Kind) -> Value {
        let n = self.rng.range(1, 4);
        let statements: Vec<Value> = (0..n).map(|i| self.statement(kind, i)).collect();
        let mut doc = json!({ "Statement": statements });
        match self.rng.below(20) {
            0 => doc["Version"] = json!("2008-10-17"),
            1 => {}
            _ => doc["Version"] = json!("2012-10-17"),
        }
        if doc.get("Version") != Some(&json!("2012-10-17")) && doc.to_string().contains("${") {
            self.features.insert("old-version-variables");
        }
        doc
    }
}

/// A value in the generated request context.
#[derive(Clone)]
enum Ctx {
    Single(String),
    Multi(Vec<String>),
    Absent,
    /// Unknown to us; the oracle gets `Some(value)` or nothing.
    Unknown(Option<Value>),
}

#[derive(Clone)]
struct Case {
    id: usize,
    action: &'static str,
    resource: String,
    resource_account: String,
    /// (document, unknown to us, given as URL-encoded text)
    identity: Vec<(Value, bool, bool)>,
    boundary: Option<(Value, bool)>,
    /// `Some((policy, unknown to us))` or `None` for "no policy"; only when `resource_side`.
    resource_policy: Option<(Value, bool)>,
    resource_side: bool,
    session_known: bool,
    context: Vec<(&'static str, Ctx)>,
    features: BTreeSet<&'static str>,
}

impl Case {
    fn documents_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        let identity = self.identity.iter_mut().map(|(d, _, _)| d);
        let boundary = self.boundary.iter_mut().map(|(d, _)| d);
        let resource = self.resource_policy.iter_mut().map(|(d, _)| d);
        identity.chain(boundary).chain(resource)
    }
}

fn context_value(rng: &mut Rng, def: &KeyDef) -> Value {
    if def.multi {
        let n = if rng.pct(10) { 0 } else { rng.range(1, 3) };
        let mut vals: Vec<&str> = (0..n).map(|_| *rng.pick(def.pool)).collect();
        vals.sort();
        vals.dedup();
        json!(vals)
    } else {
        json!(rng.pick(def.pool))
    }
}

fn generate(rng: &mut Rng, id: usize) -> Case {
    let (action, resource, resource_account, resource_side) = match rng.below(10) {
        0..=2 => {
            let acct = if rng.pct(50) { ACCT } else { OTHER };
            let arn = format!(
                "arn:aws:ecr:{}:{acct}:repository/{}",
                rng.pick(REGIONS),
                rng.pick(REPOS)
            );
            ("ecr:BatchGetImage", arn, acct.to_string(), true)
        }
        3..=5 => {
            let acct = if rng.pct(50) { ACCT } else { OTHER };
            let arn = format!(
                "arn:aws:ecr:{}:{acct}:repository/{}",
                rng.pick(REGIONS),
                rng.pick(REPOS)
            );
            ("ecr:GetDownloadUrlForLayer", arn, acct.to_string(), true)
        }
        6 | 7 => (
            "ecr:GetAuthorizationToken",
            "*".to_string(),
            ACCT.to_string(),
            false,
        ),
        8 => (
            "logs:PutLogEvents",
            "arn:aws:logs:us-east-1:111111111111:log-group:grp:log-stream:pre/c/abc".to_string(),
            ACCT.to_string(),
            true,
        ),
        _ => {
            let acct = if rng.pct(70) { ACCT } else { OTHER };
            (
                "secretsmanager:GetSecretValue",
                format!("arn:aws:secretsmanager:us-east-1:{acct}:secret:db-AbCdEf"),
                acct.to_string(),
                true,
            )
        }
    };
    let mut g = Gen {
        rng,
        features: BTreeSet::new(),
    };
    let identity = (0..g.rng.range(0, 3))
        .map(|_| {
            let doc = g.policy(Kind::Identity);
            (doc, g.rng.pct(6), g.rng.pct(20))
        })
        .collect();
    let boundary = if g.rng.pct(30) {
        let doc = g.policy(Kind::Boundary);
        Some((doc, g.rng.pct(6)))
    } else {
        None
    };
    let resource_policy = if resource_side && g.rng.pct(65) {
        let doc = g.policy(Kind::Resource);
        Some((doc, g.rng.pct(6)))
    } else {
        None
    };
    let features = std::mem::take(&mut g.features);
    let session_known = rng.pct(70);
    let context = KEYS
        .iter()
        .map(|def| {
            let roll = rng.below(100);
            let v = if roll < 55 {
                match context_value(rng, def) {
                    Value::Array(items) => Ctx::Multi(
                        items
                            .iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect(),
                    ),
                    Value::String(s) => Ctx::Single(s),
                    _ => Ctx::Absent,
                }
            } else if roll < 85 {
                Ctx::Absent
            } else if rng.pct(50) {
                Ctx::Unknown(Some(context_value(rng, def)))
            } else {
                Ctx::Unknown(None)
            };
            (def.name, v)
        })
        .collect();
    Case {
        id,
        action,
        resource,
        resource_account,
        identity,
        boundary,
        resource_policy,
        resource_side,
        session_known,
        context,
        features,
    }
}

fn oracle_input(c: &Case) -> Value {
    let mut vars = serde_json::Map::new();
    for (k, v) in &c.context {
        match v {
            Ctx::Single(s) => {
                vars.insert(k.to_string(), json!(s));
            }
            Ctx::Multi(items) => {
                vars.insert(k.to_string(), json!(items));
            }
            Ctx::Unknown(Some(v)) => {
                vars.insert(k.to_string(), v.clone());
            }
            Ctx::Absent | Ctx::Unknown(None) => {}
        }
    }
    let mut input = json!({
        "id": c.id,
        "request": {
            "principal": SESSION,
            "action": c.action,
            "resource": {"resource": c.resource, "accountId": c.resource_account},
            "contextVariables": vars,
        },
        "identityPolicies": c.identity.iter().enumerate()
            .map(|(i, (doc, _, _))| json!({"name": format!("identity-{i}"), "policy": doc}))
            .collect::<Vec<_>>(),
    });
    if let Some((doc, _)) = &c.boundary {
        input["permissionBoundaryPolicies"] = json!([{"name": "boundary", "policy": doc}]);
    }
    if let Some((doc, _)) = &c.resource_policy {
        input["resourcePolicy"] = doc.clone();
    }
    input
}

/// Parses every document of the case the way the tool receives them.
/// Identity policies, boundary, resource policy.
type Parsed = (Vec<Policy>, Option<Policy>, Option<Policy>);

fn our_policies(c: &Case) -> Result<Parsed, String> {
    let mut identity = Vec::new();
    for (i, (doc, _, encoded)) in c.identity.iter().enumerate() {
        let parsed = if *encoded {
            let text = doc.to_string();
            let enc =
                percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
            parse_policy_str(&enc)
        } else {
            parse_policy(doc)
        };
        identity.push(
            parsed
                .map_err(|e| format!("identity {i}: {e}"))?
                .with_name(format!("identity-{i}")),
        );
    }
    let boundary = match &c.boundary {
        Some((doc, _)) => Some(
            parse_policy(doc)
                .map_err(|e| format!("boundary: {e}"))?
                .with_name("boundary"),
        ),
        None => None,
    };
    let resource = match &c.resource_policy {
        Some((doc, _)) => Some(
            parse_policy(doc)
                .map_err(|e| format!("resource: {e}"))?
                .with_name("resource"),
        ),
        None => None,
    };
    Ok((identity, boundary, resource))
}

fn our_evaluation(
    c: &Case,
    identity: &[Policy],
    boundary: Option<&Policy>,
    resource: Option<&Policy>,
) -> Evaluation {
    let mut ctx = RequestContext::new();
    ctx.others_absent();
    for (k, v) in &c.context {
        match v {
            Ctx::Single(s) => {
                ctx.set(k, s.as_str());
            }
            Ctx::Multi(items) => {
                ctx.set_multi(k, items.clone());
            }
            Ctx::Absent => {
                ctx.set_absent(k);
            }
            Ctx::Unknown(_) => {
                ctx.set_unknown(k);
            }
        }
    }
    let principal = Principal::from_role_arn(ROLE, c.session_known.then_some("task-1"));
    let unknown = |name: &str| PolicyDoc::Unknown {
        name: name.to_string(),
        reason: "not in the state".into(),
    };
    let set = PolicySet {
        identity: c
            .identity
            .iter()
            .zip(identity)
            .map(|((_, hidden, _), p)| {
                if *hidden {
                    unknown(&p.name)
                } else {
                    PolicyDoc::Known(p)
                }
            })
            .collect(),
        boundary: c.boundary.as_ref().zip(boundary).map(|((_, hidden), p)| {
            if *hidden {
                unknown("boundary")
            } else {
                PolicyDoc::Known(p)
            }
        }),
        resource: c.resource_side.then(|| ResourceSide {
            owner_account: c.resource_account.clone(),
            policy: c
                .resource_policy
                .as_ref()
                .zip(resource)
                .map(|((_, hidden), p)| {
                    if *hidden {
                        unknown("resource")
                    } else {
                        PolicyDoc::Known(p)
                    }
                }),
        }),
    };
    evaluate_request(c, &principal, &ctx, &set)
}

fn evaluate_request(
    c: &Case,
    principal: &Principal,
    ctx: &RequestContext,
    set: &PolicySet<'_>,
) -> Evaluation {
    ecs_preflight::iam::evaluate(&Request::new(c.action, &c.resource, principal, ctx), set)
}

/// Whether our definite decision is consistent with the oracle's.
fn agrees(ours: &Evaluation, oracle: &str) -> bool {
    match ours.decision {
        Decision::Allowed => oracle == "Allowed",
        Decision::ExplicitDeny => oracle == "ExplicitlyDenied",
        // Denied either way; when an explicit deny is possible, only its kind is open.
        Decision::ImplicitDeny => match ours.layers.explicit_deny() {
            Tri::False => oracle == "ImplicitlyDenied",
            _ => oracle == "ImplicitlyDenied" || oracle == "ExplicitlyDenied",
        },
        Decision::Unknown => true,
    }
}

fn node_dir() -> PathBuf {
    // file!() is relative to the package root in the main crate, absolute in a scratch crate.
    let here = Path::new(file!());
    let file = if here.is_absolute() {
        here.to_path_buf()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(here)
    };
    file.parent()
        .map(|p| p.join("node"))
        .unwrap_or_else(|| PathBuf::from("tests/node"))
}

fn run_oracle(inputs: &[Value]) -> Result<BTreeMap<u64, Value>, String> {
    let dir = node_dir();
    if !dir
        .join("node_modules/@cloud-copilot/iam-simulate/package.json")
        .exists()
    {
        return Err(format!(
            "the oracle package is not installed in {}: run `npm --prefix tests/node ci`",
            dir.display()
        ));
    }
    let mut child = Command::new("node")
        .arg("iam-oracle.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start `node` ({e}): install Node.js 20+ and run `npm --prefix tests/node ci`"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let payload: String = inputs.iter().map(|v| v.to_string() + "\n").collect();
    // Write from another thread: the oracle answers while it reads, and both pipes are finite.
    let writer = std::thread::spawn(move || stdin.write_all(payload.as_bytes()));
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut out = BTreeMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let v: Value =
            serde_json::from_str(&line).map_err(|e| format!("bad oracle line {line}: {e}"))?;
        let id = v["id"]
            .as_u64()
            .ok_or_else(|| format!("oracle line without id: {line}"))?;
        out.insert(id, v);
    }
    writer
        .join()
        .map_err(|_| "writer thread panicked")?
        .map_err(|e| e.to_string())?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the oracle exited with {status}"));
    }
    Ok(out)
}

/// One hand-written case per known difference, showing it on its own: (class, case, our
/// decision, the oracle's). If the oracle changes behaviour, this fails and the list is
/// updated.
fn known_difference_examples(first_id: usize) -> Vec<(&'static str, Case, Decision, &'static str)> {
    let repo = "arn:aws:ecr:us-east-1:111111111111:repository/app";
    let allow = |version: &str, extra: Value| {
        let mut st = json!({"Effect": "Allow", "Action": "ecr:*"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            st[k] = v.clone();
        }
        let mut doc = json!({"Statement": [st]});
        if !version.is_empty() {
            doc["Version"] = json!(version);
        }
        doc
    };
    let case = |id: usize,
                action: &'static str,
                resource: &str,
                doc: Value,
                ctx: Vec<(&'static str, Ctx)>| Case {
        id,
        action,
        resource: resource.to_string(),
        resource_account: ACCT.to_string(),
        identity: vec![(doc, false, false)],
        boundary: None,
        resource_policy: None,
        resource_side: resource != "*",
        session_known: true,
        context: ctx,
        features: BTreeSet::new(),
    };
    let ip = |v: &str| vec![("aws:SourceIp", Ctx::Single(v.to_string()))];
    let id = |i: usize| first_id + i;
    vec![
        (
            "old-version-variables",
            case(
                id(0),
                "ecr:BatchGetImage",
                repo,
                allow(
                    "2008-10-17",
                    json!({"Resource": "arn:aws:ecr:*:*:repository/${aws:username}"}),
                ),
                vec![("aws:username", Ctx::Single("app".into()))],
            ),
            Decision::ImplicitDeny,
            "Allowed",
        ),
        (
            "uppercase-arn-prefix",
            case(
                id(1),
                "ecr:BatchGetImage",
                repo,
                allow(
                    "2012-10-17",
                    json!({"Resource": "arn:aws:ECR:*:*:repository/*"}),
                ),
                vec![],
            ),
            Decision::ImplicitDeny,
            "Allowed",
        ),
        (
            "wildcard-in-resource-type",
            case(
                id(2),
                "ecr:BatchGetImage",
                repo,
                allow("2012-10-17", json!({"Resource": "arn:aws:ecr:*:*:*/app"})),
                vec![],
            ),
            Decision::Allowed,
            "ImplicitlyDenied",
        ),
        (
            "short-arn-in-not-resource",
            case(
                id(3),
                "ecr:BatchGetImage",
                repo,
                allow(
                    "2012-10-17",
                    json!({"NotResource": "arn:aws:ecr:eu-west-1:*"}),
                ),
                vec![],
            ),
            Decision::Allowed,
            "ImplicitlyDenied",
        ),
        (
            "ipv4-slash-zero",
            case(
                id(4),
                "ecr:GetAuthorizationToken",
                "*",
                allow(
                    "2012-10-17",
                    json!({"Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}),
                ),
                ip("10.1.2.3"),
            ),
            Decision::Allowed,
            "ImplicitlyDenied",
        ),
        (
            "bare-ip-other-family",
            case(
                id(5),
                "ecr:GetAuthorizationToken",
                "*",
                allow(
                    "2012-10-17",
                    json!({"Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.1.2.3"}}}),
                ),
                ip("2001:db8::5"),
            ),
            Decision::Allowed,
            "ImplicitlyDenied",
        ),
    ]
}

/// Decision paths the test must exercise (each by at least 30 agreeing definite cases).
const PATHS: &[&str] = &[
    "allowed by identity, same account",
    "allowed by resource policy, same account",
    "allowed cross-account",
    "allowed with a boundary",
    "explicit deny in identity policy",
    "explicit deny in boundary",
    "explicit deny in resource policy",
    "implicit deny: no allow",
    "implicit deny: boundary",
    "implicit deny: cross-account, resource policy does not grant",
    "implicit deny: cross-account, no identity allow",
    "definite despite unknown keys, policies or session",
];

fn path_label(e: &Evaluation) -> &'static str {
    use ecs_preflight::iam::{Layer, Reason};
    if !e.unknown_keys.is_empty() || !e.unknown_policies.is_empty() || !e.undecided.is_empty() {
        return "definite despite unknown keys, policies or session";
    }
    match e.reason {
        Reason::Allowed { .. } if e.layers.cross_account => "allowed cross-account",
        Reason::Allowed { .. } if e.layers.boundary_allows.is_some() => "allowed with a boundary",
        Reason::Allowed {
            by_identity: true, ..
        } => "allowed by identity, same account",
        Reason::Allowed { .. } => "allowed by resource policy, same account",
        Reason::ExplicitDeny(Layer::Identity) => "explicit deny in identity policy",
        Reason::ExplicitDeny(Layer::Boundary) => "explicit deny in boundary",
        Reason::ExplicitDeny(_) => "explicit deny in resource policy",
        Reason::NoAllow => "implicit deny: no allow",
        Reason::BoundaryDoesNotAllow => "implicit deny: boundary",
        Reason::ResourcePolicyDoesNotGrant => {
            "implicit deny: cross-account, resource policy does not grant"
        }
        Reason::NoIdentityAllow => "implicit deny: cross-account, no identity allow",
        Reason::Undetermined => "undetermined",
    }
}

/// Names the known difference(s) behind a disagreement: those whose undoing on our side makes
/// our answer agree with the oracle's. `None` when no known difference accounts for it.
fn explain(c: &Case, oracle: &str) -> Option<String> {
    let present: Vec<&str> = KNOWN_DIFFERENCES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| c.features.contains(n))
        .collect();
    let agrees_after = |fixed: &Case| match our_policies(fixed) {
        Ok((identity, boundary, resource)) => agrees(
            &our_evaluation(fixed, &identity, boundary.as_ref(), resource.as_ref()),
            oracle,
        ),
        Err(_) => false,
    };
    for name in &present {
        if agrees_after(&neutralize(name, c)) {
            return Some(name.to_string());
        }
    }
    if present.len() > 1 {
        let all = present
            .iter()
            .fold(c.clone(), |acc, name| neutralize(name, &acc));
        if agrees_after(&all) {
            return Some(present.join("+"));
        }
    }
    None
}

#[test]
fn iam_evaluator_agrees_with_the_oracle() {
    if std::env::var("ECS_PREFLIGHT_SKIP_ORACLE").as_deref() == Ok("1") {
        println!("iam differential test skipped (ECS_PREFLIGHT_SKIP_ORACLE=1)");
        return;
    }
    let mut rng = Rng(SEED);
    let cases: Vec<Case> = (0..CASES).map(|id| generate(&mut rng, id)).collect();
    let examples = known_difference_examples(CASES);
    assert_eq!(examples.len(), KNOWN_DIFFERENCES.len());
    let inputs: Vec<Value> = cases
        .iter()
        .chain(examples.iter().map(|(_, c, _, _)| c))
        .map(oracle_input)
        .collect();
    let answers = match run_oracle(&inputs) {
        Ok(a) => a,
        Err(e) => {
            panic!("IAM oracle unavailable: {e} (or set ECS_PREFLIGHT_SKIP_ORACLE=1 to skip)")
        }
    };

    let mut ours_definite = 0usize;
    let mut both_definite = 0usize;
    let mut agree = 0usize;
    let mut oracle_errors = Vec::new();
    let mut parse_errors = Vec::new();
    let mut known: BTreeMap<String, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut decisions: BTreeMap<String, usize> = BTreeMap::new();
    let mut paths: BTreeMap<&'static str, usize> = BTreeMap::new();
    // Each known difference, shown on its own.
    for (name, c, ours_expected, oracle_expected) in &examples {
        let (identity, boundary, resource) = our_policies(c).expect("example parses");
        let ours = our_evaluation(c, &identity, boundary.as_ref(), resource.as_ref());
        let oracle = answers
            .get(&(c.id as u64))
            .and_then(|v| v["result"].as_str())
            .unwrap_or("missing");
        assert_eq!(
            ours.decision, *ours_expected,
            "known difference `{name}`: our decision"
        );
        assert_eq!(
            oracle, *oracle_expected,
            "known difference `{name}`: the oracle's decision"
        );
    }
    for (c, input) in cases.iter().zip(&inputs) {
        let (identity, boundary, resource) = match our_policies(c) {
            Ok(p) => p,
            Err(e) => {
                parse_errors.push(format!("case {}: {e}", c.id));
                continue;
            }
        };
        let ours = our_evaluation(c, &identity, boundary.as_ref(), resource.as_ref());
        let oracle = answers
            .get(&(c.id as u64))
            .cloned()
            .unwrap_or(json!({"result": "missing"}));
        let oracle_result = oracle["result"].as_str().unwrap_or("missing").to_string();
        *decisions
            .entry(format!("{:?} / {oracle_result}", ours.decision))
            .or_default() += 1;
        if oracle_result == "error" || oracle_result == "missing" {
            oracle_errors.push(format!("case {}: {oracle}\n{input}", c.id));
            continue;
        }
        if ours.decision == Decision::Unknown {
            continue;
        }
        ours_definite += 1;
        both_definite += 1;
        if agrees(&ours, &oracle_result) {
            agree += 1;
            *paths.entry(path_label(&ours)).or_default() += 1;
            continue;
        }
        match explain(c, &oracle_result) {
            Some(name) => *known.entry(name).or_default() += 1,
            None => unexplained.push(format!(
                "case {}: ours {:?} ({:?}, deciding {:?}, layers {:?}); oracle {oracle_result}\n{input}",
                c.id, ours.decision, ours.reason, ours.deciding, ours.layers
            )),
        }
    }

    let known_total: usize = known.values().sum();
    println!("IAM differential test against @cloud-copilot/iam-simulate (seed {SEED:#x})");
    println!("  cases:             {}", cases.len());
    println!("  oracle errors:     {}", oracle_errors.len());
    println!("  our parse errors:  {}", parse_errors.len());
    println!("  ours definite:     {ours_definite} (the rest Unknown)");
    println!("  both definite:     {both_definite}");
    println!("  agree:             {agree}");
    println!("  known differences: {known_total}");
    for (name, reason) in KNOWN_DIFFERENCES {
        println!(
            "    {name}: {} — {reason}",
            known.get(*name).copied().unwrap_or(0)
        );
    }
    for (name, n) in known.iter().filter(|(k, _)| k.contains('+')) {
        println!("    {name}: {n} (several known differences at once)");
    }
    println!("  unexplained:       {}", unexplained.len());
    println!("  known-difference examples confirmed: {}", examples.len());
    println!("  decision pairs (ours / oracle):");
    for (pair, n) in &decisions {
        println!("    {pair}: {n}");
    }
    println!("  agreeing definite cases by decision path:");
    for (path, n) in &paths {
        println!("    {path}: {n}");
    }
    for u in unexplained.iter().take(8) {
        println!("UNEXPLAINED {u}");
    }
    for e in oracle_errors.iter().take(5) {
        println!("ORACLE ERROR {e}");
    }
    for e in parse_errors.iter().take(5) {
        println!("PARSE ERROR {e}");
    }

    assert!(cases.len() >= 10_000);
    assert!(
        parse_errors.is_empty(),
        "our parser refused {} valid policies",
        parse_errors.len()
    );
    assert!(
        oracle_errors.is_empty(),
        "the oracle refused {} cases",
        oracle_errors.len()
    );
    assert!(
        both_definite * 2 >= cases.len(),
        "too few definite cases to be meaningful: {both_definite}"
    );
    assert_eq!(
        unexplained.len(),
        0,
        "{} disagreements outside the known differences",
        unexplained.len()
    );
    for path in PATHS {
        let n = paths.get(path).copied().unwrap_or(0);
        assert!(
            n >= 30,
            "decision path `{path}` exercised by only {n} agreeing cases"
        );
    }
}
