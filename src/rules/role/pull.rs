//! The pull itself: `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on each repository
//! the task pulls from (docs/iam.md#what-an-image-pull-needs, docs/iam.md#cross-account-pulls),
//! evaluated once and reported by ROLE005 (the caller's side) and ROLE006 (the repository's
//! side).
//!
//! * Same account, repository policy known (or known to be absent): identity ∪ repository
//!   policy, limited by the boundary, minus explicit denies.
//! * Same account, repository policy not known: decided on the caller's side alone; a denial
//!   says that a repository policy, not known here, could still grant it.
//! * Cross account: the caller's side and the repository policy must both allow it; an unknown
//!   repository policy is ROLE011.

use super::eval::{self, Checked, Place, Undetermined};
use super::facts::{Facts, RoleRef, RoleView};
use crate::iam::{Decision, Layer};
use crate::model::image_ref::Registry;
use crate::rules::{Context, ImageFact};
use crate::span::Span;
use crate::state::iam::LoadedPolicy;
use crate::state::{Lookup, Tri};

pub const PULL_ACTIONS: [&str; 2] = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

/// One repository the task pulls from.
pub struct Repo {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub name: String,
    /// The `image` of each container that pulls from it, in container order.
    pub images: Vec<(Span, String)>,
}

/// What the repository's policy is, as far as known.
pub enum RepoPolicy<'a> {
    /// Some(policy), or None: the repository has no policy.
    Known(Option<&'a LoadedPolicy>),
    Unknown(String),
}

/// A refusal: the action, what refused it, and the statements to label.
pub struct Refusal {
    pub action: &'static str,
    pub why: String,
    pub places: Vec<Place>,
    pub explicit: bool,
    pub remedy: eval::Remedy,
}

pub struct PullResult {
    pub repo: Repo,
    pub cross: bool,
    /// Why the repository policy is not known, when it is not.
    pub policy_unknown: Option<String>,
    /// ROLE005: refused on the role's side.
    pub caller: Vec<Refusal>,
    /// ROLE006: refused by the repository's policy.
    pub resource: Vec<Refusal>,
    /// The task role would allow every action the execution role is refused.
    pub task_role_allows: bool,
}

/// Private ECR repositories of the task's images, in container order.
pub fn repositories(cx: &Context) -> Vec<Repo> {
    let mut out: Vec<Repo> = Vec::new();
    for f in &cx.containers {
        let ImageFact::Parsed { node, image } = &f.image else {
            continue;
        };
        let (
            Registry::Ecr {
                account, region, ..
            },
            Some(arn),
        ) = (&image.registry, image.repository_arn())
        else {
            continue;
        };
        let entry = (node.span, f.container.label());
        match out.iter_mut().find(|r| r.arn == arn) {
            Some(r) => r.images.push(entry),
            None => out.push(Repo {
                arn,
                account: account.clone(),
                region: region.clone(),
                name: image.path.clone(),
                images: vec![entry],
            }),
        }
    }
    out
}

/// The repository policy: the template's repository first, then the state.
pub fn repository_policy<'a>(cx: &Context<'a>, facts: &Facts<'a>, repo: &Repo) -> RepoPolicy<'a> {
    if let Some(p) = facts
        .template
        .repository(&repo.account, &repo.region, &repo.name)
    {
        return RepoPolicy::Known(p);
    }
    match cx
        .state
        .ecr
        .repository_policy(&repo.account, &repo.region, &repo.name)
    {
        Lookup::Found(_) => {
            match cx
                .state
                .iam
                .repository_policy(&repo.account, &repo.region, &repo.name)
            {
                Some(p) => RepoPolicy::Known(Some(p)),
                None => RepoPolicy::Unknown("internal error: repository policy not indexed".into()),
            }
        }
        Lookup::Absent => RepoPolicy::Known(None),
        Lookup::Unknown(why) => RepoPolicy::Unknown(why),
    }
}

pub fn evaluate_pulls<'a>(
    cx: &Context<'a>,
    facts: &Facts<'a>,
    view: &'a RoleView<'a>,
    und: &mut Undetermined,
) -> Vec<PullResult> {
    let Some(exec_node) = facts.exec_node else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for repo in repositories(cx) {
        let policy = repository_policy(cx, facts, &repo);
        let cross = repo.account != view.account;
        let (principal, mut ctx) = eval::base_context(view);
        ctx.set("aws:RequestedRegion", repo.region.clone())
            .set("aws:ResourceAccount", repo.account.clone());
        let known_policy = match &policy {
            RepoPolicy::Known(p) => Some(*p),
            RepoPolicy::Unknown(_) => None,
        };
        let mut caller = Vec::new();
        let mut resource = Vec::new();
        for action in PULL_ACTIONS {
            let permission = format!("`{action}` on `{}`", repo.arn);
            let cc = eval::check(view, &principal, &ctx, action, &repo.arn, None);
            let full = known_policy.map(|p| {
                eval::check(
                    view,
                    &principal,
                    &ctx,
                    action,
                    &repo.arn,
                    Some((repo.account.clone(), p)),
                )
            });
            let subject = format!("execution role `{}`", view.label());
            // The caller's side.
            let caller_outcome = if cross {
                cc.eval.decision
            } else {
                match &full {
                    Some(f) => match f.eval.decision {
                        // An explicit deny in the repository policy alone is ROLE006's.
                        Decision::ExplicitDeny if cc.eval.decision != Decision::ExplicitDeny => {
                            cc.eval.decision
                        }
                        d => d,
                    },
                    None => cc.eval.decision,
                }
            };
            let image_span = repo.images[0].0;
            let image_subject = format!("image `{}`", repo.name);
            match caller_outcome {
                Decision::Allowed => {}
                Decision::Unknown => {
                    let source = full
                        .as_ref()
                        .filter(|f| !cross && f.eval.decision == Decision::Unknown)
                        .unwrap_or(&cc);
                    let (causes, places) = eval::undecided(source);
                    // One diagnostic per undecided permission
                    // (docs/architecture.md#one-root-cause-one-diagnostic): at the
                    // image when only the repository policy is undecided (as cross-account),
                    // else at the role.
                    if only_repository_undecided(source) {
                        und.add(
                            image_span,
                            &image_subject,
                            permission.clone(),
                            causes,
                            places,
                        );
                    } else {
                        und.add(exec_node.span, &subject, permission.clone(), causes, places);
                    }
                }
                Decision::ImplicitDeny
                    if !cross
                        && view.entry.arn.is_none()
                        && names_roles_of(known_policy.flatten(), &view.account) =>
                {
                    und.add(
                        exec_node.span,
                        &subject,
                        permission.clone(),
                        vec![format!(
                            "the repository policy names roles of account {} and the role's name is generated at deploy time",
                            view.account
                        )],
                        Vec::new(),
                    );
                }
                Decision::ExplicitDeny | Decision::ImplicitDeny => {
                    let explicit = cc.eval.decision == Decision::ExplicitDeny;
                    // Same account, an implicit deny: the whole evaluation says what the
                    // repository policy adds (a grant to the role is still limited by the
                    // boundary, docs/iam.md#the-decision).
                    let source = match &full {
                        Some(f) if !cross && f.eval.decision == Decision::ImplicitDeny => f,
                        _ => &cc,
                    };
                    let (mut why, places) = eval::denial(source, &format!("`{action}`"));
                    if !cross && !explicit {
                        why.push_str(&repository_part(source, known_policy));
                    }
                    caller.push(Refusal {
                        action,
                        why,
                        places,
                        explicit,
                        remedy: eval::Remedy::of(&source.eval),
                    });
                }
            }
            // The repository's side.
            match (&policy, &full) {
                (RepoPolicy::Unknown(why), _) if cross => {
                    und.add(
                        image_span,
                        &image_subject,
                        permission.clone(),
                        vec![format!(
                            "the pull is cross-account (role in {}, repository in {}) and the repository policy is not known: {why}",
                            view.account, repo.account
                        )],
                        Vec::new(),
                    );
                }
                (RepoPolicy::Known(p), Some(f)) => {
                    resource_side(
                        f,
                        *p,
                        cross,
                        view,
                        &repo,
                        action,
                        &permission,
                        image_span,
                        &image_subject,
                        und,
                        &mut resource,
                    );
                }
                _ => {}
            }
        }
        let task_role_allows = !caller.is_empty() && task_role_allows(facts, &repo);
        let policy_unknown = match &policy {
            RepoPolicy::Unknown(why) => Some(why.clone()),
            RepoPolicy::Known(_) => None,
        };
        out.push(PullResult {
            repo,
            cross,
            policy_unknown,
            caller,
            resource,
            task_role_allows,
        });
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn resource_side(
    f: &Checked,
    policy: Option<&LoadedPolicy>,
    cross: bool,
    view: &RoleView,
    repo: &Repo,
    action: &'static str,
    permission: &str,
    image_span: Span,
    subject: &str,
    und: &mut Undetermined,
    out: &mut Vec<Refusal>,
) {
    let Some(layer) = f.eval.layers.resource else {
        return;
    };
    if layer.denies == Tri::True {
        let mut places = Vec::new();
        let mut names = Vec::new();
        for s in f
            .eval
            .deciding
            .iter()
            .filter(|s| s.layer == Layer::Resource)
        {
            names.push(eval::statement_name(s));
            if let Some(p) =
                eval::statement_place(f, s, format!("this statement denies `{action}`"))
            {
                places.push(p);
            }
        }
        out.push(Refusal {
            action,
            why: format!(
                "the repository policy denies it explicitly ({})",
                if names.is_empty() {
                    "a Deny statement".to_string()
                } else {
                    names.join(", ")
                }
            ),
            places,
            explicit: true,
            remedy: eval::Remedy::NARROW_DENY,
        });
        return;
    }
    if !cross {
        // An undecided Deny here makes the whole same-account decision undecided, which the
        // caller's side has reported (at the image when it is the only undecided part).
        return;
    }
    let grants = layer.grants();
    let names_roles = names_roles_of(policy, &view.account);
    match (grants, layer.denies) {
        (Tri::False, _) if view.entry.arn.is_none() && names_roles => und.add(
            image_span,
            subject,
            permission.to_string(),
            vec![format!(
                "the repository policy names roles of account {} and the role's name is generated at deploy time",
                view.account
            )],
            Vec::new(),
        ),
        (Tri::False, _) => out.push(Refusal {
            action,
            why: match policy {
                Some(_) => format!(
                    "the repository policy of account {} does not grant it to role `{}` of account {}",
                    repo.account,
                    view.label(),
                    view.account
                ),
                None => format!(
                    "the repository has no policy, and a cross-account pull needs one that grants it to account {}",
                    view.account
                ),
            },
            places: policy
                .and_then(|p| p.origin.as_ref())
                .map(|o| vec![Place { file: o.file, span: o.span, message: "this repository policy".into() }])
                .unwrap_or_default(),
            explicit: false,
            remedy: eval::Remedy::ADD_ALLOW,
        }),
        (Tri::True, Tri::False) => {}
        _ => {
            let (causes, places) = eval::undecided(f);
            und.add(image_span, subject, permission.to_string(), causes, places);
        }
    }
}

/// Whether every undecided part of an evaluation is in the repository policy.
fn only_repository_undecided(c: &Checked) -> bool {
    let e = &c.eval;
    e.layers.resource.is_some()
        && !(e.undecided.is_empty() && e.unknown_policies.is_empty())
        && e.undecided.iter().all(|s| s.layer == Layer::Resource)
        && e.unknown_policies
            .iter()
            .all(|p| p.layer == Layer::Resource)
}

/// What the repository policy contributes to a same-account implicit deny, after the caller's
/// layers that refuse (see [`eval::denial`]).
fn repository_part(c: &Checked, policy: Option<Option<&LoadedPolicy>>) -> String {
    let boundary_refuses = c.eval.layers.boundary_allows == Some(Tri::False);
    let grants_role = c.eval.layers.resource.map(|r| r.grants_role);
    match policy {
        Some(Some(_)) if boundary_refuses && grants_role == Some(Tri::True) => {
            "; the repository policy grants it to the role, but a grant that names the role is still limited by the permissions boundary".to_string()
        }
        Some(Some(_)) if boundary_refuses && grants_role == Some(Tri::Unknown) => {
            "; the repository policy may grant it to the role, but a grant that names the role is still limited by the permissions boundary".to_string()
        }
        Some(Some(_)) => ", and the repository policy does not grant it".to_string(),
        Some(None) => ", and the repository has no policy that could grant it".to_string(),
        None => "; a repository policy, not known here, could still grant it".to_string(),
    }
}

fn task_role_allows(facts: &Facts, repo: &Repo) -> bool {
    let RoleRef::Found(task_role) = &facts.task_role else {
        return false;
    };
    let (principal, mut ctx) = eval::base_context(task_role);
    ctx.set("aws:RequestedRegion", repo.region.clone())
        .set("aws:ResourceAccount", repo.account.clone());
    PULL_ACTIONS.iter().all(|a| {
        eval::check(task_role, &principal, &ctx, a, &repo.arn, None)
            .eval
            .decision
            == Decision::Allowed
    })
}

/// Whether a resource policy names roles of the account (which a role whose name is generated
/// at deploy time may or may not be).
fn names_roles_of(policy: Option<&LoadedPolicy>, account: &str) -> bool {
    let needle = format!(":iam::{account}:role/");
    policy.is_some_and(|p| p.mentions().iter().any(|m| m.contains(&needle)))
}
