//! The lifecycle policy verdict ECR004 and ECR010 share: the policy of the target's
//! repository, evaluated as of now over the repository's complete image list.

use std::collections::HashMap;

use super::{
    ImageLookup, Repo, Target, find_image, image_list_complete, pull_through_cache, repository,
};
use crate::base::known::Lookup;
use crate::base::timestamp::Timestamp;
use crate::ecr::lifecycle::{
    Count, ImageFate, LifecycleImage, Policy, PolicyProblem, evaluate, parse_policy,
};
use crate::rules::Context;
use crate::state::ecr::{ImageDetail, LifecyclePolicy};
use crate::state::template::ecr::PolicyText;

/// Where the policy came from: a state file or the template being checked.
#[derive(Clone, Copy)]
pub enum PolicySource<'a> {
    State(&'a LifecyclePolicy),
    Template(&'a PolicyText),
}

pub struct Evaluated<'a> {
    pub policy: Policy,
    pub source: PolicySource<'a>,
}

pub enum Verdict<'a> {
    /// The repository has no lifecycle policy, or the image is not there (ECR001/ECR002 say
    /// so): nothing to report.
    Nothing,
    Fate {
        fate: ImageFate,
        image: &'a ImageDetail,
        policy: std::rc::Rc<Evaluated<'a>>,
    },
    Unknown(String),
}

/// The verdict for each target, evaluating each repository's policy once.
pub fn verdicts<'a>(cx: &Context<'a>, targets: &[Target]) -> Vec<Verdict<'a>> {
    let now = cx.settings.now.unwrap_or_else(Timestamp::now);
    let mut per_repo: HashMap<(String, String, String), Result<Repository<'a>, String>> =
        HashMap::new();
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let image = match find_image(cx, t, t.reference()) {
            ImageLookup::Found(d) => d,
            ImageLookup::Missing | ImageLookup::NoRepository => {
                out.push(Verdict::Nothing);
                continue;
            }
            ImageLookup::Unknown(why) => {
                out.push(Verdict::Unknown(why));
                continue;
            }
        };
        let key = (t.account.clone(), t.region.clone(), t.repo.clone());
        let repo = per_repo
            .entry(key)
            .or_insert_with(|| evaluate_repository(cx, t, now));
        let verdict = match repo {
            Err(why) => Verdict::Unknown(why.clone()),
            Ok(Repository::NoPolicy) => Verdict::Nothing,
            Ok(Repository::Evaluated {
                policy,
                images,
                fates,
            }) => match images.iter().position(|d| std::ptr::eq(*d, image)) {
                Some(i) => Verdict::Fate {
                    fate: fates[i].clone(),
                    image,
                    policy: policy.clone(),
                },
                None => Verdict::Unknown(format!(
                    "the image {} is not in the image list of `{}`",
                    t.short(),
                    t.repo
                )),
            },
        };
        out.push(verdict);
    }
    out
}

enum Repository<'a> {
    NoPolicy,
    Evaluated {
        policy: std::rc::Rc<Evaluated<'a>>,
        images: Vec<&'a ImageDetail>,
        fates: Vec<ImageFate>,
    },
}

fn evaluate_repository<'a>(
    cx: &Context<'a>,
    t: &Target,
    now: Timestamp,
) -> Result<Repository<'a>, String> {
    let source = match policy_source(cx, t)? {
        Some(s) => s,
        None => return Ok(Repository::NoPolicy),
    };
    if let Lookup::Found(prefix) = pull_through_cache(cx, t) {
        return Err(format!(
            "`{}` is a pull-through cache repository (prefix `{prefix}`): an image its lifecycle policy expires is fetched again from upstream on the next pull",
            t.repo
        ));
    }
    let text = match source {
        PolicySource::State(p) => match &p.lifecycle_policy_text {
            Some(text) => text.0.as_str(),
            None => {
                return Err(format!(
                    "the lifecycle policy of `{}` in the state has no lifecyclePolicyText",
                    t.repo
                ));
            }
        },
        PolicySource::Template(p) => p.text.as_str(),
    };
    let policy = match parse_policy(text) {
        Ok(p) => p,
        Err(PolicyProblem::Invalid(errors)) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(format!(
                "lifecycle policy of {} is invalid: {}",
                t.repo,
                list.join("; ")
            ));
        }
        Err(PolicyProblem::Unsupported(errors)) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(format!(
                "lifecycle policy of {} cannot be evaluated without guessing: {}",
                t.repo,
                list.join("; ")
            ));
        }
    };
    image_list_complete(cx, t)?;
    let images = match cx
        .state
        .ecr
        .images_in_repository(&t.account, &t.region, &t.repo)
    {
        Lookup::Found(images) => images,
        Lookup::Absent => Vec::new(),
        Lookup::Unknown(why) => return Err(why),
    };
    let inputs: Vec<LifecycleImage> = images
        .iter()
        .map(|d| LifecycleImage::from_detail(d))
        .collect();
    let fates = evaluate(&policy, &inputs, now);
    Ok(Repository::Evaluated {
        policy: std::rc::Rc::new(Evaluated { policy, source }),
        images,
        fates,
    })
}

/// The policy that applies after the deploy: the template's when it sets one for a
/// repository it defines, else the state's. `None`: the repository has none.
fn policy_source<'a>(cx: &Context<'a>, t: &Target) -> Result<Option<PolicySource<'a>>, String> {
    if let Repo::Known {
        template: Some(tr), ..
    } = repository(cx, t)
    {
        match &tr.lifecycle_policy {
            Some(Ok(text)) => return Ok(Some(PolicySource::Template(text))),
            Some(Err(why)) => {
                return Err(format!(
                    "the lifecycle policy of `{}` in {} is known only at deploy time ({why})",
                    t.repo, tr.resource
                ));
            }
            None => {}
        }
    }
    match cx
        .state
        .ecr
        .lifecycle_policy(&t.account, &t.region, &t.repo)
    {
        Lookup::Found(p) => Ok(Some(PolicySource::State(p))),
        Lookup::Absent => Ok(None),
        Lookup::Unknown(why) => Err(why),
    }
}

/// What a rule does, in words: "keeps the 3 newest images it selects".
pub fn describe_rule(policy: &Policy, priority: i64) -> String {
    let Some(rule) = policy.rules.iter().find(|r| r.priority == priority) else {
        return format!("rule {priority}");
    };
    let what = match rule.count {
        Count::ImageCountMoreThan(n) => format!("keeps only the {n} newest images it selects"),
        Count::SinceImagePushed { days } => {
            format!("acts on images pushed more than {days} days ago")
        }
        Count::SinceImagePulled { days } => {
            format!("acts on images not pulled for more than {days} days")
        }
        Count::SinceImageTransitioned { days } => {
            format!("acts on images archived more than {days} days ago")
        }
    };
    match &rule.description {
        Some(d) if !d.is_empty() => format!("rule {priority} (\"{d}\") {what}"),
        _ => format!("rule {priority} {what}"),
    }
}

/// The run-summary reason when the evaluation cannot decide an image's fate.
pub fn undecided(t: &Target, priorities: &[i64], reasons: &[&str]) -> String {
    let rules: Vec<String> = priorities.iter().map(|p| format!("rule {p}")).collect();
    format!(
        "whether the lifecycle policy of `{}` acts on {} ({}) cannot be decided: {}",
        t.repo,
        t.short(),
        rules.join(", "),
        reasons.join("; ")
    )
}
