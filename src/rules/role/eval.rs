//! Evaluating a permission for a role, and saying what decided it: the request context of
//! docs/iam.md#request-context, the wording of docs/iam.md#the-decision ("denied explicitly by
//! statement `Sid` of policy `name`", …), secondary labels on the deciding statements, and the
//! collection of undecided permissions that ROLE011 reports.

use crate::diag::CURRENT_FILE;
use crate::diag::{Diagnostic, FileId};
use crate::iam::{
    Decision, Evaluation, Layer, Principal, Reason, Request, RequestContext, ResourceSide,
    StatementRef, evaluate,
};
use crate::model::arn::Arn;
use crate::span::Span;
use crate::state::Tri;
use crate::state::iam::{LoadedPolicy, UNRESOLVED_KEY_PREFIX};

use super::facts::{Pol, RoleView};

/// A place to label, and what to say there.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

impl Place {
    pub fn here(span: Span, message: impl Into<String>) -> Place {
        Place {
            file: CURRENT_FILE,
            span,
            message: message.into(),
        }
    }
}

pub fn add_labels(d: &mut Diagnostic, places: &[Place]) {
    for p in places {
        let primary = p.file == d.file && p.span == d.span;
        let labelled = d
            .labels
            .iter()
            .any(|l| l.file == p.file && l.span == p.span);
        if !primary && !labelled {
            d.label(p.file, p.span, p.message.clone());
        }
    }
}

/// The principal and the condition keys common to every request the role makes
/// (docs/iam.md#request-context).
pub fn base_context(view: &RoleView) -> (Principal, RequestContext) {
    let arn = view.entry.arn.clone();
    let principal = match &arn {
        Some(a) => Principal::from_role_arn(a, None),
        // A name CloudFormation generates at deploy time: a stand-in that names nothing, with
        // `aws:PrincipalArn` unknown (callers treat resource policies naming roles as unknown).
        None => Principal {
            role_arn: format!("arn:aws:iam::{}:role/(generated)", view.account),
            account: view.account.clone(),
            session_arn: None,
        },
    };
    let mut ctx = RequestContext::new();
    match &arn {
        Some(a) => ctx.set("aws:PrincipalArn", a.clone()),
        None => ctx.set_unknown("aws:PrincipalArn"),
    };
    if !view.account.is_empty() {
        ctx.set("aws:PrincipalAccount", view.account.clone());
    }
    ctx.set("aws:PrincipalType", "AssumedRole")
        .set("aws:SecureTransport", "true")
        .set("aws:ViaAWSService", "false")
        .set("aws:PrincipalIsAWSService", "false")
        .set_absent("aws:MultiFactorAuthPresent");
    if let Some(tags) = &view.entry.tags {
        for (k, v) in tags {
            ctx.set(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
        ctx.absent_under_prefix("aws:PrincipalTag/");
    }
    let now = view.now;
    ctx.set("aws:EpochTime", now.to_string())
        .set("aws:CurrentTime", iso8601(now));
    (principal, ctx)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (`aws:CurrentTime`).
fn iso8601(secs: u64) -> String {
    crate::base::timestamp::Timestamp::from_seconds(i64::try_from(secs).unwrap_or(i64::MAX))
        .to_string()
}

/// One decision, with the role it was made for and the resource policy that took part.
pub struct Checked<'a> {
    pub eval: Evaluation,
    pub view: &'a RoleView<'a>,
    pub resource_policy: Option<&'a LoadedPolicy>,
}

/// Evaluates `action` on `resource` for the role. `resource_side`: the resource's owner and its
/// policy (None: decide on the caller's side alone).
pub fn check<'a>(
    view: &'a RoleView<'a>,
    principal: &Principal,
    ctx: &RequestContext,
    action: &str,
    resource: &str,
    resource_side: Option<(String, Option<&'a LoadedPolicy>)>,
) -> Checked<'a> {
    let mut set = view.policy_set();
    let mut resource_policy = None;
    if let Some((owner, policy)) = resource_side {
        resource_policy = policy;
        set.resource = Some(ResourceSide {
            owner_account: owner,
            policy: policy.map(LoadedPolicy::doc),
        });
    }
    let req = Request::new(action, resource, principal, ctx);
    Checked {
        eval: evaluate(&req, &set),
        view,
        resource_policy,
    }
}

/// How a statement is named in messages: "statement `Sid`" or "statement #2".
pub fn statement_name(s: &StatementRef) -> String {
    match s.sid.as_deref().filter(|x| !x.is_empty()) {
        Some(sid) => format!("statement `{sid}`"),
        None => format!("statement #{}", s.index + 1),
    }
}

/// The loaded policy a statement belongs to.
fn policy_of<'a>(c: &Checked<'a>, s: &StatementRef) -> Option<&'a LoadedPolicy> {
    match s.layer {
        Layer::Identity => c
            .view
            .identity
            .iter()
            .filter_map(Pol::loaded)
            .find(|p| p.name == s.policy),
        Layer::Boundary => c
            .view
            .boundary
            .as_ref()
            .and_then(Pol::loaded)
            .filter(|p| p.name == s.policy),
        Layer::Resource => c.resource_policy.filter(|p| p.name == s.policy),
        _ => None,
    }
}

/// Where a statement is written, when it is in a file we read.
pub fn statement_place(c: &Checked, s: &StatementRef, message: String) -> Option<Place> {
    let p = policy_of(c, s)?;
    let (file, span) = p.statement_place(s.index)?;
    Some(Place {
        file,
        span,
        message,
    })
}

fn policy_word(layer: Layer, name: &str) -> String {
    match layer {
        Layer::Boundary => format!("the permissions boundary `{name}`"),
        // Resource policies are named "repository policy of `web`" already.
        Layer::Resource => format!("the {name}"),
        _ => format!("policy `{name}`"),
    }
}

/// What refused the request, in the words of docs/iam.md#the-decision, and the statements to
/// label.
pub fn denial(c: &Checked, what: &str) -> (String, Vec<Place>) {
    let e = &c.eval;
    match e.reason {
        Reason::ExplicitDeny(_) => {
            let mut places = Vec::new();
            let mut names = Vec::new();
            for s in &e.deciding {
                let n = format!(
                    "{} of {}",
                    statement_name(s),
                    policy_word(s.layer, &s.policy)
                );
                if let Some(p) = statement_place(c, s, format!("this statement denies {what}")) {
                    places.push(p);
                }
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            let text = match names.as_slice() {
                [] => "denied explicitly".to_string(),
                [one] => format!("denied explicitly by {one}"),
                [first, rest @ ..] => {
                    format!("denied explicitly by {first} (and {} more)", rest.len())
                }
            };
            (text, places)
        }
        _ if e.decision == Decision::ImplicitDeny => implicit_denial(c, what),
        // Not a denial: callers only ask about denials.
        _ => ("no identity policy allows it".to_string(), Vec::new()),
    }
}

/// The permissions boundary's name, and a label on it.
fn boundary_refusal(c: &Checked, what: &str) -> (String, Vec<Place>) {
    let name = c
        .view
        .boundary
        .as_ref()
        .map(|b| b.name().to_string())
        .unwrap_or_default();
    let places = c
        .view
        .boundary
        .as_ref()
        .and_then(Pol::loaded)
        .and_then(|b| b.origin.as_ref())
        .map(|o| {
            vec![Place {
                file: o.file,
                span: o.span,
                message: format!("this permissions boundary does not allow {what}"),
            }]
        })
        .unwrap_or_default();
    (name, places)
}

/// An implicit deny names every layer of the caller's side that refuses
/// (docs/iam.md#the-decision): the identity policies, the permissions boundary, or both. A
/// resource policy's part is the caller's to add (the evaluation's `Reason` names only the
/// first).
fn implicit_denial(c: &Checked, what: &str) -> (String, Vec<Place>) {
    let l = &c.eval.layers;
    let identity = l.identity_allows == Tri::False;
    let boundary = l.boundary_allows == Some(Tri::False);
    match (identity, boundary) {
        (true, true) => {
            let (name, places) = boundary_refusal(c, what);
            (
                format!(
                    "neither an identity policy nor the permissions boundary `{name}` allows it"
                ),
                places,
            )
        }
        (false, true) => {
            let (name, places) = boundary_refusal(c, what);
            (
                format!("not allowed by the permissions boundary `{name}`"),
                places,
            )
        }
        _ if c.eval.reason == Reason::ResourcePolicyDoesNotGrant => (
            match c.resource_policy {
                Some(p) => format!("the {} does not grant it", p.name),
                None => "the resource has no policy that grants it".to_string(),
            },
            Vec::new(),
        ),
        _ => ("no identity policy allows it".to_string(), Vec::new()),
    }
}

/// Why a decision could not be made, and the statements involved.
pub fn undecided(c: &Checked) -> (Vec<String>, Vec<Place>) {
    let e = &c.eval;
    let mut causes = Vec::new();
    let mut places = Vec::new();
    let real_keys: Vec<&String> = e
        .unknown_keys
        .iter()
        .filter(|k| !k.starts_with(UNRESOLVED_KEY_PREFIX))
        .collect();
    for s in &e.undecided {
        let policy = policy_of(c, s);
        let label = match policy {
            Some(p) if !p.unresolved.is_empty() => {
                for k in &e.unknown_keys {
                    if let Some(n) = k
                        .strip_prefix(UNRESOLVED_KEY_PREFIX)
                        .and_then(|n| n.parse::<usize>().ok())
                        && let Some(why) = p.unresolved.get(n)
                    {
                        let cause = format!(
                            "{} of {}: {why}",
                            statement_name(s),
                            policy_word(s.layer, &s.policy)
                        );
                        if !causes.contains(&cause) {
                            causes.push(cause);
                        }
                    }
                }
                "this statement depends on a value known only at deploy time".to_string()
            }
            _ => "this statement's condition cannot be decided".to_string(),
        };
        if let Some(p) = statement_place(c, s, label)
            && !places.contains(&p)
        {
            places.push(p);
        }
    }
    if !real_keys.is_empty() {
        let keys: Vec<String> = real_keys.iter().map(|k| format!("`{k}`")).collect();
        let stmts: Vec<String> = e
            .undecided
            .iter()
            .filter(|s| policy_of(c, s).is_none_or(|p| p.unresolved.is_empty()))
            .map(|s| {
                format!(
                    "{} of {}",
                    statement_name(s),
                    policy_word(s.layer, &s.policy)
                )
            })
            .collect();
        let mut text = format!(
            "the condition {} {} cannot be resolved statically",
            if keys.len() == 1 { "key" } else { "keys" },
            keys.join(", ")
        );
        if !stmts.is_empty() {
            let mut uniq: Vec<String> = Vec::new();
            for s in stmts {
                if !uniq.contains(&s) {
                    uniq.push(s);
                }
            }
            text.push_str(&format!(" ({})", uniq.join(", ")));
        }
        causes.push(text);
    }
    for p in &e.unknown_policies {
        // A policy whose document cannot be read: point at it.
        let loaded = match p.layer {
            Layer::Identity => c
                .view
                .identity
                .iter()
                .filter_map(Pol::loaded)
                .find(|l| l.name == p.name),
            Layer::Boundary => c
                .view
                .boundary
                .as_ref()
                .and_then(Pol::loaded)
                .filter(|l| l.name == p.name),
            Layer::Resource => c.resource_policy.filter(|l| l.name == p.name),
            _ => None,
        };
        if let Some(o) = loaded.and_then(|l| l.origin.as_ref()) {
            let place = Place {
                file: o.file,
                span: o.span,
                message: "this policy cannot be read".into(),
            };
            if !places.contains(&place) {
                places.push(place);
            }
        }
        let what = match p.layer {
            Layer::Boundary => format!("the permissions boundary `{}`", p.name),
            Layer::Resource => p.name.clone(),
            _ => format!("policy `{}`", p.name),
        };
        let cause = format!("{what} is not known: {}", p.reason);
        if !causes.contains(&cause) {
            causes.push(cause);
        }
    }
    for n in &e.notes {
        if !causes.contains(n) {
            causes.push(n.clone());
        }
    }
    if causes.is_empty() {
        // Say which statements are undecided, not only that something is.
        let mut stmts: Vec<String> = Vec::new();
        for s in &e.undecided {
            let named = format!(
                "{} of {}",
                statement_name(s),
                policy_word(s.layer, &s.policy)
            );
            if !stmts.contains(&named) {
                stmts.push(named);
            }
        }
        causes.push(if stmts.is_empty() {
            "the policies could not be evaluated completely, and no single statement or policy is to blame".into()
        } else {
            format!("the condition of {} cannot be decided", stmts.join(", "))
        });
    }
    (causes, places)
}

/// Permissions that could not be decided, gathered over all ROLE rules of one task definition
/// and reported by ROLE011: one diagnostic per field (primary span).
#[derive(Default)]
pub struct Undetermined {
    pub items: Vec<Pending>,
}

pub struct Pending {
    pub span: Span,
    /// What the field is ("execution role `exec`", "image `…`").
    pub subject: String,
    pub permissions: Vec<String>,
    pub causes: Vec<String>,
    pub places: Vec<Place>,
    pub container: Option<String>,
}

impl Undetermined {
    pub fn add(
        &mut self,
        span: Span,
        subject: &str,
        permission: String,
        causes: Vec<String>,
        places: Vec<Place>,
    ) {
        let item = match self.items.iter_mut().position(|p| p.span == span) {
            Some(i) => &mut self.items[i],
            None => {
                self.items.push(Pending {
                    span,
                    subject: subject.to_string(),
                    permissions: Vec::new(),
                    causes: Vec::new(),
                    places: Vec::new(),
                    container: None,
                });
                self.items.last_mut().expect("just pushed")
            }
        };
        if !item.permissions.contains(&permission) {
            item.permissions.push(permission);
        }
        for c in causes {
            if !item.causes.contains(&c) {
                item.causes.push(c);
            }
        }
        for p in places {
            if !item.places.contains(&p) {
                item.places.push(p);
            }
        }
    }
}

/// Formats a JSON policy statement for a help text.
pub fn statement_json(sid: &str, actions: &[&str], resources: &[String]) -> String {
    let actions = actions
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let resource = match resources {
        [one] => format!("\"{one}\""),
        many => format!(
            "[{}]",
            many.iter()
                .map(|r| format!("\"{r}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let actions = if actions.contains(", ") {
        format!("[{actions}]")
    } else {
        actions
    };
    format!(
        "{{\"Sid\": \"{sid}\", \"Effect\": \"Allow\", \"Action\": {actions}, \"Resource\": {resource}}}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn policy_names_are_valid_iam_names() {
        assert_eq!(policy_name("ecr-auth", ""), "ecs-preflight-ecr-auth");
        assert_eq!(
            policy_name("logs", "/ecs/web"),
            "ecs-preflight-logs-ecs-web"
        );
        assert_eq!(
            policy_name("secrets", "/app//b:c"),
            "ecs-preflight-secrets-app-b-c"
        );
        assert_eq!(
            policy_name("ecr-pull", "team/api_v2.1"),
            "ecs-preflight-ecr-pull-team-api_v2.1"
        );
        let long = policy_name("logs", &"x/".repeat(200));
        assert_eq!(long.len(), 128);
        assert!(
            long.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        );
        let unicode = policy_name("logs", "/ecs/wéb");
        assert_eq!(unicode, "ecs-preflight-logs-ecs-w-b");
    }

    #[test]
    fn policy_document_is_a_whole_policy() {
        let s = statement_json("EcrAuth", &["ecr:GetAuthorizationToken"], &["*".into()]);
        let v: serde_json::Value = serde_json::from_str(&policy_document(&s)).unwrap();
        assert_eq!(v["Version"], "2012-10-17");
        assert_eq!(v["Statement"][0]["Sid"], "EcrAuth");
    }

    #[test]
    fn statement_json_is_valid_json() {
        let one = statement_json("EcrAuth", &["ecr:GetAuthorizationToken"], &["*".into()]);
        let v: serde_json::Value = serde_json::from_str(&one).unwrap();
        assert_eq!(v["Action"], "ecr:GetAuthorizationToken");
        let two = statement_json(
            "EcrPull",
            &["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            &["a".into(), "b".into()],
        );
        let v: serde_json::Value = serde_json::from_str(&two).unwrap();
        assert_eq!(v["Action"][1], "ecr:GetDownloadUrlForLayer");
        assert_eq!(v["Resource"][1], "b");
    }
}

/// The name of the inline policy a help text suggests for a fix: `ecs-preflight-PURPOSE-WHAT`,
/// one per purpose and resource, so that two fixes never overwrite each other
/// (`put-role-policy` replaces a policy of the same name) and running one twice is harmless.
/// IAM policy names are 1–128 characters of `[A-Za-z0-9+=,.@_-]`.
pub fn policy_name(purpose: &str, what: &str) -> String {
    let mut name = format!("ecs-preflight-{purpose}");
    let mut part = String::new();
    for ch in what.chars() {
        let ok = ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch);
        let ch = if ok { ch } else { '-' };
        // One dash for a run of replaced characters (`/ecs/web` → `ecs-web`).
        if !(ch == '-' && (part.is_empty() || part.ends_with('-'))) {
            part.push(ch);
        }
    }
    let part = part.trim_end_matches('-');
    if !part.is_empty() {
        name.push('-');
        name.push_str(part);
    }
    name.truncate(128);
    name
}

/// A whole policy document holding one statement (what `--policy-document` reads).
pub fn policy_document(statement: &str) -> String {
    format!("{{\"Version\": \"2012-10-17\", \"Statement\": [{statement}]}}")
}

/// How to add a statement to this role's identity policies, for help texts: in the template
/// that defines the role, or as an inline policy of its own (the whole document, and the
/// command that puts it under `policy_name`).
pub fn identity_fix(view: &RoleView, statement: &str, policy_name: &str) -> String {
    match &view.entry.source {
        crate::state::iam::RoleSource::Template(id)
            if id.starts_with("aws_") || id.contains('.') =>
        {
            format!(
                "add to the execution role's identity policy, in an `aws_iam_role_policy` for `{id}` (or an `inline_policy` block): {statement}"
            )
        }
        crate::state::iam::RoleSource::Template(id) => format!(
            "add to the execution role's identity policy, under `Policies` of `{id}`: {statement}"
        ),
        crate::state::iam::RoleSource::StateFile => format!(
            "add to the execution role an inline policy of its own with this whole document: {} \
             (save it as policy.json, then `aws iam put-role-policy --role-name {} --policy-name {policy_name} --policy-document file://policy.json`; \
             it replaces only an inline policy of that same name)",
            policy_document(statement),
            view.entry.name.as_deref().unwrap_or(view.label())
        ),
    }
}

/// How to add a statement to the role's permissions boundary, for help texts.
/// `again`: the statement was just shown (for the identity policy), so say "the same statement".
fn boundary_fix(view: &RoleView, statement: &str, again: bool) -> String {
    let name = view
        .boundary
        .as_ref()
        .map(|b| b.name().to_string())
        .unwrap_or_default();
    let statement = if again {
        "the same statement"
    } else {
        statement
    };
    match &view.entry.boundary {
        Some(crate::state::iam::PolicyLink::Arn(arn)) => format!(
            "add {statement} to the `Statement` list of the boundary policy `{name}` \
             (a new version replaces the whole document: save its current default version with this statement added as boundary.json, then \
             `aws iam create-policy-version --policy-arn {arn} --policy-document file://boundary.json --set-as-default`)"
        ),
        Some(crate::state::iam::PolicyLink::Template(_)) => format!(
            "add {statement} to the `PolicyDocument` of the boundary policy `{name}` in the template"
        ),
        _ => format!("add {statement} to the boundary policy `{name}`"),
    }
}

/// What must change for a refused permission: narrow an explicit Deny, or add an Allow to the
/// identity policies, to the permissions boundary, or to both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Remedy {
    /// An explicit Deny decides; nothing else helps while it applies.
    pub narrow_deny: bool,
    /// No identity policy allows it (and no resource policy grants it to the role).
    pub identity: bool,
    /// The permissions boundary does not allow it.
    pub boundary: bool,
    /// The identity policies allow it (for the wording of a boundary-only fix).
    pub identity_allows: bool,
    /// A same-account resource policy grants it to the role's ARN: such a grant is still
    /// limited by the boundary (docs/iam.md#the-decision), so the boundary is all that is
    /// missing.
    pub resource_grants_role: bool,
}

impl Remedy {
    /// Narrow an explicit Deny.
    pub const NARROW_DENY: Remedy = Remedy {
        narrow_deny: true,
        identity: false,
        boundary: false,
        identity_allows: false,
        resource_grants_role: false,
    };
    /// Add an Allow (to the identity policies, or the resource policy that must grant it).
    pub const ADD_ALLOW: Remedy = Remedy {
        narrow_deny: false,
        identity: true,
        boundary: false,
        identity_allows: false,
        resource_grants_role: false,
    };

    pub fn of(e: &Evaluation) -> Remedy {
        if matches!(e.reason, Reason::ExplicitDeny(_)) {
            return Remedy::NARROW_DENY;
        }
        let l = &e.layers;
        let resource_grants_role =
            !l.cross_account && l.resource.is_some_and(|r| r.grants_role == Tri::True);
        let boundary = l.boundary_allows == Some(Tri::False);
        // A same-account grant to the role stands in for the identity policies' Allow.
        let identity = l.identity_allows == Tri::False && !resource_grants_role;
        Remedy {
            narrow_deny: false,
            // Something must be added; without a refusing layer to name, the identity policy.
            identity: identity || !boundary,
            boundary,
            identity_allows: l.identity_allows == Tri::True,
            resource_grants_role,
        }
    }

    /// The remedy for several refusals: every change any of them needs.
    pub fn combine(all: impl IntoIterator<Item = Remedy>) -> Remedy {
        let mut out: Option<Remedy> = None;
        for r in all {
            out = Some(match out {
                None => r,
                Some(o) => Remedy {
                    narrow_deny: o.narrow_deny || r.narrow_deny,
                    identity: o.identity || r.identity,
                    boundary: o.boundary || r.boundary,
                    identity_allows: o.identity_allows && r.identity_allows,
                    resource_grants_role: o.resource_grants_role && r.resource_grants_role,
                },
            });
        }
        out.unwrap_or(Remedy::ADD_ALLOW)
    }
}

/// The help for a refused permission of the execution role, given the statement that would
/// grant it and the inline policy name to suggest for it.
pub fn remedy_help(remedy: Remedy, view: &RoleView, statement: &str, policy_name: &str) -> String {
    if remedy.narrow_deny {
        return format!(
            "an explicit Deny wins over any Allow: change the statement that denies it so that it no longer matches this role and resource; the role must still be allowed it, e.g. by {statement}"
        );
    }
    let boundary_name = view
        .boundary
        .as_ref()
        .map(|b| b.name().to_string())
        .unwrap_or_default();
    match (remedy.identity, remedy.boundary) {
        (true, true) => format!(
            "{}; and, since its permissions boundary `{boundary_name}` does not allow it either, {}",
            identity_fix(view, statement, policy_name),
            boundary_fix(view, statement, true)
        ),
        (false, true) => {
            let lead = if remedy.identity_allows {
                format!(
                    "the role's identity policies allow it, but its permissions boundary `{boundary_name}` does not"
                )
            } else if remedy.resource_grants_role {
                format!(
                    "the repository policy grants it to the role, but a grant that names the role is still limited by the role's permissions boundary `{boundary_name}`, which does not allow it"
                )
            } else {
                format!("the role's permissions boundary `{boundary_name}` does not allow it")
            };
            let mut help = format!("{lead}: {}", boundary_fix(view, statement, false));
            if remedy.resource_grants_role && !remedy.identity_allows {
                help.push_str(
                    "; the identity policies need not allow it while the repository policy grants it to the role",
                );
            }
            help
        }
        _ => identity_fix(view, statement, policy_name),
    }
}

/// ROLE004/ROLE005 help: when nothing but a missing identity Allow is in the way (no explicit
/// Deny, no boundary), attaching the AWS managed `AmazonECSTaskExecutionRolePolicy` grants
/// every ECR pull and awslogs permission at once, so it comes first; the narrow inline policy
/// second. Otherwise the help is the narrow one alone (attaching would not be enough).
pub fn with_managed_policy_first(remedy: Remedy, view: &RoleView, narrow: String) -> String {
    if remedy.narrow_deny || remedy.boundary || !remedy.identity {
        return narrow;
    }
    let partition = view
        .entry
        .arn
        .as_deref()
        .and_then(|a| Arn::parse(a).map(|arn| arn.partition))
        .filter(|p| !p.is_empty())
        .unwrap_or("aws");
    let policy =
        format!("arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");
    let attach = match &view.entry.source {
        crate::state::iam::RoleSource::Template(id)
            if id.starts_with("aws_") || id.contains('.') =>
        {
            format!("an `aws_iam_role_policy_attachment` of `{policy}` to `{id}`")
        }
        crate::state::iam::RoleSource::Template(id) => {
            format!("`{policy}` in `ManagedPolicyArns` of `{id}`")
        }
        crate::state::iam::RoleSource::StateFile => format!(
            "`aws iam attach-role-policy --role-name {} --policy-arn {policy}`",
            view.entry.name.as_deref().unwrap_or(view.label())
        ),
    };
    format!(
        "attach the AWS managed policy AmazonECSTaskExecutionRolePolicy, which grants `ecr:GetAuthorizationToken`, the ECR pull actions and the awslogs actions on all resources: {attach}; or, to grant only what is missing, {narrow}"
    )
}

/// The task role's label, when the task role (a different role) would be allowed what the
/// execution role is refused: a sign that the permission is on the wrong role.
pub fn task_role_would_allow(
    facts: &super::facts::Facts,
    action: &str,
    resource: &str,
    region: &str,
    resource_account: &str,
) -> Option<String> {
    let super::facts::RoleRef::Found(task_role) = &facts.task_role else {
        return None;
    };
    if let super::facts::RoleRef::Found(exec) = &facts.exec
        && std::ptr::eq(exec.entry, task_role.entry)
    {
        return None;
    }
    let (principal, mut ctx) = base_context(task_role);
    ctx.set("aws:RequestedRegion", region.to_string())
        .set("aws:ResourceAccount", resource_account.to_string());
    let c = check(task_role, &principal, &ctx, action, resource, None);
    (c.eval.decision == crate::iam::Decision::Allowed).then(|| task_role.label().to_string())
}
