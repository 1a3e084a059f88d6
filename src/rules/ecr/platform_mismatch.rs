//! ECR007: the image has no entry for the task's platform.

use super::{
    ImageLookup, Reference, Target, add_label, find_image, manifest_place, report_image, targets,
};
use crate::base::known::{Lookup, Tri};
use crate::diag::Severity;
use crate::ecr::platform::{PlatformAnswer, TaskPlatform, image_serves};
use crate::model::TaskDefinition;
use crate::model::taskdef::field;
use crate::parse::{Node, NodeKind};
use crate::rules::{Context, Needs, Rule};
use crate::state::ecr::Image;
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR007",
    name: "platform-mismatch",
    severity: Severity::Error,
    summary: "The image has no variant for the task's operating system and CPU architecture",
    needs: Needs::Ecr,
    reads: &[StatePart::EcrRepositories, StatePart::EcrImages],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let targets = targets(cx);
    if targets.is_empty() {
        return;
    }
    let platform = match task_platform(task, cx) {
        Ok(p) => p,
        Err(why) => {
            cx.skip(&[&RULE], why);
            return;
        }
    };
    for t in targets.iter() {
        let image = match manifest(cx, t) {
            Ok(m) => m,
            Err(Some(why)) => {
                cx.skip(&[&RULE], why);
                continue;
            }
            Err(None) => continue,
        };
        match image_serves(image, &platform) {
            PlatformAnswer::Serves { .. } => {}
            PlatformAnswer::Unknown(why) => cx.skip(
                &[&RULE],
                format!(
                    "whether {} serves {platform} is not known: {why}",
                    t.short()
                ),
            ),
            PlatformAnswer::DoesNotServe { available } => {
                let list: Vec<String> = available.iter().map(ToString::to_string).collect();
                let has = if list.is_empty() {
                    "no platform entries".to_string()
                } else {
                    list.join(", ")
                };
                let place = manifest_place(cx, image);
                let d = report_image(
                    cx,
                    &RULE,
                    t,
                    format!(
                        "{} {}, which has no variant for the task's platform {platform} (it has {has})",
                        t.who("uses"),
                        t.short()
                    ),
                )
                .primary_label(format!("no {platform} variant"))
                    .help(format!(
                        "build the image for the task's platform, or for several: `docker buildx build --platform \
                         {}/amd64,{}/arm64 -t {} --push .`; or set the task's `runtimePlatform` (`cpuArchitecture` \
                         X86_64 or ARM64) to an architecture the image has; check with `docker buildx imagetools \
                         inspect {}`",
                        os_word(&platform),
                        os_word(&platform),
                        t.image.text,
                        t.image.text
                    ));
                add_label(d, place, "the image's manifest");
            }
        }
    }
}

fn os_word(p: &TaskPlatform) -> &'static str {
    match p.os {
        Some(crate::ecr::platform::Os::Windows) => "windows",
        _ => "linux",
    }
}

/// The task's platform: `runtimePlatform`, with Fargate's default (linux/amd64) for missing
/// fields when the task runs on Fargate; unknown parts stay unknown on EC2.
fn task_platform(task: &TaskDefinition, cx: &Context) -> Result<TaskPlatform, String> {
    let runtime = task.get("runtimePlatform");
    let part = |name: &str| -> Result<Option<String>, String> {
        match runtime.and_then(|r| field(r, task.style, name)) {
            None => Ok(None),
            Some(n) => match &n.kind {
                NodeKind::String(s) => Ok(Some(s.clone())),
                NodeKind::Unresolved(why) => Err(format!(
                    "the runtimePlatform of {} is known only at deploy time ({why})",
                    task.label
                )),
                _ => Err(format!(
                    "the runtimePlatform {name} of {} is not a string",
                    task.label
                )),
            },
        }
    };
    if let Some(r) = runtime
        && let NodeKind::Unresolved(why) = &r.kind
    {
        return Err(format!(
            "the runtimePlatform of {} is known only at deploy time ({why})",
            task.label
        ));
    }
    let cpu = part("cpuArchitecture")?;
    let os = part("operatingSystemFamily")?;
    let on_fargate = if cpu.is_some() && os.is_some() {
        Tri::Unknown // not needed
    } else {
        on_fargate(task, cx)
    };
    let platform = TaskPlatform::from_runtime_platform(cpu.as_deref(), os.as_deref(), on_fargate)
        .map_err(|e| format!("the runtimePlatform is not valid: {e}"))?;
    Ok(platform)
}

/// Whether the task runs on Fargate: `--launch-type`, then the `--service` file's
/// `launchType`, then the only entry of `requiresCompatibilities`.
fn on_fargate(task: &TaskDefinition, cx: &Context) -> Tri {
    let from = |value: &str| Tri::from_bool(value.eq_ignore_ascii_case("FARGATE"));
    if let Some(lt) = cx.settings.network.launch_type {
        return Tri::from_bool(lt == crate::settings::LaunchType::Fargate);
    }
    if let Some(service) = cx.service_file {
        let root = &service.root;
        let candidates = [
            root.get("launchType"),
            root.get("service").and_then(|s| s.get("launchType")),
            root.get("services")
                .and_then(|s| s.items().first())
                .and_then(|s| s.get("launchType")),
        ];
        if let Some(lt) = candidates.into_iter().flatten().find_map(Node::as_str) {
            return from(lt);
        }
    }
    match task.compatibilities().as_deref() {
        Some([only]) => from(only),
        _ => Tri::Unknown,
    }
}

/// The manifest (`batch-get-image` item) of the image the target names. `Err(None)`: nothing
/// to check (the image is not there: ECR001/ECR002).
fn manifest<'a>(cx: &Context<'a>, t: &Target) -> Result<&'a Image, Option<String>> {
    let ecr = &cx.state.ecr;
    let mut unknown = None;
    let digest = match t.reference() {
        Reference::Digest(d) => Some(d.to_string()),
        Reference::Tag(tag) => match find_image(cx, t, Reference::Tag(tag)) {
            ImageLookup::Found(d) => d.image_digest.clone(),
            ImageLookup::Missing | ImageLookup::NoRepository => return Err(None),
            ImageLookup::Unknown(why) => {
                unknown = Some(why);
                None
            }
        },
    };
    if let Some(digest) = &digest {
        return match ecr.manifest_by_digest(&t.account, &t.region, &t.repo, digest) {
            Lookup::Found(m) => Ok(m),
            Lookup::Absent => Err(Some(format!(
                "the state's `ecr.images` has no manifest for {} ({})",
                t.short(),
                super::short_digest(digest)
            ))),
            Lookup::Unknown(why) => Err(Some(why)),
        };
    }
    // No digest known from imageDetails: a batch-get-image item asked for by tag names it.
    let Reference::Tag(tag) = t.reference() else {
        return Err(None);
    };
    for state in ecr.states() {
        for m in state.section.images.iter().flatten() {
            let registry = m.registry_id.as_deref().unwrap_or(&state.account_id);
            if registry == t.account
                && state.region == t.region
                && m.repository_name.as_deref() == Some(t.repo.as_str())
                && m.image_id.as_ref().and_then(|i| i.image_tag.as_deref()) == Some(tag)
            {
                return Ok(m);
            }
        }
    }
    Err(Some(unknown.unwrap_or_else(|| {
        format!(
            "the state has no manifest for {} (neither `ecr.imageDetails` nor `ecr.images` names the tag)",
            t.short()
        )
    })))
}
