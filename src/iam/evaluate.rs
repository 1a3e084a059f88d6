//! The authorization decision (docs/iam.md#the-decision) and the statements behind it.
//!
//! Every statement evaluates to True / False / Unknown (docs/iam.md#conditions); the
//! layers combine with Kleene logic:
//!
//! * explicit deny: any applicable `Deny` in identity policies, the boundary or the resource
//!   policy;
//! * same account: `(identity ∧ boundary) ∨ (resource→role ∧ boundary) ∨ resource→session`.
//!   A resource policy naming the role ARN is still limited by the boundary; naming the session
//!   (or `*`) grants directly; naming the account delegates to identity policies
//!   (docs/iam.md#the-decision, conservative);
//! * cross account: `identity ∧ boundary ∧ resource grants (session, role or account)`.
//!
//! A policy whose document is unknown may allow or deny anything: it contributes Unknown to
//! both the allow and the deny side, so it can only make the outcome Unknown, never Denied.
//!
//! Not modelled: SCPs, RCPs and session policies (ECS-issued sessions carry none,
//! docs/iam.md#the-decision).
//! Callers report SCPs/RCPs as "not evaluated".

use super::policy::{AwsPrincipal, Effect, Policy, PrincipalSet, Principals, Resources, Statement};
use super::request::{Principal, Request, RequestContext, role_name};
use super::variables::{VarFail, VarMatch};
use crate::base::known::Tri;

/// A policy whose document is known, or only its name.
#[derive(Clone, Debug)]
pub enum PolicyDoc<'a> {
    Known(&'a Policy),
    /// E.g. an attached managed policy that the state does not contain.
    Unknown {
        name: String,
        reason: String,
    },
}

impl PolicyDoc<'_> {
    pub fn name(&self) -> &str {
        match self {
            PolicyDoc::Known(p) => &p.name,
            PolicyDoc::Unknown { name, .. } => name,
        }
    }
}

/// The resource's side: who owns it and its resource-based policy.
#[derive(Clone, Debug)]
pub struct ResourceSide<'a> {
    /// The account that owns the resource (decides same- vs cross-account).
    pub owner_account: String,
    /// `None`: the resource has no policy (e.g. `RepositoryPolicyNotFoundException`).
    pub policy: Option<PolicyDoc<'a>>,
}

/// Every policy that applies to one request. Leave `resource` as `None` for requests with no
/// resource policy in play (actions on `*`, such as `ecr:GetAuthorizationToken`), or to decide
/// a same-account request on the caller's side alone when the resource policy is not known
/// (docs/iam.md#same-account-pulls-with-an-unknown-repository-policy); `Some` with
/// [`PolicyDoc::Unknown`] makes the unknown policy count.
#[derive(Clone, Debug, Default)]
pub struct PolicySet<'a> {
    /// Inline and attached managed policies of the role.
    pub identity: Vec<PolicyDoc<'a>>,
    /// The role's permissions boundary, if it has one.
    pub boundary: Option<PolicyDoc<'a>>,
    pub resource: Option<ResourceSide<'a>>,
}

/// Which kind of policy a statement belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    Identity,
    Boundary,
    Resource,
    Trust,
    Endpoint,
}

/// A statement by policy name and position; callers map it to a file position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRef {
    pub layer: Layer,
    pub policy: String,
    pub index: usize,
    pub sid: Option<String>,
}

/// A policy that could not be read and so left the outcome open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPolicy {
    pub layer: Layer,
    pub name: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    /// Denied because nothing that is required allows it. When `layers` shows an explicit
    /// deny that is Unknown, the request is denied either way; only the kind is open.
    ImplicitDeny,
    /// Could go either way; see `unknown_keys`, `unknown_policies`, `undecided`, `notes`.
    Unknown,
}

/// Which layer decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// "denied explicitly by statement … of policy …" (the first layer with a definite deny;
    /// `deciding` lists every definite deny).
    ExplicitDeny(Layer),
    /// Same account: no identity policy allows it and no resource policy grants it.
    NoAllow,
    /// Cross account: no identity policy of the caller allows it.
    NoIdentityAllow,
    /// The permissions boundary does not allow it.
    BoundaryDoesNotAllow,
    /// Cross account: the resource policy does not grant it to the caller.
    ResourcePolicyDoesNotGrant,
    /// Allowed through the identity path (identity ∧ boundary) and/or the resource policy.
    Allowed {
        by_identity: bool,
        by_resource: bool,
    },
    Undetermined,
}

/// What the resource policy says, per principal form it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceLayer {
    /// An Allow naming the session (or `*`, or an Allow with `NotPrincipal`).
    pub grants_session: Tri,
    /// An Allow naming the role ARN (limited by the boundary in the same account).
    pub grants_role: Tri,
    /// An Allow naming the account (a delegation; counts only cross-account).
    pub grants_account: Tri,
    pub denies: Tri,
    /// False when the resource has no policy.
    pub has_policy: bool,
}

impl ResourceLayer {
    /// Any grant, at any principal level (what a cross-account request needs).
    pub fn grants(&self) -> Tri {
        self.grants_session
            .or(self.grants_role)
            .or(self.grants_account)
    }
}

/// Per-layer results, so callers can tell "the caller's side refuses" from "the resource's
/// side refuses" (both can be true at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layers {
    pub cross_account: bool,
    pub identity_allows: Tri,
    pub identity_denies: Tri,
    /// `None` without a boundary.
    pub boundary_allows: Option<Tri>,
    pub boundary_denies: Option<Tri>,
    /// `None` when the policy set has no resource side.
    pub resource: Option<ResourceLayer>,
}

impl Layers {
    pub fn explicit_deny(&self) -> Tri {
        let r = self.resource.map_or(Tri::False, |r| r.denies);
        self.identity_denies
            .or(self.boundary_denies.unwrap_or(Tri::False))
            .or(r)
    }

    /// The caller's own account alone: identity ∧ boundary, minus their explicit denies.
    pub fn caller_side(&self) -> Tri {
        let deny = self
            .identity_denies
            .or(self.boundary_denies.unwrap_or(Tri::False));
        self.identity_allows
            .and(self.boundary_allows.unwrap_or(Tri::True))
            .and(!deny)
    }

    /// The resource's side alone: its policy grants (at any principal level) and does not deny.
    /// `None` without a resource side.
    pub fn resource_side(&self) -> Option<Tri> {
        self.resource.map(|r| r.grants().and(!r.denies))
    }
}

/// The decision and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub decision: Decision,
    pub reason: Reason,
    /// The statements that decided: the definite denies for an explicit deny, the definite
    /// allows on the granting path(s) for an allow; empty for an implicit deny.
    pub deciding: Vec<StatementRef>,
    /// Statements whose applicability could not be decided (they may not have changed a
    /// definite outcome).
    pub undecided: Vec<StatementRef>,
    /// Condition keys (and policy-variable keys) behind the undecided statements, as written in
    /// the policy (variables lowercased), sorted, without duplicates.
    pub unknown_keys: Vec<String>,
    pub unknown_policies: Vec<UnknownPolicy>,
    /// Other causes of undecided statements (principal forms, missing elements).
    pub notes: Vec<String>,
    pub layers: Layers,
}

impl Evaluation {
    pub fn is_allowed(&self) -> Tri {
        match self.decision {
            Decision::Allowed => Tri::True,
            Decision::ExplicitDeny | Decision::ImplicitDeny => Tri::False,
            Decision::Unknown => Tri::Unknown,
        }
    }
}

/// Collects what could not be decided while statements are evaluated.
#[derive(Default)]
struct Acc {
    undecided: Vec<StatementRef>,
    unknown_keys: Vec<String>,
    unknown_policies: Vec<UnknownPolicy>,
    notes: Vec<String>,
}

impl Acc {
    fn note(&mut self, text: &str) {
        if !self.notes.iter().any(|n| n == text) {
            self.notes.push(text.to_string());
        }
    }
}

fn stmt_ref(layer: Layer, policy: &Policy, s: &Statement) -> StatementRef {
    StatementRef {
        layer,
        policy: policy.name.clone(),
        index: s.index,
        sid: s.sid.clone(),
    }
}

/// Action ∧ Resource ∧ Condition of one statement. `implicit_resource`: a statement without
/// Resource/NotResource applies to the resource the policy is attached to (resource policies);
/// elsewhere IAM requires the element, so its absence is not decided.
fn core_applies(s: &Statement, req: &Request<'_>, implicit_resource: bool, acc: &mut Acc) -> Tri {
    let action_lc = req.action_lc();
    let action_ok = match &s.actions {
        super::policy::Actions::Action(ps) => ps.iter().any(|p| p.matches(action_lc)),
        super::policy::Actions::NotAction(ps) => !ps.iter().any(|p| p.matches(action_lc)),
    };
    if !action_ok {
        return Tri::False;
    }
    let mark = acc.unknown_keys.len();
    let resource = match &s.resources {
        None if implicit_resource => Tri::True,
        None => {
            acc.note("a statement has no Resource element (IAM requires one here)");
            Tri::Unknown
        }
        Some(Resources::Resource(ps)) => any_resource(ps, req, false, acc),
        Some(Resources::NotResource(ps)) => !any_resource(ps, req, true, acc),
    };
    let mut result = resource;
    if result != Tri::False {
        for c in &s.conditions {
            result = result.and(c.evaluate(req.context, &mut acc.unknown_keys));
            if result == Tri::False {
                break;
            }
        }
    }
    if result != Tri::Unknown {
        acc.unknown_keys.truncate(mark);
    }
    result
}

/// Whether any pattern matches the request's resource. An unresolvable variable cannot match;
/// inside NotResource (`negated`) that is not decided, since IAM may treat the statement as
/// invalid.
fn any_resource(
    ps: &[super::matcher::ArnPattern],
    req: &Request<'_>,
    negated: bool,
    acc: &mut Acc,
) -> Tri {
    let mut acc_t = Tri::False;
    for p in ps {
        let t = match p.matches(req.resource(), req.resource_split(), req.context) {
            VarMatch::Yes => Tri::True,
            VarMatch::No => Tri::False,
            VarMatch::Fail(VarFail::Unknown(k)) => {
                acc.unknown_keys.push(k);
                Tri::Unknown
            }
            VarMatch::Fail(VarFail::Unresolvable) if !negated => Tri::False,
            VarMatch::Fail(VarFail::Unresolvable) => {
                acc.note("a NotResource pattern uses a policy variable that cannot be resolved");
                Tri::Unknown
            }
        };
        acc_t = acc_t.or(t);
        if acc_t == Tri::True {
            break;
        }
    }
    acc_t
}

/// How a principal element names the request's principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Levels {
    session: Tri,
    role: Tri,
    account: Tri,
}

const NO_LEVELS: Levels = Levels {
    session: Tri::False,
    role: Tri::False,
    account: Tri::False,
};

fn principal_levels(set: &PrincipalSet, p: &Principal, acc: &mut Acc) -> Levels {
    let mut l = NO_LEVELS;
    if set.any {
        l.session = Tri::True;
    }
    for entry in &set.aws {
        match entry {
            AwsPrincipal::Account { id, partition } => {
                let same_partition = partition.as_deref().is_none_or(|x| x == p.partition());
                if *id == p.account && same_partition {
                    l.account = Tri::True;
                }
            }
            AwsPrincipal::Role(arn) => {
                if *arn == p.role_arn {
                    l.role = Tri::True;
                }
            }
            AwsPrincipal::Session(arn) => match &p.session_arn {
                Some(s) if s == arn => l.session = Tri::True,
                Some(_) => {}
                None => {
                    if names_session_of(arn, p) && l.session != Tri::True {
                        acc.note("a policy names a session of the role, and the session name is not known");
                        l.session = Tri::Unknown;
                    }
                }
            },
            AwsPrincipal::Other => {}
        }
    }
    l
}

/// Whether a session ARN belongs to the principal's role (same partition, account, role name).
fn names_session_of(session_arn: &str, p: &Principal) -> bool {
    let expected_prefix = format!(
        "arn:{}:sts::{}:assumed-role/{}/",
        p.partition(),
        p.account,
        role_name(&p.role_arn).unwrap_or("")
    );
    session_arn.starts_with(&expected_prefix)
}

/// Whether a `NotPrincipal` statement applies to the principal. The IAM docs say a session is
/// reliably excluded only when its session, role and account ARNs are all listed; a partial
/// list "might" deny the whole account or role, so it is not decided. A `Deny` with
/// `NotPrincipal` always applies to a principal that has a permissions boundary.
fn not_principal_applies(
    set: &PrincipalSet,
    p: &Principal,
    effect: Effect,
    has_boundary: bool,
    acc: &mut Acc,
) -> Tri {
    if effect == Effect::Deny && has_boundary {
        return Tri::True;
    }
    if set.any {
        return Tri::False;
    }
    let l = principal_levels(set, p, acc);
    if l == NO_LEVELS {
        return Tri::True;
    }
    if l.session == Tri::True && l.role == Tri::True && l.account == Tri::True {
        return Tri::False;
    }
    acc.note("a NotPrincipal element names only part of the principal (session, role, account)");
    Tri::Unknown
}

/// Allow/deny results of one identity-like layer (identity policies, boundary, trust).
struct Side {
    allow: Tri,
    deny: Tri,
    allow_true: Vec<StatementRef>,
    deny_true: Vec<StatementRef>,
}

impl Side {
    fn new() -> Side {
        Side {
            allow: Tri::False,
            deny: Tri::False,
            allow_true: Vec::new(),
            deny_true: Vec::new(),
        }
    }

    fn add(&mut self, effect: Effect, t: Tri, r: impl FnOnce() -> StatementRef, acc: &mut Acc) {
        match t {
            Tri::False => return,
            Tri::True => {
                let r = r();
                match effect {
                    Effect::Allow => self.allow_true.push(r),
                    Effect::Deny => self.deny_true.push(r),
                }
            }
            Tri::Unknown => acc.undecided.push(r()),
        }
        match effect {
            Effect::Allow => self.allow = self.allow.or(t),
            Effect::Deny => self.deny = self.deny.or(t),
        }
    }

    fn add_unknown_policy(&mut self, layer: Layer, name: &str, reason: &str, acc: &mut Acc) {
        self.allow = self.allow.or(Tri::Unknown);
        self.deny = self.deny.or(Tri::Unknown);
        acc.unknown_policies.push(UnknownPolicy {
            layer,
            name: name.to_string(),
            reason: reason.to_string(),
        });
    }
}

fn identity_side<'p>(
    docs: impl Iterator<Item = &'p PolicyDoc<'p>>,
    layer: Layer,
    req: &Request<'_>,
    acc: &mut Acc,
) -> Side {
    let mut side = Side::new();
    for doc in docs {
        match doc {
            PolicyDoc::Known(policy) => {
                for s in &policy.statements {
                    let principal = if s.has_principal_element() {
                        acc.note("an identity policy or boundary has a Principal element (IAM refuses that)");
                        Tri::Unknown
                    } else {
                        Tri::True
                    };
                    let t = principal.and(core_applies(s, req, false, acc));
                    side.add(s.effect, t, || stmt_ref(layer, policy, s), acc);
                }
            }
            PolicyDoc::Unknown { name, reason } => {
                side.add_unknown_policy(layer, name, reason, acc)
            }
        }
    }
    side
}

/// Resource-policy results, per principal level.
struct ResourceEval {
    layer: ResourceLayer,
    session_true: Vec<StatementRef>,
    role_true: Vec<StatementRef>,
    account_true: Vec<StatementRef>,
    deny_true: Vec<StatementRef>,
}

fn resource_side(
    doc: Option<&PolicyDoc<'_>>,
    layer: Layer,
    req: &Request<'_>,
    has_boundary: bool,
    acc: &mut Acc,
) -> ResourceEval {
    let mut out = ResourceEval {
        layer: ResourceLayer {
            grants_session: Tri::False,
            grants_role: Tri::False,
            grants_account: Tri::False,
            denies: Tri::False,
            has_policy: doc.is_some(),
        },
        session_true: Vec::new(),
        role_true: Vec::new(),
        account_true: Vec::new(),
        deny_true: Vec::new(),
    };
    let policy = match doc {
        None => return out,
        Some(PolicyDoc::Unknown { name, reason }) => {
            let l = &mut out.layer;
            l.grants_session = Tri::Unknown;
            l.grants_role = Tri::Unknown;
            l.grants_account = Tri::Unknown;
            l.denies = Tri::Unknown;
            acc.unknown_policies.push(UnknownPolicy {
                layer,
                name: name.clone(),
                reason: reason.clone(),
            });
            return out;
        }
        Some(PolicyDoc::Known(p)) => p,
    };
    for s in &policy.statements {
        let levels = match &s.principals {
            // IAM requires a principal in resource policies; a statement without one names
            // nobody.
            None => NO_LEVELS,
            Some(Principals::Principal(set)) => principal_levels(set, req.principal, acc),
            Some(Principals::NotPrincipal(set)) => Levels {
                session: not_principal_applies(set, req.principal, s.effect, has_boundary, acc),
                role: Tri::False,
                account: Tri::False,
            },
        };
        if levels == NO_LEVELS {
            continue;
        }
        let core = core_applies(s, req, true, acc);
        if core == Tri::False {
            continue;
        }
        let r = || stmt_ref(layer, policy, s);
        let l = &mut out.layer;
        match s.effect {
            Effect::Deny => {
                let t = levels.session.or(levels.role).or(levels.account).and(core);
                l.denies = l.denies.or(t);
                match t {
                    Tri::True => out.deny_true.push(r()),
                    Tri::Unknown => acc.undecided.push(r()),
                    Tri::False => {}
                }
            }
            Effect::Allow => {
                let (ts, tr, ta) = (
                    levels.session.and(core),
                    levels.role.and(core),
                    levels.account.and(core),
                );
                l.grants_session = l.grants_session.or(ts);
                l.grants_role = l.grants_role.or(tr);
                l.grants_account = l.grants_account.or(ta);
                if ts == Tri::True {
                    out.session_true.push(r());
                }
                if tr == Tri::True {
                    out.role_true.push(r());
                }
                if ta == Tri::True {
                    out.account_true.push(r());
                }
                if [ts, tr, ta].contains(&Tri::Unknown) && ![ts, tr, ta].contains(&Tri::True) {
                    acc.undecided.push(r());
                }
            }
        }
    }
    out
}

/// Decides one request against the policies of a role (and the resource's policy).
pub fn evaluate(req: &Request<'_>, set: &PolicySet<'_>) -> Evaluation {
    let mut acc = Acc::default();
    let id = identity_side(set.identity.iter(), Layer::Identity, req, &mut acc);
    let bd = set
        .boundary
        .as_ref()
        .map(|b| identity_side(std::iter::once(b), Layer::Boundary, req, &mut acc));
    let has_boundary = set.boundary.is_some();
    let cross = set
        .resource
        .as_ref()
        .is_some_and(|r| r.owner_account != req.principal.account);
    let rs = set.resource.as_ref().map(|r| {
        resource_side(
            r.policy.as_ref(),
            Layer::Resource,
            req,
            has_boundary,
            &mut acc,
        )
    });

    let layers = Layers {
        cross_account: cross,
        identity_allows: id.allow,
        identity_denies: id.deny,
        boundary_allows: bd.as_ref().map(|b| b.allow),
        boundary_denies: bd.as_ref().map(|b| b.deny),
        resource: rs.as_ref().map(|r| r.layer),
    };
    let none = ResourceLayer {
        grants_session: Tri::False,
        grants_role: Tri::False,
        grants_account: Tri::False,
        denies: Tri::False,
        has_policy: false,
    };
    let r = layers.resource.unwrap_or(none);
    let b = layers.boundary_allows.unwrap_or(Tri::True);
    let identity_path = id.allow.and(b);
    let resource_path = if cross {
        r.grants()
    } else {
        r.grants_role.and(b).or(r.grants_session)
    };
    let grant = if cross {
        identity_path.and(resource_path)
    } else {
        identity_path.or(resource_path)
    };
    let deny = layers.explicit_deny();

    let mut deciding = Vec::new();
    let (decision, reason) = if deny == Tri::True {
        let first = if id.deny == Tri::True {
            Layer::Identity
        } else if layers.boundary_denies == Some(Tri::True) {
            Layer::Boundary
        } else {
            Layer::Resource
        };
        deciding.extend(id.deny_true.iter().cloned());
        if let Some(b) = &bd {
            deciding.extend(b.deny_true.iter().cloned());
        }
        if let Some(r) = &rs {
            deciding.extend(r.deny_true.iter().cloned());
        }
        (Decision::ExplicitDeny, Reason::ExplicitDeny(first))
    } else if grant == Tri::False {
        let reason = if cross {
            if id.allow == Tri::False {
                Reason::NoIdentityAllow
            } else if b == Tri::False {
                Reason::BoundaryDoesNotAllow
            } else {
                Reason::ResourcePolicyDoesNotGrant
            }
        } else if id.allow.or(r.grants_role) == Tri::False && r.grants_session == Tri::False {
            Reason::NoAllow
        } else {
            Reason::BoundaryDoesNotAllow
        };
        (Decision::ImplicitDeny, reason)
    } else if grant == Tri::True && deny == Tri::False {
        let by_identity = identity_path == Tri::True;
        let by_resource = resource_path == Tri::True;
        if by_identity {
            deciding.extend(id.allow_true.iter().cloned());
            if let Some(b) = &bd {
                deciding.extend(b.allow_true.iter().cloned());
            }
        }
        if let (true, Some(rv)) = (by_resource, &rs) {
            deciding.extend(rv.session_true.iter().cloned());
            if cross || b == Tri::True {
                deciding.extend(rv.role_true.iter().cloned());
            }
            if cross {
                deciding.extend(rv.account_true.iter().cloned());
            }
        }
        (
            Decision::Allowed,
            Reason::Allowed {
                by_identity,
                by_resource,
            },
        )
    } else {
        (Decision::Unknown, Reason::Undetermined)
    };

    let mut unknown_keys = acc.unknown_keys;
    unknown_keys.sort();
    unknown_keys.dedup();
    Evaluation {
        decision,
        reason,
        deciding,
        undecided: acc.undecided,
        unknown_keys,
        unknown_policies: acc.unknown_policies,
        notes: acc.notes,
        layers,
    }
}

/// The result of a trust-policy or endpoint-policy check.
#[derive(Clone, Debug, PartialEq)]
pub struct GateEvaluation {
    /// True: an Allow applies and no Deny can; False: a Deny applies or no Allow can.
    pub allowed: Tri,
    /// Definite denies when refused; definite allows when allowed.
    pub deciding: Vec<StatementRef>,
    pub undecided: Vec<StatementRef>,
    pub unknown_keys: Vec<String>,
    pub notes: Vec<String>,
}

fn gate(side: Side, acc: Acc) -> GateEvaluation {
    let allowed = side.allow.and(!side.deny);
    let deciding = match allowed {
        Tri::True => side.allow_true,
        Tri::False => side.deny_true,
        Tri::Unknown => Vec::new(),
    };
    let mut unknown_keys = acc.unknown_keys;
    unknown_keys.sort();
    unknown_keys.dedup();
    GateEvaluation {
        allowed,
        deciding,
        undecided: acc.undecided,
        unknown_keys,
        notes: acc.notes,
    }
}

/// Whether a role's trust policy lets an AWS service principal (e.g. `ecs-tasks.amazonaws.com`)
/// perform `action` (e.g. `sts:AssumeRole`) (docs/iam.md#trust-policy). Trust policies must
/// allow the principal explicitly. Set `aws:SourceAccount` / `aws:SourceArn` in `context`; keys
/// left unknown make conditions on them Unknown.
pub fn trust_allows(
    trust: &Policy,
    service_principal: &str,
    action: &str,
    context: &RequestContext,
) -> GateEvaluation {
    let mut acc = Acc::default();
    let mut side = Side::new();
    // Trust statements have no Resource; the request's resource plays no part.
    let principal = Principal {
        role_arn: String::new(),
        account: String::new(),
        session_arn: None,
    };
    let req = Request::new(action, "*", &principal, context);
    for s in &trust.statements {
        let named =
            |set: &PrincipalSet| set.any || set.services.iter().any(|x| x == service_principal);
        let p = match &s.principals {
            None => {
                acc.note("a trust policy statement has no Principal element");
                Tri::Unknown
            }
            Some(Principals::Principal(set)) => Tri::from_bool(named(set)),
            Some(Principals::NotPrincipal(set)) => Tri::from_bool(!named(set)),
        };
        if p == Tri::False {
            continue;
        }
        let r = if s.has_resource_element() {
            acc.note("a trust policy statement has a Resource element (IAM refuses that)");
            Tri::Unknown
        } else {
            Tri::True
        };
        let t = p.and(r).and(core_applies(s, &req, true, &mut acc));
        side.add(s.effect, t, || stmt_ref(Layer::Trust, trust, s), &mut acc);
    }
    gate(side, acc)
}

/// Whether a VPC endpoint policy lets the request through (docs/network.md#endpoint-policies:
/// evaluated like a resource policy; a principal named at any level counts; the request must be
/// allowed by it as well).
pub fn endpoint_policy_allows(policy: &PolicyDoc<'_>, req: &Request<'_>) -> GateEvaluation {
    let mut acc = Acc::default();
    let mut side = Side::new();
    match policy {
        PolicyDoc::Unknown { name, reason } => {
            side.add_unknown_policy(Layer::Endpoint, name, reason, &mut acc)
        }
        PolicyDoc::Known(_) => {
            let r = resource_side(Some(policy), Layer::Endpoint, req, false, &mut acc);
            side.allow = r.layer.grants();
            side.deny = r.layer.denies;
            side.allow_true = [r.session_true, r.role_true, r.account_true].concat();
            side.deny_true = r.deny_true;
        }
    }
    gate(side, acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::parse_policy;
    use serde_json::{Value, json};

    const ROLE: &str = "arn:aws:iam::111111111111:role/service-role/exec";
    const REPO: &str = "arn:aws:ecr:us-east-1:111111111111:repository/app";
    const FOREIGN_REPO: &str = "arn:aws:ecr:us-east-1:222222222222:repository/base";

    fn pol(name: &str, doc: Value) -> Policy {
        parse_policy(&doc).unwrap().with_name(name)
    }

    fn allow(action: &str, resource: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Action": action, "Resource": resource}]})
    }

    fn exec_policy() -> Policy {
        pol(
            "AmazonECSTaskExecutionRolePolicy",
            json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
                "ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}),
        )
    }

    fn repo_policy(principal: Value) -> Policy {
        pol(
            "repository policy",
            json!({"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow","Principal":principal,
                "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}),
        )
    }

    struct Case {
        principal: Principal,
        ctx: RequestContext,
    }

    impl Case {
        fn new() -> Case {
            Case {
                principal: Principal::from_role_arn(ROLE, None),
                ctx: RequestContext::new(),
            }
        }
        fn eval(&self, action: &str, resource: &str, set: &PolicySet<'_>) -> Evaluation {
            evaluate(
                &Request::new(action, resource, &self.principal, &self.ctx),
                set,
            )
        }
    }

    fn same_account<'a>(policy: Option<&'a Policy>) -> Option<ResourceSide<'a>> {
        Some(ResourceSide {
            owner_account: "111111111111".into(),
            policy: policy.map(PolicyDoc::Known),
        })
    }

    fn foreign<'a>(policy: Option<&'a Policy>) -> Option<ResourceSide<'a>> {
        Some(ResourceSide {
            owner_account: "222222222222".into(),
            policy: policy.map(PolicyDoc::Known),
        })
    }

    #[test]
    fn managed_execution_policy_allows_the_pull() {
        let c = Case::new();
        let p = exec_policy();
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            ..Default::default()
        };
        for (action, res) in [
            ("ecr:GetAuthorizationToken", "*"),
            ("ecr:BatchGetImage", REPO),
            ("ECR:getdownloadurlforlayer", REPO),
        ] {
            let e = c.eval(action, res, &set);
            assert_eq!(e.decision, Decision::Allowed, "{action}");
            assert_eq!(
                e.reason,
                Reason::Allowed {
                    by_identity: true,
                    by_resource: false
                }
            );
            assert_eq!(e.deciding[0].policy, "AmazonECSTaskExecutionRolePolicy");
            assert_eq!(e.deciding[0].index, 0);
        }
        assert_eq!(
            c.eval("ecr:PutImage", REPO, &set).decision,
            Decision::ImplicitDeny
        );
        assert_eq!(c.eval("ecr:PutImage", REPO, &set).reason, Reason::NoAllow);
    }

    #[test]
    fn explicit_deny_names_the_statement() {
        let c = Case::new();
        let p = exec_policy();
        let d = pol(
            "deny-pull",
            json!({"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:*","Resource":"*"},
                {"Sid":"NoPull","Effect":"Deny","Action":"ecr:Batch*","Resource":"arn:aws:ecr:*:*:repository/*"}]}),
        );
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p), PolicyDoc::Known(&d)],
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::ExplicitDeny);
        assert_eq!(e.reason, Reason::ExplicitDeny(Layer::Identity));
        assert_eq!(
            e.deciding,
            vec![StatementRef {
                layer: Layer::Identity,
                policy: "deny-pull".into(),
                index: 1,
                sid: Some("NoPull".into())
            }]
        );
        assert_eq!(
            c.eval("ecr:GetDownloadUrlForLayer", REPO, &set).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn boundary_limits_identity_and_role_grants_but_not_session_grants() {
        let mut c = Case::new();
        let p = exec_policy();
        let b = pol("boundary", allow("logs:*", "*"));
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            boundary: Some(PolicyDoc::Known(&b)),
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(
            (e.decision, e.reason),
            (Decision::ImplicitDeny, Reason::BoundaryDoesNotAllow)
        );
        assert_eq!(e.layers.caller_side(), Tri::False);

        // Same account, repository policy naming the role ARN: still limited by the boundary.
        let by_role = repo_policy(json!({"AWS": ROLE}));
        let set = PolicySet {
            identity: vec![],
            boundary: Some(PolicyDoc::Known(&b)),
            resource: same_account(Some(&by_role)),
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(
            (e.decision, e.reason),
            (Decision::ImplicitDeny, Reason::BoundaryDoesNotAllow)
        );
        // Without a boundary the role grant suffices, with no identity policy at all.
        let set = PolicySet {
            identity: vec![],
            boundary: None,
            resource: same_account(Some(&by_role)),
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::Allowed);
        assert_eq!(
            e.reason,
            Reason::Allowed {
                by_identity: false,
                by_resource: true
            }
        );
        assert_eq!(e.deciding[0].layer, Layer::Resource);
        assert_eq!(e.deciding[0].sid.as_deref(), Some("Pull"));

        // Naming the session grants directly, past the boundary's implicit deny.
        c.principal = Principal::from_role_arn(ROLE, Some("task-1"));
        let by_session =
            repo_policy(json!({"AWS": "arn:aws:sts::111111111111:assumed-role/exec/task-1"}));
        let set = PolicySet {
            identity: vec![],
            boundary: Some(PolicyDoc::Known(&b)),
            resource: same_account(Some(&by_session)),
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn account_principal_in_the_same_account_needs_an_identity_allow() {
        let c = Case::new();
        let by_account = repo_policy(json!({"AWS": "arn:aws:iam::111111111111:root"}));
        let set = PolicySet {
            identity: vec![],
            boundary: None,
            resource: same_account(Some(&by_account)),
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(
            (e.decision, e.reason),
            (Decision::ImplicitDeny, Reason::NoAllow)
        );
    }

    #[test]
    fn cross_account_needs_both_sides() {
        let c = Case::new();
        let p = exec_policy();
        let grants = repo_policy(json!({"AWS": "111111111111"}));
        let other = repo_policy(json!({"AWS": "333333333333"}));
        let set = |id: Vec<PolicyDoc<'static>>, r| PolicySet {
            identity: id,
            boundary: None,
            resource: r,
        };
        let p: &'static Policy = Box::leak(Box::new(p));
        let grants: &'static Policy = Box::leak(Box::new(grants));
        let other: &'static Policy = Box::leak(Box::new(other));

        let e = c.eval(
            "ecr:BatchGetImage",
            FOREIGN_REPO,
            &set(vec![PolicyDoc::Known(p)], foreign(Some(grants))),
        );
        assert_eq!(e.decision, Decision::Allowed);
        assert!(e.layers.cross_account);
        assert_eq!(e.deciding.len(), 2);

        let e = c.eval(
            "ecr:BatchGetImage",
            FOREIGN_REPO,
            &set(vec![PolicyDoc::Known(p)], foreign(Some(other))),
        );
        assert_eq!(
            (e.decision, e.reason),
            (Decision::ImplicitDeny, Reason::ResourcePolicyDoesNotGrant)
        );
        assert_eq!(e.layers.caller_side(), Tri::True);
        assert_eq!(e.layers.resource_side(), Some(Tri::False));

        let e = c.eval(
            "ecr:BatchGetImage",
            FOREIGN_REPO,
            &set(vec![PolicyDoc::Known(p)], foreign(None)),
        );
        assert_eq!(e.reason, Reason::ResourcePolicyDoesNotGrant);

        let e = c.eval(
            "ecr:BatchGetImage",
            FOREIGN_REPO,
            &set(vec![], foreign(Some(grants))),
        );
        assert_eq!(
            (e.decision, e.reason),
            (Decision::ImplicitDeny, Reason::NoIdentityAllow)
        );
        assert_eq!(e.layers.resource_side(), Some(Tri::True));
    }

    #[test]
    fn resource_policy_deny_naming_the_account_denies() {
        let c = Case::new();
        let p = exec_policy();
        let deny = pol(
            "repo",
            json!({"Version":"2012-10-17","Statement":[{"Sid":"NoOne","Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"ecr:*"}]}),
        );
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            boundary: None,
            resource: same_account(Some(&deny)),
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(
            (e.decision, e.reason),
            (
                Decision::ExplicitDeny,
                Reason::ExplicitDeny(Layer::Resource)
            )
        );
        assert_eq!(e.deciding[0].sid.as_deref(), Some("NoOne"));
    }

    #[test]
    fn unknown_policies_open_the_outcome_but_never_deny() {
        let c = Case::new();
        let p = exec_policy();
        let unknown = || PolicyDoc::Unknown {
            name: "arn:aws:iam::111111111111:policy/custom".into(),
            reason: "not in the state".into(),
        };
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p), unknown()],
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::Unknown);
        assert_eq!(
            e.unknown_policies[0].name,
            "arn:aws:iam::111111111111:policy/custom"
        );
        // Only an unknown policy: it could allow, so not denied.
        let set = PolicySet {
            identity: vec![unknown()],
            ..Default::default()
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set).decision,
            Decision::Unknown
        );
        // A definite boundary refusal decides regardless.
        let b = pol("boundary", allow("logs:*", "*"));
        let set = PolicySet {
            identity: vec![unknown()],
            boundary: Some(PolicyDoc::Known(&b)),
            resource: None,
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set).decision,
            Decision::ImplicitDeny
        );
        // A definite deny decides regardless.
        let d = pol(
            "d",
            json!({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}),
        );
        let set = PolicySet {
            identity: vec![unknown(), PolicyDoc::Known(&d)],
            ..Default::default()
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set).decision,
            Decision::ExplicitDeny
        );
        // An unknown boundary.
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            boundary: Some(unknown()),
            resource: None,
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::Unknown);
        assert_eq!(e.unknown_policies[0].layer, Layer::Boundary);
        // An unknown repository policy, cross-account.
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            boundary: None,
            resource: Some(ResourceSide {
                owner_account: "222222222222".into(),
                policy: Some(unknown()),
            }),
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", FOREIGN_REPO, &set).decision,
            Decision::Unknown
        );
    }

    #[test]
    fn conditions_three_valued() {
        let mut c = Case::new();
        let p = pol(
            "vpc-only",
            json!({"Version":"2012-10-17","Statement":[{"Sid":"Auth","Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*",
                "Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}),
        );
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            ..Default::default()
        };
        let e = c.eval("ecr:GetAuthorizationToken", "*", &set);
        assert_eq!(e.decision, Decision::Unknown);
        assert_eq!(e.unknown_keys, vec!["aws:SourceVpc".to_string()]);
        assert_eq!(e.undecided[0].sid.as_deref(), Some("Auth"));
        // On Fargate the key is known to be absent for this call
        // (docs/iam.md#the-token-call-on-fargate).
        c.ctx.set_absent("aws:SourceVpc");
        let e = c.eval("ecr:GetAuthorizationToken", "*", &set);
        assert_eq!(e.decision, Decision::ImplicitDeny);
        assert!(e.unknown_keys.is_empty());
        c.ctx.set("aws:SourceVpc", "vpc-1");
        assert_eq!(
            c.eval("ecr:GetAuthorizationToken", "*", &set).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn possible_deny() {
        let c = Case::new();
        let p = exec_policy();
        let d = pol(
            "maybe-deny",
            json!({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecr:*","Resource":"*",
                "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}]}),
        );
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p), PolicyDoc::Known(&d)],
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::Unknown);
        assert_eq!(e.layers.explicit_deny(), Tri::Unknown);
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&d)],
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::ImplicitDeny);
        assert_eq!(e.layers.explicit_deny(), Tri::Unknown);
    }

    #[test]
    fn not_action_and_not_resource() {
        let c = Case::new();
        let p = pol(
            "broad",
            json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:ecr:*:*:repository/secret*"}]}),
        );
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            ..Default::default()
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set).decision,
            Decision::Allowed
        );
        assert_eq!(
            c.eval("iam:PassRole", REPO, &set).decision,
            Decision::ImplicitDeny
        );
        let secret = "arn:aws:ecr:us-east-1:111111111111:repository/secret-app";
        assert_eq!(
            c.eval("ecr:BatchGetImage", secret, &set).decision,
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn policy_variables_in_resources() {
        let mut c = Case::new();
        let p = pol(
            "team",
            allow(
                "ecr:*",
                "arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}/*",
            ),
        );
        let old = pol(
            "old",
            json!({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}/*"}]}),
        );
        let repo = "arn:aws:ecr:us-east-1:111111111111:repository/blue/app";
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", repo, &set);
        assert_eq!(e.decision, Decision::Unknown);
        assert_eq!(e.unknown_keys, vec!["aws:principaltag/team".to_string()]);
        c.ctx.set("aws:PrincipalTag/team", "blue");
        assert_eq!(
            c.eval("ecr:BatchGetImage", repo, &set).decision,
            Decision::Allowed
        );
        let old_set = PolicySet {
            identity: vec![PolicyDoc::Known(&old)],
            ..Default::default()
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", repo, &old_set).decision,
            Decision::ImplicitDeny
        );
        c.ctx.set_absent("aws:PrincipalTag/team");
        assert_eq!(
            c.eval("ecr:BatchGetImage", repo, &set).decision,
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn principals_session_unknown_and_not_principal() {
        let mut c = Case::new();
        let p = exec_policy();
        let by_session =
            repo_policy(json!({"AWS": "arn:aws:sts::111111111111:assumed-role/exec/task-1"}));
        let other_role_session =
            repo_policy(json!({"AWS": "arn:aws:sts::111111111111:assumed-role/other/task-1"}));
        let set = |r: &'static Policy| PolicySet {
            identity: vec![],
            boundary: None,
            resource: same_account(Some(r)),
        };
        let by_session: &'static Policy = Box::leak(Box::new(by_session));
        let other_role_session: &'static Policy = Box::leak(Box::new(other_role_session));
        let e = c.eval("ecr:BatchGetImage", REPO, &set(by_session));
        assert_eq!(e.decision, Decision::Unknown);
        assert!(!e.notes.is_empty());
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set(other_role_session))
                .decision,
            Decision::ImplicitDeny
        );
        c.principal = Principal::from_role_arn(ROLE, Some("task-2"));
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set(by_session)).decision,
            Decision::ImplicitDeny
        );

        let deny_others = |names: Value| {
            pol(
                "repo",
                json!({"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":names},"Action":"ecr:*"}]}),
            )
        };
        c.principal = Principal::from_role_arn(ROLE, Some("task-1"));
        let full = deny_others(json!([
            ROLE,
            "arn:aws:sts::111111111111:assumed-role/exec/task-1",
            "arn:aws:iam::111111111111:root"
        ]));
        let partial = deny_others(json!([ROLE]));
        let unrelated = deny_others(json!(["arn:aws:iam::333333333333:root"]));
        let run = |r: &Policy, boundary: Option<&Policy>| {
            let set = PolicySet {
                identity: vec![PolicyDoc::Known(&p)],
                boundary: boundary.map(PolicyDoc::Known),
                resource: same_account(Some(r)),
            };
            c.eval("ecr:BatchGetImage", REPO, &set).decision
        };
        assert_eq!(run(&full, None), Decision::Allowed);
        assert_eq!(run(&partial, None), Decision::Unknown);
        assert_eq!(run(&unrelated, None), Decision::ExplicitDeny);
        // A Deny with NotPrincipal always applies to a principal with a boundary.
        let b = pol("boundary", allow("*", "*"));
        assert_eq!(run(&full, Some(&b)), Decision::ExplicitDeny);
    }

    #[test]
    fn missing_resource_and_stray_principal_in_identity_policies_are_undecided() {
        let c = Case::new();
        let no_res = pol(
            "x",
            json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*"}]}),
        );
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&no_res)],
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::Unknown);
        assert!(e.notes[0].contains("no Resource"));
        // In a resource policy, a missing Resource is the resource itself.
        let repo = repo_policy(json!("*"));
        let set = PolicySet {
            identity: vec![],
            boundary: None,
            resource: same_account(Some(&repo)),
        };
        assert_eq!(
            c.eval("ecr:BatchGetImage", REPO, &set).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn trust_policies() {
        let mut ctx = RequestContext::new();
        let trust = |cond: Value| {
            let mut s = json!({"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:*"});
            if !cond.is_null() {
                s["Condition"] = cond;
            }
            pol("trust", json!({"Version":"2012-10-17","Statement":[s]}))
        };
        let plain = trust(Value::Null);
        assert_eq!(
            trust_allows(&plain, "ecs-tasks.amazonaws.com", "sts:AssumeRole", &ctx).allowed,
            Tri::True
        );
        assert_eq!(
            trust_allows(&plain, "lambda.amazonaws.com", "sts:AssumeRole", &ctx).allowed,
            Tri::False
        );
        let guarded = trust(
            json!({"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-west-2:111122223333:*"},"StringEquals":{"aws:SourceAccount":"111122223333"}}),
        );
        let g = trust_allows(&guarded, "ecs-tasks.amazonaws.com", "sts:AssumeRole", &ctx);
        assert_eq!(g.allowed, Tri::Unknown);
        assert_eq!(
            g.unknown_keys,
            vec!["aws:SourceAccount".to_string(), "aws:SourceArn".to_string()]
        );
        ctx.set("aws:SourceAccount", "111122223333").set(
            "aws:SourceArn",
            "arn:aws:ecs:us-west-2:111122223333:task/c/abc",
        );
        let g = trust_allows(&guarded, "ecs-tasks.amazonaws.com", "sts:AssumeRole", &ctx);
        assert_eq!(g.allowed, Tri::True);
        assert_eq!(g.deciding[0].layer, Layer::Trust);
        ctx.set("aws:SourceAccount", "999999999999");
        assert_eq!(
            trust_allows(&guarded, "ecs-tasks.amazonaws.com", "sts:AssumeRole", &ctx).allowed,
            Tri::False
        );
        let star = pol(
            "t",
            json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},
            {"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}),
        );
        assert_eq!(
            trust_allows(&star, "ecs-tasks.amazonaws.com", "sts:AssumeRole", &ctx).allowed,
            Tri::False
        );
        assert_eq!(
            trust_allows(&star, "ec2.amazonaws.com", "sts:AssumeRole", &ctx).allowed,
            Tri::True
        );
    }

    #[test]
    fn endpoint_policies() {
        let c = Case::new();
        let full = pol(
            "default",
            json!({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}),
        );
        let req = Request::new("ecr:BatchGetImage", REPO, &c.principal, &c.ctx);
        assert_eq!(
            endpoint_policy_allows(&PolicyDoc::Known(&full), &req).allowed,
            Tri::True
        );
        let narrow = pol(
            "narrow",
            json!({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"ecr:GetAuthorizationToken","Resource":"*"}]}),
        );
        assert_eq!(
            endpoint_policy_allows(&PolicyDoc::Known(&narrow), &req).allowed,
            Tri::False
        );
        let unknown = PolicyDoc::Unknown {
            name: "vpce".into(),
            reason: "not collected".into(),
        };
        assert_eq!(endpoint_policy_allows(&unknown, &req).allowed, Tri::Unknown);
    }

    /// Random documents built from policy vocabulary (mostly well-formed statements with random
    /// damage): parsing answers Ok or Err, and evaluating whatever parses never panics.
    #[test]
    fn random_documents_never_panic() {
        let mut seed = 0x5EED_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const STRINGS: [&str; 18] = [
            "2012-10-17",
            "Allow",
            "Deny",
            "*",
            "ecr:*",
            "ecr:Batch?et*",
            "arn:aws:ecr:*:*:repository/${aws:username}",
            "aws:SourceVpc",
            "${",
            "${*}",
            "arn:aws:iam::111111111111:root",
            "true",
            "10.0.0.0/8",
            "2024-01-01",
            "é?*",
            "arn:aws:sts::111111111111:assumed-role/exec/s",
            ROLE,
            "",
        ];
        const OPS: [&str; 12] = [
            "StringLike",
            "ForAnyValue:StringEquals",
            "NullIfExists",
            "Null",
            "ArnLikeIfExists",
            "IpAddress",
            "DateGreaterThan",
            "NumericLessThan",
            "Bool",
            "ForAllValues:ArnNotLike",
            "StringEqulas",
            "BinaryEquals",
        ];
        fn any(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
            match next() % if depth > 3 { 4 } else { 6 } {
                0 => json!(STRINGS[(next() % 18) as usize]),
                1 => json!(next().is_multiple_of(3)),
                2 => json!(next() % 1000),
                3 => Value::Null,
                4 => Value::Array((0..next() % 4).map(|_| any(next, depth + 1)).collect()),
                _ => {
                    let mut m = serde_json::Map::new();
                    for _ in 0..next() % 3 {
                        m.insert(STRINGS[(next() % 18) as usize].into(), any(next, depth + 1));
                    }
                    Value::Object(m)
                }
            }
        }
        fn strings(next: &mut dyn FnMut() -> u64) -> Value {
            if next().is_multiple_of(6) {
                return any(next, 2);
            }
            let n = 1 + next() % 3;
            json!(
                (0..n)
                    .map(|_| STRINGS[(next() % 18) as usize])
                    .collect::<Vec<_>>()
            )
        }
        fn statement(next: &mut dyn FnMut() -> u64) -> Value {
            let mut m = serde_json::Map::new();
            let mut put = |k: &str, v: Value| {
                m.insert(k.to_string(), v);
            };
            if !next().is_multiple_of(10) {
                let e = if next().is_multiple_of(8) {
                    any(next, 3)
                } else {
                    json!(["Allow", "Deny"][(next() % 2) as usize])
                };
                put("Effect", e);
            }
            if !next().is_multiple_of(10) {
                let name = if next().is_multiple_of(5) {
                    "NotAction"
                } else {
                    "Action"
                };
                let v = if next().is_multiple_of(6) {
                    any(next, 2)
                } else {
                    json!(["ecr:*", "*", "ECR:batchGET?mage", "ecr:Get*"][(next() % 4) as usize])
                };
                put(name, v);
            }
            if !next().is_multiple_of(3) {
                put(
                    if next().is_multiple_of(5) {
                        "NotResource"
                    } else {
                        "Resource"
                    },
                    strings(next),
                );
            }
            if next().is_multiple_of(3) {
                let p = match next() % 4 {
                    0 => json!("*"),
                    1 => json!({"AWS": strings(next)}),
                    2 => json!({"Service": strings(next)}),
                    _ => any(next, 2),
                };
                put(
                    if next().is_multiple_of(4) {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    },
                    p,
                );
            }
            if next().is_multiple_of(2) {
                let op = OPS[(next() % 12) as usize];
                let key = STRINGS[(next() % 18) as usize];
                put("Condition", json!({ op: { key: strings(next) } }));
            }
            if next().is_multiple_of(10) {
                put(STRINGS[(next() % 18) as usize], any(next, 2));
            }
            Value::Object(m)
        }
        let c = Case::new();
        let mut parsed = 0;
        for _ in 0..5000 {
            let n = next() % 4;
            let statements: Vec<Value> = (0..n).map(|_| statement(&mut next)).collect();
            let doc = match next() % 10 {
                0 => any(&mut next, 0),
                1 => json!({"Statement": statements.first().cloned().unwrap_or(Value::Null)}),
                _ => json!({"Version": "2012-10-17", "Statement": statements}),
            };
            if let Ok(p) = parse_policy(&doc) {
                parsed += 1;
                let set = PolicySet {
                    identity: vec![PolicyDoc::Known(&p)],
                    boundary: Some(PolicyDoc::Known(&p)),
                    resource: same_account(Some(&p)),
                };
                let _ = c.eval("ecr:BatchGetImage", REPO, &set);
                let _ = trust_allows(&p, "ecs-tasks.amazonaws.com", "sts:AssumeRole", &c.ctx);
                let req = Request::new("ecr:GetAuthorizationToken", "*", &c.principal, &c.ctx);
                let _ = endpoint_policy_allows(&PolicyDoc::Known(&p), &req);
            }
        }
        assert!(parsed > 200, "only {parsed} random documents parsed");
    }

    #[test]
    fn a_ten_megabyte_policy_evaluates() {
        let long = "a".repeat(2000);
        let stmts: Vec<Value> = (0..5000)
            .map(|i| {
                json!({"Sid": format!("S{i}"), "Effect": "Allow", "Action": "ecr:*",
                "Resource": format!("arn:aws:ecr:*:*:repository/{long}*")})
            })
            .collect();
        let text = json!({"Version": "2012-10-17", "Statement": stmts}).to_string();
        assert!(text.len() > 10_000_000);
        let p = crate::iam::parse_policy_str(&text)
            .unwrap()
            .with_name("big");
        let c = Case::new();
        let set = PolicySet {
            identity: vec![PolicyDoc::Known(&p)],
            ..Default::default()
        };
        let e = c.eval("ecr:BatchGetImage", REPO, &set);
        assert_eq!(e.decision, Decision::ImplicitDeny);
        let hit = format!("arn:aws:ecr:us-east-1:111111111111:repository/{long}/x");
        let e = c.eval("ecr:BatchGetImage", &hit, &set);
        assert_eq!(e.decision, Decision::Allowed);
        assert_eq!(e.deciding.len(), 5000);
    }
}
