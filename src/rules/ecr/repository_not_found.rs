//! ECR001: the image's repository is not in its registry.

use super::{Repo, pull_through_cache, report_repository, repository, repository_targets};
use crate::base::known::Lookup;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR001",
    name: "repository-not-found",
    severity: Severity::Error,
    summary: "The image's repository does not exist in its registry and region",
    needs: Needs::Ecr,
    reads: &[
        StatePart::EcrRepositories,
        StatePart::EcrPullThroughCacheRules,
    ],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    for t in repository_targets(cx) {
        match repository(cx, &t) {
            Repo::Known { .. } => {}
            Repo::Unknown(why) => cx.skip(&[&RULE], why),
            Repo::Absent => match pull_through_cache(cx, &t) {
                // Created on the first pull; ROLE010 checks that the role may do that.
                Lookup::Found(_) => {}
                Lookup::Unknown(why) => cx.skip(
                    &[&RULE],
                    format!("`{}` is not in the state's repositories, but {why}", t.repo),
                ),
                Lookup::Absent => {
                    let known = known_names(cx, &t.account, &t.region, &t.repo);
                    let hint = if known.is_empty() {
                        String::new()
                    } else {
                        let quoted: Vec<String> = known.iter().map(|n| format!("`{n}`")).collect();
                        format!(" (similar names there: {})", quoted.join(", "))
                    };
                    report_repository(
                        cx,
                        &RULE,
                        &t,
                        format!(
                            "{} from the repository `{}`, which does not exist in account {} region {}{hint}",
                            t.who("pulls"),
                            t.repo,
                            t.account,
                            t.region
                        ),
                    )
                    .primary_label("no such repository")
                    .help(format!(
                        "check the account, region and name against `aws ecr describe-repositories {}`; if the repository \
                         should exist, create it and push the image before deploying: `aws ecr create-repository \
                         --repository-name {} --image-tag-mutability IMMUTABLE --region {}` (or an `AWS::ECR::Repository` \
                         / `aws_ecr_repository` in the same template)",
                        t.cli_where(),
                        t.repo,
                        t.region
                    ));
                }
            },
        }
    }
}

/// Repository names of the same registry that are close to `name` (a typo is the common
/// cause): same name in another case, or one edit away, or sharing the last path segment.
fn known_names(cx: &Context, account: &str, region: &str, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let last = name.rsplit('/').next().unwrap_or(name);
    for state in cx.state.ecr.states() {
        if state.region != region {
            continue;
        }
        for r in state.section.repositories.iter().flatten() {
            let registry = r.registry_id.as_deref().unwrap_or(&state.account_id);
            let Some(n) = r.repository_name.as_deref() else {
                continue;
            };
            if registry != account || n == name {
                continue;
            }
            let close = edit_distance_at_most_one(n, name) || n.rsplit('/').next() == Some(last);
            if close && !out.iter().any(|o| o == n) && out.len() < 3 {
                out.push(n.to_string());
            }
        }
    }
    out
}

fn edit_distance_at_most_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if prefix == long.len() {
        return true;
    }
    if short.len() == long.len() {
        // One substitution at the first difference.
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        // One insertion into the shorter.
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::edit_distance_at_most_one as close;

    #[test]
    fn one_edit() {
        assert!(close("web", "wep"));
        assert!(close("web", "webb"));
        assert!(close("web", "eb"));
        assert!(!close("web", "api"));
        assert!(!close("web", "w"));
        assert!(close("", "a"));
    }
}
