//! ECR003: the image is referenced by a tag that can be moved to another image.

use super::{
    ImageLookup, Reference, Repo, Target, add_label, find_image, pin_to_current_digest,
    pull_through_cache, report_image, repository, repository_place, tag_mutability, targets,
};
use crate::base::known::Lookup;
use crate::diag::{Fix, Severity};
use crate::ecr::mutability::filter_matches;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::ecr::{Repository, TagMutabilityExclusionFilter};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR003",
    name: "mutable-tag",
    severity: Severity::Warning,
    summary: "The image is referenced by a tag that is mutable in its repository",
    needs: Needs::Ecr,
    reads: &[StatePart::EcrRepositories, StatePart::EcrImageDetails],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    for t in targets(cx).iter() {
        let Some(tag) = t.image.tag.clone() else {
            continue;
        };
        if t.image.digest.is_some() || tag == "latest" {
            continue;
        }
        match tag_mutability(cx, t, &tag) {
            Ok(false) => {}
            Err(why) => cx.skip(&[&RULE], why),
            // A tag that is not in the repository is ECR002, the cause that stops the pull.
            Ok(true)
                if matches!(
                    find_image(cx, t, Reference::Tag(&tag)),
                    ImageLookup::Missing
                ) => {}
            Ok(true) => report(cx, t, &tag),
        }
    }
}

fn report(cx: &mut Context, t: &Target, tag: &str) {
    let fix = pin_all(cx, t);
    // Where the setting comes from: the template's resource, or the state's repository.
    let (repo, template_span, state_place) = match repository(cx, t) {
        Repo::Known {
            template: Some(tr), ..
        } => (
            Some((&tr.repository, Some(tr.resource.clone()))),
            Some((
                tr.resource_span,
                if tr.mutability_is_default {
                    format!(
                        "{} does not set the tag mutability: MUTABLE by default",
                        tr.resource
                    )
                } else {
                    format!("{} sets the tag mutability", tr.resource)
                },
            )),
            None,
        ),
        Repo::Known { state: Some(r), .. } => (
            Some((r, None)),
            None,
            repository_place(cx, r, Some("imageTagMutability")),
        ),
        _ => (None, None, None),
    };
    let setting = repo
        .as_ref()
        .and_then(|(r, _)| r.image_tag_mutability.clone())
        .unwrap_or_default();
    let why = match setting.as_str() {
        "MUTABLE" => "every tag can be moved".to_string(),
        "IMMUTABLE_WITH_EXCLUSION" => {
            format!("`{tag}` matches one of its exclusion filters, which stay mutable")
        }
        "MUTABLE_WITH_EXCLUSION" => {
            format!("`{tag}` matches none of its exclusion filters, the only immutable tags")
        }
        _ => "the tag can be moved".to_string(),
    };
    let pin = match &fix {
        Some(f) => format!(
            "pin the digest the tag points at now (`ecs-preflight check --fix` writes it): `{}`",
            f.edits.first().map(|e| e.content.as_str()).unwrap_or("")
        ),
        None => format!(
            "pin the digest the tag points at: `{}:{tag}@sha256:…` (`aws ecr describe-images --repository-name {} \
             --image-ids imageTag={tag} {} --query 'imageDetails[0].imageDigest'`){}",
            t.image.name_as_written(),
            t.repo,
            t.cli_where(),
            super::pin_too_long(cx, &t.image).unwrap_or_default()
        ),
    };
    let settings = repo.map(|(r, resource)| settings_help(cx, t, tag, r, resource.as_deref()));
    let terraform = fix.as_ref().and_then(super::pin::terraform_help);
    let d = report_image(
        cx,
        &RULE,
        t,
        format!(
            "{} the tag `{tag}`, which is mutable in `{}` ({setting}: {why})",
            t.who("uses"),
            t.repo
        ),
    )
    .primary_label("the tag can be moved to another image")
    .help(format!(
        "{pin}{}{}",
        settings.map(|s| format!("; {s}")).unwrap_or_default(),
        terraform.unwrap_or_default()
    ));
    if let Some(f) = fix {
        d.fix(f);
    }
    if let Some((span, message)) = template_span {
        d.label_here(span, message);
    }
    add_label(d, state_place, "the repository's tag mutability");
}

/// The fix that pins every container of the target to the digest the tag points at now: one
/// edit per `image` string that can be edited (one for a literal they share).
fn pin_all(cx: &Context, t: &Target) -> Option<Fix> {
    let mut fix: Option<Fix> = None;
    for each in t.all() {
        let Some(one) = each
            .node(cx)
            .and_then(|n| pin_to_current_digest(cx, n, &each.image))
        else {
            continue;
        };
        match &mut fix {
            None => fix = Some(one),
            Some(all) => {
                for edit in one.edits {
                    if !all.edits.contains(&edit) {
                        all.edits.push(edit);
                    }
                }
            }
        }
    }
    fix
}

/// The other fix: change the repository's tag mutability so that the tag cannot move — what
/// to run for each setting, or why not to.
fn settings_help(
    cx: &Context,
    t: &Target,
    tag: &str,
    repo: &Repository,
    template_resource: Option<&str>,
) -> String {
    // A pull-through cache repository: immutable tags can stop ECR from updating the cache
    // (docs/ecr.md#tag-mutability), so pinning is the fix.
    match pull_through_cache(cx, t) {
        Lookup::Found(prefix) => {
            return format!(
                "do not make the tags of `{}` immutable: it is a pull-through cache repository (rule `{prefix}`), \
                 and immutable tags can stop ECR from updating the cache",
                t.repo
            );
        }
        Lookup::Unknown(_) | Lookup::Absent => {}
    }
    // A repository the template creates is not one a cache rule creates on pull.
    let caveat = match pull_through_cache(cx, t) {
        Lookup::Unknown(_) if template_resource.is_none() => {
            " (unless it is a pull-through cache repository, which immutable tags can stop from updating: \
             whether it is one is not known)"
        }
        _ => "",
    };
    let command = |setting: &str, filters: Option<&str>| {
        format!(
            "`aws ecr put-image-tag-mutability --repository-name {} --image-tag-mutability {setting}{} {}`",
            t.repo,
            filters
                .map(|f| format!(" --image-tag-mutability-exclusion-filters '{f}'"))
                .unwrap_or_default(),
            t.cli_where()
        )
    };
    let filters: Option<Vec<&TagMutabilityExclusionFilter>> = repo
        .image_tag_mutability_exclusion_filters
        .as_ref()
        .map(|f| f.iter().collect());
    let text = match repo.image_tag_mutability.as_deref() {
        Some("MUTABLE") => format!(
            "or make the repository's tags immutable{caveat}: {} — this makes every tag of `{}` immutable, \
             including `latest`, so pushing an existing tag again fails",
            command("IMMUTABLE", None),
            t.repo
        ),
        Some("IMMUTABLE_WITH_EXCLUSION") => {
            let filters = filters.unwrap_or_default();
            let (matching, kept): (Vec<_>, Vec<_>) = filters
                .into_iter()
                .partition(|f| filter_matches(f, tag) == Some(true));
            let named = names(&matching);
            if kept.is_empty() {
                format!(
                    "or stop excluding `{tag}` from immutability{caveat}: every exclusion filter matches it ({named}), \
                     so that means {}, which makes every tag of `{}` immutable, also those the filters keep mutable now",
                    command("IMMUTABLE", None),
                    t.repo
                )
            } else {
                match filters_json(&kept) {
                    Some(json) => format!(
                        "or change the exclusion filters so that `{tag}` matches none ({named} matches it){caveat}: {} \
                         (the command replaces the filters: the others are kept as they are)",
                        command("IMMUTABLE_WITH_EXCLUSION", Some(&json))
                    ),
                    None => format!(
                        "or change the repository's exclusion filters so that `{tag}` matches none ({named} matches it){caveat}"
                    ),
                }
            }
        }
        Some("MUTABLE_WITH_EXCLUSION") => {
            let filters = filters.unwrap_or_default();
            let mut with_tag = filters.clone();
            let added = TagMutabilityExclusionFilter {
                filter_type: Some("WILDCARD".into()),
                filter: Some(tag.to_string()),
            };
            with_tag.push(&added);
            // At most 5 filters (PutImageTagMutability).
            match filters_json(&with_tag).filter(|_| with_tag.len() <= 5) {
                Some(json) => format!(
                    "or add an exclusion filter that matches `{tag}` (or a wildcard for all your release tags), which makes \
                     it immutable{caveat}: {} (the command replaces the filters: the current ones are listed too)",
                    command("MUTABLE_WITH_EXCLUSION", Some(&json))
                ),
                None => format!(
                    "or change one of the repository's exclusion filters (at most 5) to a wildcard that matches `{tag}` \
                     too, which makes it immutable{caveat}"
                ),
            }
        }
        _ => return String::new(),
    };
    let properties = if cx.document.format.is_terraform() {
        "`image_tag_mutability` and `image_tag_mutability_exclusion_filter`"
    } else {
        "`ImageTagMutability` and `ImageTagMutabilityExclusionFilters`"
    };
    match template_resource {
        Some(resource) => format!(
            "{text}; the repository is defined by {resource}, so make the same change there ({properties}), or the \
             next deploy undoes it"
        ),
        None => text,
    }
}

/// "`dev-*`, `1.4*`".
fn names(filters: &[&TagMutabilityExclusionFilter]) -> String {
    filters
        .iter()
        .map(|f| format!("`{}`", f.filter.as_deref().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The filters as the CLI's JSON value; `None` when one cannot be written inside single
/// quotes as it stands.
fn filters_json(filters: &[&TagMutabilityExclusionFilter]) -> Option<String> {
    let items: Vec<serde_json::Value> = filters
        .iter()
        .map(|f| {
            serde_json::json!({
                "filterType": f.filter_type.as_deref().unwrap_or("WILDCARD"),
                "filter": f.filter.as_deref().unwrap_or(""),
            })
        })
        .collect();
    let json = serde_json::to_string(&items).ok()?;
    (!json.contains('\'')).then_some(json)
}
