//! ECR state from the resources of the template or plan being checked.
//!
//! Read from CloudFormation `AWS::ECR::Repository` (`RepositoryName`, `ImageTagMutability`,
//! `ImageTagMutabilityExclusionFilters`, `LifecyclePolicy.LifecyclePolicyText`,
//! `RepositoryPolicyText`, `ImageScanningConfiguration`) and `AWS::ECR::PullThroughCacheRule`,
//! and from Terraform `aws_ecr_repository`, `aws_ecr_lifecycle_policy`,
//! `aws_ecr_repository_policy` and `aws_ecr_pull_through_cache_rule`.
//!
//! A repository the template defines exists after the deploy, in the deployment's account
//! and region, with the settings the template gives it. It has no images of its own: what is
//! in it comes from the state files when the repository already exists there (a stack update),
//! and is unknown otherwise. These values are layered over the state files by the ECR rules
//! (`rules::ecr`): the template's settings win, because they are what the deploy applies.
//!
//! A repository without `RepositoryName` gets a generated name that no image string written
//! in the file can know in advance, so it is ignored. A name that is an unresolved expression
//! makes every lookup it could match unknown.

use crate::base::known::Lookup;
use crate::model::{Document, Format, Resource};
use crate::parse::{Node, NodeKind};
use crate::settings::Settings;
use crate::span::Span;
use crate::state::ecr::{Repository, TagMutabilityExclusionFilter};

/// CloudFormation's and the Terraform provider's default for `ImageTagMutability`.
const DEFAULT_MUTABILITY: &str = "MUTABLE";

#[derive(Debug, Default)]
pub struct TemplateEcr {
    pub repositories: Vec<TemplateRepository>,
    pub pull_through_cache_rules: Vec<TemplatePullThroughCacheRule>,
    /// The deployment account and region, where the template's resources are created; `None`
    /// when not known.
    pub account: Option<String>,
    pub region: Option<String>,
}

/// A value of the template: known, or known only at deploy time (with the reason).
pub type Known<T> = Result<T, String>;

#[derive(Debug)]
pub struct TemplateRepository {
    /// The logical ID or Terraform address.
    pub resource: String,
    pub resource_span: Span,
    /// `RepositoryName` / `name`.
    pub name: Known<String>,
    /// A Terraform resource's own `region` argument (provider v6), when it has one.
    pub region: Option<String>,
    /// The repository as `describe-repositories` would show it after the deploy: name and tag
    /// mutability (the default `MUTABLE` when the template does not set it).
    pub repository: Repository,
    /// Why the mutability settings are not known, when an expression decides them.
    pub mutability_unknown: Option<String>,
    /// The template does not set the tag mutability: the default (`MUTABLE`) applies.
    pub mutability_is_default: bool,
    /// The lifecycle policy text the template sets: `None` = the template sets none.
    pub lifecycle_policy: Option<Known<PolicyText>>,
    /// The repository policy text the template sets: `None` = the template sets none.
    pub repository_policy: Option<Known<PolicyText>>,
    /// `ImageScanningConfiguration.ScanOnPush` / `image_scanning_configuration.scan_on_push`.
    pub scan_on_push: Option<bool>,
}

/// A JSON policy document written in the template, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyText {
    pub text: String,
    /// The resource that sets it (a Terraform `aws_ecr_lifecycle_policy` may be separate from
    /// its repository).
    pub resource: String,
    pub span: Span,
}

#[derive(Debug)]
pub struct TemplatePullThroughCacheRule {
    pub resource: String,
    pub resource_span: Span,
    /// `EcrRepositoryPrefix` / `ecr_repository_prefix`.
    pub prefix: Known<String>,
    pub upstream_registry_url: Option<String>,
    pub region: Option<String>,
}

impl TemplateEcr {
    pub fn from_document(doc: &Document, settings: &Settings) -> TemplateEcr {
        let mut out = TemplateEcr {
            account: settings.account.clone(),
            region: settings.region.clone(),
            ..TemplateEcr::default()
        };
        match doc.format {
            Format::CloudFormation => out.read_cloudformation(&doc.resources),
            Format::TerraformPlan | Format::TerraformSource => out.read_terraform(&doc.resources),
            Format::TaskDefinitionJson => {}
        }
        out
    }

    fn read_cloudformation(&mut self, resources: &[Resource]) {
        for r in resources {
            let p = &r.properties;
            match r.kind.as_str() {
                "AWS::ECR::Repository" => {
                    let Some(name) = p.get("RepositoryName").map(known_string) else {
                        // A generated name: no image written in a file can name it.
                        continue;
                    };
                    let mut repo = TemplateRepository::new(r, name, None);
                    repo.read_mutability(
                        p.get("ImageTagMutability"),
                        p.get("ImageTagMutabilityExclusionFilters"),
                        "ImageTagMutabilityExclusionFilterType",
                        "ImageTagMutabilityExclusionFilterValue",
                    );
                    repo.lifecycle_policy = p
                        .get("LifecyclePolicy")
                        .and_then(|l| l.get("LifecyclePolicyText"))
                        .map(|n| policy_text(n, &r.id));
                    repo.repository_policy =
                        p.get("RepositoryPolicyText").map(|n| policy_text(n, &r.id));
                    repo.scan_on_push = p
                        .get("ImageScanningConfiguration")
                        .and_then(|c| c.get("ScanOnPush"))
                        .and_then(bool_value);
                    self.repositories.push(repo);
                }
                "AWS::ECR::PullThroughCacheRule" => {
                    if let Some(prefix) = p.get("EcrRepositoryPrefix") {
                        self.pull_through_cache_rules
                            .push(TemplatePullThroughCacheRule {
                                resource: r.id.clone(),
                                resource_span: r.id_span,
                                prefix: known_string(prefix),
                                upstream_registry_url: p
                                    .get("UpstreamRegistryUrl")
                                    .and_then(Node::as_str)
                                    .map(str::to_string),
                                region: None,
                            });
                    }
                }
                _ => {}
            }
        }
    }

    fn read_terraform(&mut self, resources: &[Resource]) {
        for r in resources.iter().filter(|r| r.kind == "aws_ecr_repository") {
            let p = &r.properties;
            let Some(name) = p.get("name").map(known_string) else {
                continue;
            };
            let region = p.get("region").and_then(Node::as_str).map(str::to_string);
            let mut repo = TemplateRepository::new(r, name, region);
            repo.read_mutability(
                p.get("image_tag_mutability"),
                p.get("image_tag_mutability_exclusion_filter"),
                "filter_type",
                "filter",
            );
            repo.scan_on_push = p
                .get("image_scanning_configuration")
                .and_then(|c| c.items().first())
                .and_then(|c| c.get("scan_on_push"))
                .and_then(bool_value);
            self.repositories.push(repo);
        }
        // Policies are separate resources naming their repository, by name or by reference.
        for r in resources {
            let field = match r.kind.as_str() {
                "aws_ecr_lifecycle_policy" | "aws_ecr_repository_policy" => "policy",
                "aws_ecr_pull_through_cache_rule" => {
                    if let Some(prefix) = r.properties.get("ecr_repository_prefix") {
                        self.pull_through_cache_rules
                            .push(TemplatePullThroughCacheRule {
                                resource: r.id.clone(),
                                resource_span: r.id_span,
                                prefix: known_string(prefix),
                                upstream_registry_url: r
                                    .properties
                                    .get("upstream_registry_url")
                                    .and_then(Node::as_str)
                                    .map(str::to_string),
                                region: r
                                    .properties
                                    .get("region")
                                    .and_then(Node::as_str)
                                    .map(str::to_string),
                            });
                    }
                    continue;
                }
                _ => continue,
            };
            let Some(target) = r.properties.get("repository") else {
                continue;
            };
            let text = match r.properties.get(field) {
                Some(n) => policy_text(n, &r.id),
                None => continue,
            };
            let index = match &target.kind {
                NodeKind::String(name) => self
                    .repositories
                    .iter()
                    .position(|repo| repo.name.as_deref() == Ok(name.as_str())),
                NodeKind::ResourceRef { id, .. } => self
                    .repositories
                    .iter()
                    .position(|repo| &repo.resource == id),
                _ => None,
            };
            let Some(index) = index else {
                // A policy for a repository this plan does not create: it changes a repository
                // of the state. Not layered (the state's own policy is what is known).
                continue;
            };
            let repo = &mut self.repositories[index];
            if r.kind == "aws_ecr_lifecycle_policy" {
                repo.lifecycle_policy = Some(text);
            } else {
                repo.repository_policy = Some(text);
            }
        }
    }

    /// The repository `name` in `account`/`region` if this template creates it. `Absent`: it
    /// does not; `Unknown`: it might (a name or the deployment account/region is not known).
    pub fn repository(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Lookup<&TemplateRepository> {
        let mut unknown: Option<String> = None;
        for repo in &self.repositories {
            let place = self.place_matches(account, region, repo.region.as_deref());
            match (&repo.name, place) {
                (Ok(n), Ok(true)) if n == name => return Lookup::Found(repo),
                (Ok(n), Err(why)) if n == name => {
                    unknown.get_or_insert_with(|| {
                        format!(
                            "the template creates a repository `{name}` ({}) in the deployment's account and region, and {why}",
                            repo.resource
                        )
                    });
                }
                (Err(why), Ok(true) | Err(_)) => {
                    unknown.get_or_insert_with(|| {
                        format!(
                            "the template creates the repository {} whose name is known only at deploy time ({why}); it may be `{name}`",
                            repo.resource
                        )
                    });
                }
                _ => {}
            }
        }
        match unknown {
            Some(reason) => Lookup::Unknown(reason),
            None => Lookup::Absent,
        }
    }

    /// The pull-through cache rule of this template whose prefix covers `name` (longest
    /// prefix wins). `Absent`: none does; `Unknown`: one might.
    pub fn pull_through_cache_rule(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Lookup<&TemplatePullThroughCacheRule> {
        let mut best: Option<&TemplatePullThroughCacheRule> = None;
        let mut unknown: Option<String> = None;
        for rule in &self.pull_through_cache_rules {
            let place = self.place_matches(account, region, rule.region.as_deref());
            match (&rule.prefix, place) {
                (Ok(prefix), place) if prefix_covers(prefix, name) => match place {
                    Ok(true) => {
                        let longer = best
                            .and_then(|b| b.prefix.as_ref().ok())
                            .is_none_or(|b| prefix.len() > b.len());
                        if longer {
                            best = Some(rule);
                        }
                    }
                    Ok(false) => {}
                    Err(why) => {
                        unknown.get_or_insert_with(|| {
                            format!(
                                "the template's pull-through cache rule {} (prefix `{prefix}`) covers `{name}`, and {why}",
                                rule.resource
                            )
                        });
                    }
                },
                (Err(why), Ok(true) | Err(_)) => {
                    unknown.get_or_insert_with(|| {
                        format!(
                            "the template's pull-through cache rule {} has a prefix known only at deploy time ({why})",
                            rule.resource
                        )
                    });
                }
                _ => {}
            }
        }
        match (best, unknown) {
            (Some(rule), _) => Lookup::Found(rule),
            (None, Some(reason)) => Lookup::Unknown(reason),
            (None, None) => Lookup::Absent,
        }
    }

    /// Whether a resource of this template (created in the deployment's account and region,
    /// or in `own_region`) is in `account`/`region`. `Err` says what is not known.
    fn place_matches(
        &self,
        account: &str,
        region: &str,
        own_region: Option<&str>,
    ) -> Result<bool, String> {
        let region_ok = match own_region.or(self.region.as_deref()) {
            Some(r) => r == region,
            None => return Err("the deployment region is not known (pass --region)".into()),
        };
        if !region_ok {
            return Ok(false);
        }
        match self.account.as_deref() {
            Some(a) => Ok(a == account),
            None => Err("the deployment account is not known (pass --account)".into()),
        }
    }
}

impl TemplateRepository {
    fn new(r: &Resource, name: Known<String>, region: Option<String>) -> TemplateRepository {
        TemplateRepository {
            resource: r.id.clone(),
            resource_span: r.id_span,
            repository: Repository {
                repository_name: name.as_ref().ok().cloned(),
                ..Repository::default()
            },
            name,
            region,
            mutability_unknown: None,
            mutability_is_default: false,
            lifecycle_policy: None,
            repository_policy: None,
            scan_on_push: None,
        }
    }

    fn read_mutability(
        &mut self,
        setting: Option<&Node>,
        filters: Option<&Node>,
        type_key: &str,
        value_key: &str,
    ) {
        match setting.map(known_string) {
            None => {
                self.repository.image_tag_mutability = Some(DEFAULT_MUTABILITY.into());
                self.mutability_is_default = true;
            }
            Some(Ok(s)) => self.repository.image_tag_mutability = Some(s),
            Some(Err(why)) => {
                self.mutability_unknown = Some(format!(
                    "the tag mutability of {} is known only at deploy time ({why})",
                    self.resource
                ));
            }
        }
        let Some(filters) = filters else {
            // No filters written: there are none.
            self.repository.image_tag_mutability_exclusion_filters = Some(Vec::new());
            return;
        };
        if let NodeKind::Unresolved(why) = &filters.kind {
            self.mutability_unknown.get_or_insert_with(|| {
                format!(
                    "the tag mutability exclusion filters of {} are known only at deploy time ({why})",
                    self.resource
                )
            });
            return;
        }
        let mut list = Vec::new();
        for f in filters.items() {
            let (t, v) = (
                f.get(type_key).map(known_string),
                f.get(value_key).map(known_string),
            );
            match (t, v) {
                (Some(Ok(t)), Some(Ok(v))) => list.push(TagMutabilityExclusionFilter {
                    filter_type: Some(t),
                    filter: Some(v),
                }),
                (Some(Err(why)), _) | (_, Some(Err(why))) => {
                    self.mutability_unknown.get_or_insert_with(|| {
                        format!(
                            "a tag mutability exclusion filter of {} is known only at deploy time ({why})",
                            self.resource
                        )
                    });
                    return;
                }
                // Missing fields: kept, so that the mutability check says it cannot decide.
                (t, v) => list.push(TagMutabilityExclusionFilter {
                    filter_type: t.and_then(Result::ok),
                    filter: v.and_then(Result::ok),
                }),
            }
        }
        self.repository.image_tag_mutability_exclusion_filters = Some(list);
    }
}

/// A string value, or why it is not known.
fn known_string(node: &Node) -> Known<String> {
    match &node.kind {
        NodeKind::String(s) => Ok(s.clone()),
        NodeKind::Unresolved(why) => Err(why.clone()),
        NodeKind::ResourceRef { id, .. } => Err(format!(
            "it comes from the resource `{id}`, known only at deploy time"
        )),
        _ => Err(format!("it is {}, not a string", node.type_name())),
    }
}

fn bool_value(node: &Node) -> Option<bool> {
    match &node.kind {
        NodeKind::Bool(b) => Some(*b),
        NodeKind::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        NodeKind::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A policy document: a JSON string (as CloudFormation and Terraform take it), or an object
/// written inline (tolerated: kept as its JSON text).
fn policy_text(node: &Node, resource: &str) -> Known<PolicyText> {
    let text = match &node.kind {
        NodeKind::String(s) => s.clone(),
        NodeKind::Object(_) if !contains_unknown(node) => node.to_json().to_string(),
        NodeKind::Unresolved(why) => return Err(why.clone()),
        _ if contains_unknown(node) => {
            return Err("the policy contains values known only at deploy time".into());
        }
        _ => {
            return Err(format!(
                "the policy is {}, not a JSON document",
                node.type_name()
            ));
        }
    };
    Ok(PolicyText {
        text,
        resource: resource.to_string(),
        span: node.span,
    })
}

fn contains_unknown(node: &Node) -> bool {
    let mut found = false;
    node.walk(|n| found |= n.is_unknown());
    found
}

/// ECR's pull-through cache prefix match: `prefix/…`.
fn prefix_covers(prefix: &str, name: &str) -> bool {
    name.len() > prefix.len()
        && name.starts_with(prefix)
        && name.as_bytes().get(prefix.len()) == Some(&b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::recognize::{Recognized, ResolveSettings, read_document};
    use crate::source::SourceFile;

    fn doc(name: &str, text: &str, account: Option<&str>) -> (Document, Settings) {
        let file = SourceFile::new(name.into(), name.into(), text.into());
        let settings = Settings {
            region: Some("us-east-1".into()),
            account: account.map(str::to_string),
            ..Settings::default()
        };
        let resolve = ResolveSettings {
            account: settings.account.clone(),
            region: settings.region.clone(),
        };
        match read_document(&file, &resolve) {
            Recognized::Document(d) => (d, settings),
            _ => panic!("not a document"),
        }
    }

    const CFN: &str = r#"
Parameters:
  Name:
    Type: String
Resources:
  Web:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: web
      ImageTagMutability: IMMUTABLE_WITH_EXCLUSION
      ImageTagMutabilityExclusionFilters:
        - ImageTagMutabilityExclusionFilterType: WILDCARD
          ImageTagMutabilityExclusionFilterValue: "latest*"
      LifecyclePolicy:
        LifecyclePolicyText: '{"rules":[]}'
      ImageScanningConfiguration:
        ScanOnPush: true
  Api:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: api
  Generated:
    Type: AWS::ECR::Repository
  Cache:
    Type: AWS::ECR::PullThroughCacheRule
    Properties:
      EcrRepositoryPrefix: docker-hub
      UpstreamRegistryUrl: registry-1.docker.io
"#;

    #[test]
    fn cloudformation_repositories_with_defaults() {
        let (d, s) = doc("t.yaml", CFN, Some("111122223333"));
        let ecr = TemplateEcr::from_document(&d, &s);
        assert_eq!(ecr.repositories.len(), 2, "the generated name is ignored");
        let web = ecr
            .repository("111122223333", "us-east-1", "web")
            .found()
            .unwrap();
        assert_eq!(
            web.repository.image_tag_mutability.as_deref(),
            Some("IMMUTABLE_WITH_EXCLUSION")
        );
        let filters = web
            .repository
            .image_tag_mutability_exclusion_filters
            .as_ref()
            .unwrap();
        assert_eq!(filters[0].filter.as_deref(), Some("latest*"));
        assert_eq!(
            web.lifecycle_policy
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .text,
            r#"{"rules":[]}"#
        );
        assert_eq!(web.scan_on_push, Some(true));
        let api = ecr
            .repository("111122223333", "us-east-1", "api")
            .found()
            .unwrap();
        assert_eq!(
            api.repository.image_tag_mutability.as_deref(),
            Some("MUTABLE")
        );
        assert!(api.lifecycle_policy.is_none());
        assert!(
            ecr.repository("111122223333", "us-east-1", "other")
                .is_absent()
        );
        assert!(
            ecr.repository("999988887777", "us-east-1", "web")
                .is_absent()
        );
        assert!(
            ecr.repository("111122223333", "eu-west-1", "web")
                .is_absent()
        );
        assert!(
            ecr.pull_through_cache_rule("111122223333", "us-east-1", "docker-hub/library/nginx")
                .is_found()
        );
        assert!(
            ecr.pull_through_cache_rule("111122223333", "us-east-1", "web")
                .is_absent()
        );
    }

    #[test]
    fn unknown_account_or_name_makes_lookups_unknown() {
        let (d, s) = doc("t.yaml", CFN, None);
        let ecr = TemplateEcr::from_document(&d, &s);
        match ecr.repository("111122223333", "us-east-1", "web") {
            Lookup::Unknown(why) => assert!(why.contains("--account"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Other names are absent: no repository of the template can have them.
        assert!(
            ecr.repository("111122223333", "us-east-1", "other")
                .is_absent()
        );

        let text = CFN.replace("RepositoryName: api", "RepositoryName: !Ref Name");
        let (d, s) = doc("t.yaml", &text, Some("111122223333"));
        let ecr = TemplateEcr::from_document(&d, &s);
        match ecr.repository("111122223333", "us-east-1", "other") {
            Lookup::Unknown(why) => assert!(why.contains("Api"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(
            ecr.repository("111122223333", "us-east-1", "web")
                .is_found()
        );
    }

    #[test]
    fn unresolved_mutability_is_unknown() {
        let text = CFN.replace(
            "ImageTagMutability: IMMUTABLE_WITH_EXCLUSION",
            "ImageTagMutability: !Ref Name",
        );
        let (d, s) = doc("t.yaml", &text, Some("111122223333"));
        let ecr = TemplateEcr::from_document(&d, &s);
        let web = ecr
            .repository("111122223333", "us-east-1", "web")
            .found()
            .unwrap();
        assert!(web.mutability_unknown.is_some());
        assert_eq!(web.repository.image_tag_mutability, None);
    }

    #[test]
    fn terraform_repositories_and_separate_policies() {
        let plan = r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
          {"address": "aws_ecr_repository.web", "mode": "managed", "type": "aws_ecr_repository",
           "values": {"name": "web", "image_tag_mutability": "MUTABLE_WITH_EXCLUSION",
                      "image_tag_mutability_exclusion_filter": [{"filter": "release-*", "filter_type": "WILDCARD"}],
                      "image_scanning_configuration": [{"scan_on_push": false}]}},
          {"address": "aws_ecr_repository.api", "mode": "managed", "type": "aws_ecr_repository",
           "values": {"name": "api", "image_tag_mutability": "IMMUTABLE", "region": "eu-west-1"}},
          {"address": "aws_ecr_lifecycle_policy.web", "mode": "managed", "type": "aws_ecr_lifecycle_policy",
           "values": {"repository": "web", "policy": "{\"rules\":[]}"}},
          {"address": "aws_ecr_repository_policy.api", "mode": "managed", "type": "aws_ecr_repository_policy",
           "values": {"policy": "{}"}},
          {"address": "aws_ecr_pull_through_cache_rule.q", "mode": "managed", "type": "aws_ecr_pull_through_cache_rule",
           "values": {"ecr_repository_prefix": "quay", "upstream_registry_url": "quay.io"}}
        ]}},
        "resource_changes": [{"address": "aws_ecr_repository_policy.api", "change": {"after_unknown": {"repository": true}}}],
        "configuration": {"root_module": {"resources": [{"address": "aws_ecr_repository_policy.api",
          "expressions": {"repository": {"references": ["aws_ecr_repository.api.name", "aws_ecr_repository.api"]}}}]}}
        }"#;
        let (d, s) = doc("plan.json", plan, Some("111122223333"));
        let ecr = TemplateEcr::from_document(&d, &s);
        let web = ecr
            .repository("111122223333", "us-east-1", "web")
            .found()
            .unwrap();
        assert_eq!(
            web.lifecycle_policy
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .text,
            r#"{"rules":[]}"#
        );
        assert_eq!(web.scan_on_push, Some(false));
        assert_eq!(
            web.repository
                .image_tag_mutability_exclusion_filters
                .as_ref()
                .unwrap()[0]
                .filter
                .as_deref(),
            Some("release-*")
        );
        // The resource's own region wins over the deployment region.
        assert!(
            ecr.repository("111122223333", "us-east-1", "api")
                .is_absent()
        );
        let api = ecr
            .repository("111122223333", "eu-west-1", "api")
            .found()
            .unwrap();
        assert!(api.repository_policy.is_some(), "linked by reference");
        assert!(
            ecr.pull_through_cache_rule("111122223333", "us-east-1", "quay/org/x")
                .is_found()
        );
    }
}
