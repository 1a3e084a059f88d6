//! ECR: what the registry actually holds (ECR state).
//!
//! Every rule here looks at the private ECR images of the task definition and asks the same
//! questions of the state: does the repository exist, which image does the reference name, how
//! is the repository configured. The answers are worked out by the helpers below, once, the
//! same way for every rule:
//!
//! - **Layers.** A repository the template (or plan) being checked creates is known to exist
//!   after the deploy, with the settings the template gives it (tag mutability, lifecycle
//!   policy); those settings win over a state file's, because the deploy applies them. Its
//!   images come only from the state files: a repository the state does not list yet has no
//!   images before the deploy, so every image check for it is unknown (the image may be pushed
//!   between the deploy of the repository and the start of the tasks; nothing here can tell).
//! - **Complete image lists.** A repository's image list is complete when the state for its
//!   registry and region has `ecr.imageDetails` and lists the repository in
//!   `ecr.repositories` (what `describe-repositories` and a whole-repository `describe-images`
//!   print, and what `snapshot` writes). Only then is a missing tag or digest ECR002, and only
//!   then is the lifecycle policy evaluated (count rules rank every image).
//! - **Pull-through cache.** A repository under a pull-through cache prefix is created on the
//!   first pull, and a tag missing from it is fetched from upstream, so neither ECR001 nor
//!   ECR002 applies to it (ROLE010 checks the permissions). Whether a name is under a prefix
//!   needs `ecr.pullThroughCacheRules` (an empty list when there are none): without it, a
//!   missing repository or image is unknown, not a failure.
//!
//! Helpers used by the IMG rules: [`decides_tag_mutability`] (IMG004 is not reported when
//! ECR003 decides), [`knows_tag_digest`] (IMG005 is not reported when ECR009 decides), and
//! [`pin_to_current_digest`] (the `--fix` of IMG002, IMG003 and ECR003).

pub mod image_archived;
pub mod image_not_found;
pub mod image_not_scanned;
pub mod lifecycle_expires_image;
pub mod lifecycle_will_expire_image;
pub mod mutable_tag;
pub mod platform_mismatch;
pub mod repository_not_found;
pub mod tag_digest_mismatch;
pub mod vulnerable_image;

mod lifecycle;
pub mod pin;

use crate::base::known::{Lookup, Tri};
use crate::diag::{Diagnostic, FileId, Fix};
use crate::ecr::mutability::tag_is_mutable;
use crate::model::image_ref::{ImageRef, Registry};
use crate::parse::Node;
use crate::rules::{Context, ImageFact, Rule};
use crate::span::Span;
use crate::state::ecr::{EcrSection, ImageDetail, Repository};
use crate::state::snapshot::span_at;
use crate::state::template::ecr::TemplateRepository;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &repository_not_found::RULE,
    &image_not_found::RULE,
    &mutable_tag::RULE,
    &lifecycle_expires_image::RULE,
    &vulnerable_image::RULE,
    &image_not_scanned::RULE,
    &platform_mismatch::RULE,
    &image_archived::RULE,
    &tag_digest_mismatch::RULE,
    &lifecycle_will_expire_image::RULE,
];

/// A private ECR image of the task definition, with the registry it lives in: the first
/// container that uses it, and the other containers that use the same image
/// (docs/architecture.md#one-root-cause-one-diagnostic: one diagnostic per task definition and
/// image, the other containers as secondary labels).
#[derive(Clone, Debug)]
pub struct Target {
    pub container: String,
    /// The container's index in the context's `containers`, whose `image` value this is (None
    /// for targets made from an image alone, by the IMG rules' helpers). An index, not the
    /// node: the context caches its targets, and a cell holding borrowed nodes would tie the
    /// context's lifetime down.
    container_index: Option<usize>,
    /// The `image` value's span in the file being checked.
    pub span: Span,
    pub image: ImageRef,
    pub account: String,
    pub region: String,
    pub repo: String,
    /// The other containers whose image is the same (registry, region, repository, tag and
    /// digest), in the task definition's order.
    pub others: Vec<Target>,
}

/// What a pull asks the repository for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    Digest(&'a str),
    Tag(&'a str),
}

impl Target {
    fn new(container: String, at: Option<(usize, &Node)>, image: &ImageRef) -> Option<Target> {
        let Registry::Ecr {
            account, region, ..
        } = &image.registry
        else {
            return None;
        };
        Some(Target {
            container,
            span: at.map(|(_, n)| n.span).unwrap_or_default(),
            container_index: at.map(|(i, _)| i),
            account: account.clone(),
            region: region.clone(),
            repo: image.path.clone(),
            image: image.clone(),
            others: Vec::new(),
        })
    }

    /// Whether `other` names the same image: same registry, region, repository, tag and
    /// digest (however the hostname is written).
    fn same_image(&self, other: &Target) -> bool {
        self.account == other.account
            && self.region == other.region
            && self.repo == other.repo
            && self.image.tag == other.image.tag
            && self.image.digest == other.image.digest
    }

    /// The `image` value in the file being checked.
    pub fn node<'a>(&self, cx: &Context<'a>) -> Option<&'a Node> {
        match &cx.containers.get(self.container_index?)?.image {
            ImageFact::Parsed { node, .. } => Some(*node),
            _ => None,
        }
    }

    /// This target and the others that use the same image.
    pub fn all(&self) -> impl Iterator<Item = &Target> {
        std::iter::once(self).chain(self.others.iter())
    }

    /// "container `web` uses", or "containers `web`, `worker` use": the subject of a message
    /// with `verb` (third person singular) agreeing with it.
    pub fn who(&self, verb: &str) -> String {
        if self.others.is_empty() {
            return format!("container `{}` {verb}", self.container);
        }
        let names: Vec<String> = self.all().map(|t| format!("`{}`", t.container)).collect();
        let plural = verb.strip_suffix('s').unwrap_or(verb);
        format!("containers {} {plural}", names.join(", "))
    }

    /// The digest when there is one (the pull ignores the tag then), else the tag, else
    /// `latest`.
    pub fn reference(&self) -> Reference<'_> {
        match (&self.image.digest, &self.image.tag) {
            (Some(d), _) => Reference::Digest(d),
            (None, Some(t)) => Reference::Tag(t),
            (None, None) => Reference::Tag("latest"),
        }
    }

    /// `web:1.4.2`, `web@sha256:…` (shortened), `web` + `:latest` when implicit: the image as
    /// ECR knows it, for messages.
    pub fn short(&self) -> String {
        match self.reference() {
            Reference::Digest(d) => format!("{}@{}", self.repo, short_digest(d)),
            Reference::Tag(t) => format!("{}:{t}", self.repo),
        }
    }

    /// `--region` argument for CLI commands in help texts.
    pub fn cli_where(&self) -> String {
        format!("--registry-id {} --region {}", self.account, self.region)
    }
}

/// `sha256:2c26b46b68ff…` — enough to tell digests apart in a message.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => format!("{alg}:{}…", &hex[..12]),
        _ => digest.to_string(),
    }
}

/// The private ECR images of the task definition, one per image: containers that use the
/// same image are the first one's `others`. Worked out on the first call of the task
/// definition's check; every ECR rule shares the result.
pub fn targets(cx: &Context) -> std::rc::Rc<Vec<Target>> {
    cx.ecr_targets
        .get_or_init(|| std::rc::Rc::new(find_targets(cx)))
        .clone()
}

fn find_targets(cx: &Context) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    // An image the deploy publishes (a CDK container asset) is not in the registry yet.
    let each = cx
        .containers
        .iter()
        .enumerate()
        .filter(|(_, f)| f.published.is_none())
        .filter_map(|(i, f)| match &f.image {
            ImageFact::Parsed { node, image } => {
                Target::new(f.container.label(), Some((i, *node)), image)
            }
            _ => None,
        });
    for t in each {
        match out.iter_mut().find(|g| g.same_image(&t)) {
            Some(first) => first.others.push(t),
            None => out.push(t),
        }
    }
    out
}

/// The targets grouped by repository (registry, region and name), for findings about the
/// repository itself (ECR001): each first target carries every other one in its `others`.
pub fn repository_targets(cx: &Context) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for t in targets(cx).iter() {
        let mut t = t.clone();
        let others = std::mem::take(&mut t.others);
        let group = out
            .iter_mut()
            .find(|g| g.account == t.account && g.region == t.region && g.repo == t.repo);
        match group {
            Some(first) => {
                first.others.push(t);
                first.others.extend(others);
            }
            None => {
                t.others = others;
                out.push(t);
            }
        }
    }
    out
}

/// Reports a finding about a target's image at the first container's `image`, naming that
/// container, with a secondary label at each other container's `image`.
pub fn report_image<'d>(
    cx: &'d mut Context,
    rule: &'static Rule,
    t: &Target,
    message: String,
) -> &'d mut Diagnostic {
    report_with_others(cx, rule, t, message, "uses the same image")
}

/// As [`report_image`], for a target of [`repository_targets`].
pub fn report_repository<'d>(
    cx: &'d mut Context,
    rule: &'static Rule,
    t: &Target,
    message: String,
) -> &'d mut Diagnostic {
    report_with_others(cx, rule, t, message, "pulls from the same repository")
}

fn report_with_others<'d>(
    cx: &'d mut Context,
    rule: &'static Rule,
    t: &Target,
    message: String,
    shared: &str,
) -> &'d mut Diagnostic {
    let d = cx.report(rule, t.span, message).container(&t.container);
    for other in &t.others {
        // Two containers may share one literal (a parameter's default): one place, one label.
        let placed = other.span == d.span || d.labels.iter().any(|l| l.span == other.span);
        if !placed {
            d.label_here(
                other.span,
                format!("container `{}` {shared}", other.container),
            );
        }
    }
    d
}

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/// What is known of a target's repository.
pub enum Repo<'a> {
    /// It exists (or will, after the deploy): as the state lists it and/or as the template
    /// defines it.
    Known {
        state: Option<&'a Repository>,
        template: Option<&'a TemplateRepository>,
    },
    /// The state for its registry and region lists repositories, and not this one; the
    /// template does not create it.
    Absent,
    Unknown(String),
}

pub fn repository<'a>(cx: &Context<'a>, t: &Target) -> Repo<'a> {
    let state = cx.state.ecr.repository(&t.account, &t.region, &t.repo);
    let template = cx.template.ecr.repository(&t.account, &t.region, &t.repo);
    match (state, template) {
        (state, Lookup::Found(tr)) => Repo::Known {
            state: state.found(),
            template: Some(tr),
        },
        (Lookup::Found(r), _) => Repo::Known {
            state: Some(r),
            template: None,
        },
        (_, Lookup::Unknown(why)) | (Lookup::Unknown(why), Lookup::Absent) => Repo::Unknown(why),
        (Lookup::Absent, Lookup::Absent) => Repo::Absent,
    }
}

/// The pull-through cache prefix that covers the target's repository name, from the template
/// or the state. `Absent`: no rule covers it.
pub fn pull_through_cache(cx: &Context, t: &Target) -> Lookup<String> {
    match cache_rule(cx, t) {
        Lookup::Found(rule) => Lookup::Found(rule.prefix),
        Lookup::Absent => Lookup::Absent,
        Lookup::Unknown(why) => Lookup::Unknown(why),
    }
}

/// A pull-through cache rule as the rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRule {
    /// `ecrRepositoryPrefix`.
    pub prefix: String,
    /// `upstreamRegistryUrl` (else `upstreamRegistry`), when the rule says.
    pub upstream: Option<String>,
}

/// The pull-through cache rule that covers the target's repository name, from the template
/// or the state. `Absent`: no rule covers it.
pub fn cache_rule(cx: &Context, t: &Target) -> Lookup<CacheRule> {
    let template = cx
        .template
        .ecr
        .pull_through_cache_rule(&t.account, &t.region, &t.repo);
    if let Lookup::Found(rule) = &template {
        return Lookup::Found(CacheRule {
            prefix: rule.prefix.clone().unwrap_or_default(),
            upstream: rule.upstream_registry_url.clone(),
        });
    }
    let state = cx
        .state
        .ecr
        .pull_through_cache_rule(&t.account, &t.region, &t.repo);
    match (state, template) {
        (Lookup::Found(rule), _) => Lookup::Found(CacheRule {
            prefix: rule.ecr_repository_prefix.clone().unwrap_or_default(),
            upstream: rule
                .upstream_registry_url
                .clone()
                .or_else(|| rule.upstream_registry.clone()),
        }),
        (Lookup::Unknown(why), _) => Lookup::Unknown(format!(
            "whether a pull-through cache rule covers `{}` is not known: {why}",
            t.repo
        )),
        (_, Lookup::Unknown(why)) => Lookup::Unknown(why),
        _ => Lookup::Absent,
    }
}

/// Whether pulling an image is the first pull through a pull-through cache rule, which goes
/// to the upstream registry (docs/network.md#public-registries-and-pull-through-cache).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CachePull {
    /// Not under a cache rule, or its cache repository exists (or the template creates it):
    /// the pull stays within ECR.
    No,
    /// Under a cache rule, and the cache repository does not exist yet.
    FirstPull { repository: String, rule: CacheRule },
    /// Whether it is a first pull through a cache rule is not known, and why.
    Unknown { repository: String, reason: String },
}

/// For the NET rules: whether pulling `image` is a first pull through a pull-through cache
/// rule. The cache repository is created by the first pull, so a repository the state lists
/// (or the template creates) is no first pull.
pub fn first_pull_through_cache(cx: &Context, image: &ImageRef) -> CachePull {
    let Some(t) = target_of(image) else {
        return CachePull::No;
    };
    let (repo, rule) = (repository(cx, &t), cache_rule(cx, &t));
    let repository = t.repo.clone();
    match (repo, rule) {
        (Repo::Known { .. }, _) | (_, Lookup::Absent) => CachePull::No,
        (Repo::Absent, Lookup::Found(rule)) => CachePull::FirstPull { repository, rule },
        (Repo::Absent, Lookup::Unknown(why)) => CachePull::Unknown {
            reason: format!("`{repository}` is not in the state's repositories, and {why}"),
            repository,
        },
        (Repo::Unknown(why), Lookup::Found(rule)) => CachePull::Unknown {
            reason: format!(
                "`{repository}` is under the pull-through cache rule `{}`, and whether its cache repository exists (it does not before the first pull) is not known: {why}",
                rule.prefix
            ),
            repository,
        },
        (Repo::Unknown(why), Lookup::Unknown(_)) => CachePull::Unknown {
            reason: format!(
                "whether `{repository}` is a pull-through cache repository that does not exist yet is not known: {why}"
            ),
            repository,
        },
    }
}

/// Whether the tag is mutable in the target's repository: `Ok(true)` mutable, `Ok(false)`
/// immutable, `Err` why not known (including: the repository does not exist).
pub fn tag_mutability(cx: &Context, t: &Target, tag: &str) -> Result<bool, String> {
    let repo = match repository(cx, t) {
        Repo::Known {
            template: Some(tr), ..
        } => {
            if let Some(why) = &tr.mutability_unknown {
                return Err(why.clone());
            }
            &tr.repository
        }
        Repo::Known {
            state: Some(r),
            template: None,
        } => r,
        Repo::Known { .. } => return Err("internal: a repository known from nowhere".into()),
        Repo::Absent => return Err(format!("the repository `{}` does not exist", t.repo)),
        Repo::Unknown(why) => return Err(why),
    };
    match tag_is_mutable(repo, tag) {
        (Tri::True, _) => Ok(true),
        (Tri::False, _) => Ok(false),
        (Tri::Unknown, why) => Err(format!(
            "the tag mutability of `{}` cannot be decided: {}",
            t.repo,
            why.unwrap_or_default()
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/// What is known of the image a reference names.
pub enum ImageLookup<'a> {
    Found(&'a ImageDetail),
    /// The repository exists and its complete image list has no such tag or digest.
    Missing,
    /// The repository itself does not exist (ECR001): nothing to say about its images.
    NoRepository,
    Unknown(String),
}

/// The image `reference` names in the target's repository.
pub fn find_image<'a>(cx: &Context<'a>, t: &Target, reference: Reference) -> ImageLookup<'a> {
    let ecr = &cx.state.ecr;
    let found = match reference {
        Reference::Digest(d) => ecr.image_by_digest(&t.account, &t.region, &t.repo, d),
        Reference::Tag(tag) => ecr.image_by_tag(&t.account, &t.region, &t.repo, tag),
    };
    let lookup_unknown = match found {
        Lookup::Found(d) => return ImageLookup::Found(d),
        Lookup::Absent => None,
        Lookup::Unknown(why) => Some(why),
    };
    let what = match reference {
        Reference::Digest(d) => format!("the digest {}", short_digest(d)),
        Reference::Tag(tag) => format!("the tag `{tag}`"),
    };
    match repository(cx, t) {
        Repo::Absent => match pull_through_cache(cx, t) {
            Lookup::Found(prefix) => ImageLookup::Unknown(format!(
                "`{}` is under the pull-through cache prefix `{prefix}`: ECR creates it and fetches {what} from upstream on the first pull",
                t.repo
            )),
            Lookup::Unknown(why) => ImageLookup::Unknown(why),
            Lookup::Absent => ImageLookup::NoRepository,
        },
        Repo::Unknown(why) => ImageLookup::Unknown(why),
        Repo::Known {
            state: None,
            template,
        } => ImageLookup::Unknown(format!(
            "the repository `{}` is created by this template ({}) and has no images before the deploy; whether {what} is pushed before the tasks start cannot be known here",
            t.repo,
            template.map_or("", |tr| tr.resource.as_str())
        )),
        Repo::Known { state: Some(_), .. } => {
            if let Some(why) = lookup_unknown {
                return ImageLookup::Unknown(why);
            }
            if let Err(why) = image_list_complete(cx, t) {
                return ImageLookup::Unknown(why);
            }
            match pull_through_cache(cx, t) {
                Lookup::Found(prefix) => ImageLookup::Unknown(format!(
                    "`{}` is a pull-through cache repository (prefix `{prefix}`): {what} is fetched from upstream when it is not in the cache",
                    t.repo
                )),
                Lookup::Unknown(why) => ImageLookup::Unknown(why),
                Lookup::Absent => ImageLookup::Missing,
            }
        }
    }
}

/// `Ok` when the state holds every image of the target's repository: the repository is in
/// `ecr.repositories` and the state has `ecr.imageDetails` for its registry and region.
pub fn image_list_complete(cx: &Context, t: &Target) -> Result<(), String> {
    let ecr = &cx.state.ecr;
    match ecr.repository(&t.account, &t.region, &t.repo) {
        Lookup::Found(_) => {}
        Lookup::Absent => {
            return Err(format!(
                "the state's `ecr.imageDetails` may not list every image of `{}`: the repository is not in `ecr.repositories`",
                t.repo
            ));
        }
        Lookup::Unknown(why) => {
            return Err(format!(
                "whether the state lists every image of `{}` is not known: {why}",
                t.repo
            ));
        }
    }
    match ecr.images_in_repository(&t.account, &t.region, &t.repo) {
        Lookup::Unknown(why) => Err(why),
        _ => Ok(()),
    }
}

/// The digest `tag` points at now, as far as the state knows.
pub fn tag_digest<'a>(cx: &Context<'a>, t: &Target, tag: &str) -> Result<Option<&'a str>, String> {
    match find_image(cx, t, Reference::Tag(tag)) {
        ImageLookup::Found(d) => match d.image_digest.as_deref() {
            Some(digest) => Ok(Some(digest)),
            None => Err(format!(
                "the image with tag `{tag}` has no imageDigest in the state"
            )),
        },
        ImageLookup::Missing => Ok(None),
        ImageLookup::NoRepository => Err(format!("the repository `{}` does not exist", t.repo)),
        ImageLookup::Unknown(why) => Err(why),
    }
}

// ---------------------------------------------------------------------------------------------
// For the IMG rules
// ---------------------------------------------------------------------------------------------

fn target_of(image: &ImageRef) -> Option<Target> {
    Target::new(String::new(), None, image)
}

/// Whether ECR state decides if the image's tag is mutable (so ECR003 reports it, or nothing
/// does because the tag is immutable): IMG004 is not reported then.
pub fn decides_tag_mutability(cx: &Context, image: &ImageRef) -> bool {
    match (target_of(image), &image.tag) {
        (Some(t), Some(tag)) => tag_mutability(cx, &t, tag).is_ok(),
        _ => false,
    }
}

/// Whether ECR state knows what the image's tag points at now (so ECR009 reports a mismatch,
/// or nothing does because tag and digest agree): IMG005 is not reported then.
pub fn knows_tag_digest(cx: &Context, image: &ImageRef) -> bool {
    match (target_of(image), &image.tag) {
        (Some(t), Some(tag)) => tag_digest(cx, &t, tag).is_ok(),
        _ => false,
    }
}

/// The safe fix that pins an image referenced by `tag` (written, or the implicit `latest`) to
/// the digest the tag points at now: `repo:tag@sha256:…`. `None` without ECR state that knows
/// the digest, or when the file's text cannot be edited safely.
pub fn pin_to_current_digest(cx: &Context, node: &Node, image: &ImageRef) -> Option<Fix> {
    let (pinned, repo, tag) = pinned_reference(cx, image)?;
    // ECS refuses images longer than 255 characters: a fix must not create one
    // ([`pin_too_long`] says why in the help instead).
    if pinned.chars().count() > crate::model::image_ref::ECS_IMAGE_MAX_CHARS {
        return None;
    }
    pin::pin_fix(
        cx,
        node,
        &pinned,
        format!("pin `{repo}:{tag}` to the digest it points at now"),
    )
}

/// Why the digest pin is not offered although ECR state knows the digest: the pinned
/// reference would be longer than the 255 characters `RegisterTaskDefinition` accepts. Rules
/// that would offer the pin add this to their help so the missing fix is not a mystery.
pub fn pin_too_long(cx: &Context, image: &ImageRef) -> Option<String> {
    let (pinned, _, tag) = pinned_reference(cx, image)?;
    let chars = pinned.chars().count();
    let max = crate::model::image_ref::ECS_IMAGE_MAX_CHARS;
    if chars <= max {
        return None;
    }
    // `repo@sha256:…` (the digest alone) is shorter by `:tag`.
    let without_tag = chars - tag.chars().count() - 1;
    let instead = if without_tag <= max {
        format!(
            "write the digest without the tag (`{}@sha256:…`, {without_tag} characters)",
            image.name_as_written()
        )
    } else {
        "shorten the repository name".to_string()
    };
    Some(format!(
        "; no fix is offered: pinned to its digest with the tag, the image reference would be {chars} characters long, \
         and ECS accepts at most {max} — {instead}"
    ))
}

/// The image written as `repo:tag@digest` with the digest its tag points at now, with the
/// repository and tag; None without a digest from ECR state or when the image has one already.
fn pinned_reference(cx: &Context, image: &ImageRef) -> Option<(String, String, String)> {
    if image.digest.is_some() {
        return None;
    }
    let tag = image.tag.as_deref().unwrap_or("latest");
    let t = target_of(image)?;
    let digest = tag_digest(cx, &t, tag).ok()??;
    let pinned = format!("{}:{tag}@{digest}", image.name_as_written());
    Some((pinned, t.repo, tag.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Labels into state files
// ---------------------------------------------------------------------------------------------

/// The state file and span of an item of the `ecr` section (`key` = `imageDetails`, …),
/// found by identity, plus an optional field path inside it.
fn state_span<T>(
    cx: &Context,
    item: &T,
    list: impl Fn(&EcrSection) -> Option<&[T]>,
    key: &str,
    field: Option<&str>,
) -> Option<(FileId, Span)> {
    let with_ecr = cx.state.snapshots.iter().filter(|s| s.ecr.is_some());
    for (state, snapshot) in cx.state.ecr.states().iter().zip(with_ecr) {
        let Some(items) = list(&state.section) else {
            continue;
        };
        if let Some(i) = items.iter().position(|x| std::ptr::eq(x, item)) {
            let mut path = format!("ecr.{key}[{i}]");
            if let Some(f) = field {
                path.push('.');
                path.push_str(f);
            }
            return Some((snapshot.file, span_at(&snapshot.root, &path)));
        }
    }
    None
}

/// Where an `imageDetails` item (or one of its fields) is in its state file.
pub fn image_place(
    cx: &Context,
    image: &ImageDetail,
    field: Option<&str>,
) -> Option<(FileId, Span)> {
    state_span(
        cx,
        image,
        |s| s.image_details.as_deref(),
        "imageDetails",
        field,
    )
}

/// Where a `repositories` item (or one of its fields) is in its state file.
pub fn repository_place(
    cx: &Context,
    repo: &Repository,
    field: Option<&str>,
) -> Option<(FileId, Span)> {
    state_span(
        cx,
        repo,
        |s| s.repositories.as_deref(),
        "repositories",
        field,
    )
}

/// Where an `images` item's manifest is in its state file.
pub fn manifest_place(cx: &Context, image: &crate::state::ecr::Image) -> Option<(FileId, Span)> {
    state_span(
        cx,
        image,
        |s| s.images.as_deref(),
        "images",
        Some("imageManifest"),
    )
}

/// Where a `lifecyclePolicies` item's policy text is in its state file.
pub fn lifecycle_policy_place(
    cx: &Context,
    policy: &crate::state::ecr::LifecyclePolicy,
) -> Option<(FileId, Span)> {
    state_span(
        cx,
        policy,
        |s| s.lifecycle_policies.as_deref(),
        "lifecyclePolicies",
        Some("lifecyclePolicyText"),
    )
}

/// Adds a secondary label at `place` when there is one.
pub fn add_label(d: &mut Diagnostic, place: Option<(FileId, Span)>, message: &str) {
    if let Some((file, span)) = place {
        d.label(file, span, message);
    }
}
