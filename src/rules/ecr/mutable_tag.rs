//! ECR003: the image is referenced by a tag that can be moved to another image.

use super::{
    Repo, Target, add_label, pin_to_current_digest, repository, repository_place, tag_mutability,
    targets,
};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "ECR003",
    name: "mutable-tag",
    severity: Severity::Warning,
    summary: "The image is referenced by a tag that is mutable in its repository",
    needs: Needs::Ecr,
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    for t in targets(cx) {
        let Some(tag) = t.image.tag.clone() else {
            continue;
        };
        if t.image.digest.is_some() || tag == "latest" {
            continue;
        }
        match tag_mutability(cx, &t, &tag) {
            Ok(false) => {}
            Err(why) => cx.skip(&[&RULE], why),
            Ok(true) => report(cx, &t, &tag),
        }
    }
}

fn report(cx: &mut Context, t: &Target, tag: &str) {
    let fix = t.node.and_then(|n| pin_to_current_digest(cx, n, &t.image));
    // Where the setting comes from: the template's resource, or the state's repository.
    let (setting, template_span, state_place) = match repository(cx, t) {
        Repo::Known {
            template: Some(tr), ..
        } => (
            tr.repository.image_tag_mutability.clone(),
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
            r.image_tag_mutability.clone(),
            None,
            repository_place(cx, r, Some("imageTagMutability")),
        ),
        _ => (None, None, None),
    };
    let setting = setting.unwrap_or_default();
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
             --image-ids imageTag={tag} {} --query 'imageDetails[0].imageDigest'`)",
            t.image.name_as_written(),
            t.repo,
            t.cli_where()
        ),
    };
    let terraform = fix.as_ref().and_then(super::pin::terraform_help);
    let d = cx
        .report(
            &RULE,
            t.span,
            format!(
                "container `{}` uses the tag `{tag}`, which is mutable in `{}` ({setting}: {why})",
                t.container, t.repo
            ),
        )
        .container(&t.container)
        .primary_label("the tag can be moved to another image")
        .help(format!(
            "{pin}; or make release tags immutable: `aws ecr put-image-tag-mutability --repository-name {} \
             --image-tag-mutability IMMUTABLE {}`{}",
            t.repo,
            t.cli_where(),
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
