//! ROLE010: the image is in a pull-through cache prefix and the execution role may not import
//! it (`ecr:BatchImportUpstreamImage`, from an identity, repository or registry policy) or,
//! when the cache repository does not exist yet, create it (`ecr:CreateRepository`, from an
//! identity or registry policy; docs/iam.md#pull-through-cache). One diagnostic per task
//! definition and repository, at the first container's `image`.

use super::eval::{self, Checked, Place, Undetermined, add_labels, denial, statement_json};
use super::facts::{Facts, RoleView};
use super::pull::{self, RepoPolicy};
use crate::diag::Severity;
use crate::iam::Decision;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::Lookup;
use crate::state::iam::LoadedPolicy;
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE010",
    name: "pull-through-cache-denied",
    severity: Severity::Error,
    summary: "The execution role may not pull through the pull-through cache",
    needs: Needs::Ecr,
    reads: &[
        StatePart::Iam,
        StatePart::EcrRepositories,
        StatePart::EcrPullThroughCacheRules,
    ],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

/// The outcome over several routes to a grant: an explicit deny anywhere decides; else any
/// allow; else all refusing decides; else unknown.
enum Combined<'c, 'a> {
    Allowed,
    Denied(&'c Checked<'a>, Vec<String>),
    Unknown(&'c Checked<'a>),
}

fn combine<'c, 'a>(routes: &'c [(Checked<'a>, Option<String>)]) -> Combined<'c, 'a> {
    if let Some((c, _)) = routes
        .iter()
        .find(|(c, _)| c.eval.decision == Decision::ExplicitDeny)
    {
        return Combined::Denied(c, Vec::new());
    }
    if routes
        .iter()
        .any(|(c, _)| c.eval.decision == Decision::Allowed)
    {
        return Combined::Allowed;
    }
    if routes
        .iter()
        .all(|(c, _)| c.eval.decision == Decision::ImplicitDeny)
    {
        let notes = routes.iter().filter_map(|(_, n)| n.clone()).collect();
        return Combined::Denied(&routes[0].0, notes);
    }
    let unknown = routes
        .iter()
        .find(|(c, _)| c.eval.decision == Decision::Unknown)
        .map(|(c, _)| c)
        .unwrap_or(&routes[0].0);
    Combined::Unknown(unknown)
}

/// One way the permission can be granted: identity policies plus one resource policy (None:
/// not known, so decided on the caller's side alone, with a note).
fn route<'v>(
    view: &'v RoleView<'v>,
    principal: &crate::iam::Principal,
    ctx: &crate::iam::RequestContext,
    repo: &pull::Repo,
    policy: Option<Option<&'v LoadedPolicy>>,
    which: &str,
    action: &str,
) -> (Checked<'v>, Option<String>) {
    let side = policy.map(|p| (repo.account.clone(), p));
    let note = policy
        .is_none()
        .then(|| format!("a {which} policy, not known here, could still grant it"));
    (
        eval::check(view, principal, ctx, action, &repo.arn, side),
        note,
    )
}

pub(super) fn check(cx: &mut Context, facts: &Facts, view: &RoleView, und: &mut Undetermined) {
    for repo in pull::repositories(cx) {
        let rule =
            match cx
                .state
                .ecr
                .pull_through_cache_rule(&repo.account, &repo.region, &repo.name)
            {
                Lookup::Found(rule) => rule,
                Lookup::Absent => continue,
                Lookup::Unknown(why) => {
                    cx.skip(
                        &[&RULE],
                        format!("pull-through cache rules are not known: {why}"),
                    );
                    continue;
                }
            };
        let prefix = rule.ecr_repository_prefix.clone().unwrap_or_default();
        let upstream = rule
            .upstream_registry_url
            .clone()
            .or_else(|| rule.upstream_registry.clone())
            .unwrap_or_else(|| "the upstream registry".into());
        let repo_policy: Option<Option<&LoadedPolicy>> =
            match pull::repository_policy(cx, facts, &repo) {
                RepoPolicy::Known(p) => Some(p),
                RepoPolicy::Unknown(_) => None,
            };
        let registry_policy: Option<Option<&LoadedPolicy>> =
            match cx.state.ecr.registry_policy(&repo.account, &repo.region) {
                Lookup::Found(_) => cx
                    .state
                    .iam
                    .registry_policy(&repo.account, &repo.region)
                    .map(Some),
                Lookup::Absent => Some(None),
                Lookup::Unknown(_) => None,
            };
        let exists = cx
            .state
            .ecr
            .repository(&repo.account, &repo.region, &repo.name);
        let (principal, mut ctx) = eval::base_context(view);
        ctx.set("aws:RequestedRegion", repo.region.clone())
            .set("aws:ResourceAccount", repo.account.clone());
        let route =
            |policy, which, action| route(view, &principal, &ctx, &repo, policy, which, action);
        let (image_span, first_container) = repo.images[0].clone();
        let subject = format!("image `{}`", repo.name);
        let mut refused: Vec<(&'static str, String, Vec<Place>, eval::Remedy)> = Vec::new();
        let import = [
            route(repo_policy, "repository", "ecr:BatchImportUpstreamImage"),
            route(registry_policy, "registry", "ecr:BatchImportUpstreamImage"),
        ];
        let mut checks: Vec<(&'static str, Combined)> =
            vec![("ecr:BatchImportUpstreamImage", combine(&import))];
        let create = [route(registry_policy, "registry", "ecr:CreateRepository")];
        match &exists {
            Lookup::Absent => checks.push(("ecr:CreateRepository", combine(&create))),
            Lookup::Found(_) => {}
            Lookup::Unknown(why) => {
                if let Combined::Allowed = combine(&create) {
                } else {
                    cx.skip(
                        &[&RULE],
                        format!(
                            "whether the cache repository `{}` exists yet (and `ecr:CreateRepository` is needed) is not known: {why}",
                            repo.name
                        ),
                    );
                }
            }
        }
        for (action, outcome) in checks {
            match outcome {
                Combined::Allowed => {}
                Combined::Unknown(c) => {
                    let (causes, places) = eval::undecided(c);
                    und.add(
                        image_span,
                        &subject,
                        format!("`{action}` on `{}`", repo.arn),
                        causes,
                        places,
                    );
                }
                Combined::Denied(c, notes) => {
                    let (mut why, places) = denial(c, &format!("`{action}`"));
                    for n in notes {
                        why.push_str(&format!("; {n}"));
                    }
                    refused.push((action, why, places, eval::Remedy::of(&c.eval)));
                }
            }
        }
        if refused.is_empty() || !cx.is_enabled(&RULE) {
            continue;
        }
        let actions: Vec<&str> = refused.iter().map(|r| r.0).collect();
        let named: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
        let reasons: Vec<String> = if refused.windows(2).all(|w| w[0].1 == w[1].1) {
            vec![refused[0].1.clone()]
        } else {
            refused
                .iter()
                .map(|r| format!("`{}`: {}", r.0, r.1))
                .collect()
        };
        let new_repo = if actions.contains(&"ecr:CreateRepository") {
            "; the cache repository does not exist yet, so the first pull creates it"
        } else {
            ""
        };
        let message = format!(
            "`{}` comes through the pull-through cache rule `{prefix}` (upstream {upstream}), and execution role `{}` may not fill the cache ({}{new_repo}): {}",
            repo.name,
            view.label(),
            named.join(", "),
            reasons.join("; ")
        );
        let resource = format!(
            "arn:{}:ecr:{}:{}:repository/{prefix}/*",
            crate::model::resolve::partition_of_region(&repo.region),
            repo.region,
            repo.account
        );
        let statement = statement_json("PullThroughCache", &actions, &[resource]);
        let remedy = eval::Remedy::combine(refused.iter().map(|r| r.3));
        let mut help = eval::remedy_help(
            remedy,
            view,
            &statement,
            &eval::policy_name(
                "pull-through-cache",
                &ptc_name_part(&repo, &prefix, view, facts),
            ),
        );
        help.push_str("; the registry's permissions policy can grant these instead");
        let mut places: Vec<Place> = refused.iter().flat_map(|r| r.2.clone()).collect();
        places.extend(repo.images.iter().skip(1).map(|(s, c)| {
            Place::here(
                *s,
                format!("container `{c}` pulls from `{}` too", repo.name),
            )
        }));
        let d = cx.report(&RULE, image_span, message);
        d.primary_label(format!("cached from {upstream}"));
        d.container(first_container);
        add_labels(d, &places);
        d.help(help);
    }
}

/// What names the cache rule in a suggested inline policy name: its prefix, with the
/// registry's account and region in front when they are not the role's and the task's.
fn ptc_name_part(repo: &pull::Repo, prefix: &str, view: &RoleView, facts: &Facts) -> String {
    if repo.account == view.account && Some(&repo.region) == facts.region.as_ref() {
        prefix.to_string()
    } else {
        format!("{}-{}-{prefix}", repo.account, repo.region)
    }
}
