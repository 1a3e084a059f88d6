//! What the inputs reference, read with the normal model: the collector fetches exactly this
//! and nothing else. Each reference is listed once however many containers or task
//! definitions repeat it.
//!
//! Secrets, SSM parameters, log groups and environment files are read with the parsers the REF
//! rules use (`rules::refs`), so that the collector reads exactly what the rules will look up:
//! a secret ARN without its `:json-key:stage:id` suffix, a parameter name without its
//! `:version`, the log group of `awslogs-group` in `awslogs-region`, the bucket and key of an
//! `environmentFiles` ARN. Only literal values count: a placeholder or a reference to a
//! resource of the template is not known before deploy.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::arn::Arn;
use crate::model::image_ref::{self, Registry};
use crate::model::placeholder::placeholder;
use crate::model::resolve::partition_of_region;
use crate::model::taskdef::{ContainerView, field};
use crate::model::{Document, TaskDefinition};
use crate::parse::{Node, NodeKind};
use crate::rules::refs as rule_refs;
use crate::rules::refs::Named;
use crate::settings::NetworkFlags;
use crate::state::iam::arn_account;

/// The references of a set of inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct References {
    /// Role ARNs (or bare role names) of `executionRoleArn` / `taskRoleArn`.
    pub roles: BTreeSet<String>,
    /// Task definition families (for `--cluster`: the services that run them).
    pub families: BTreeSet<String>,
    /// (registry account, region) → repository name → referenced tags and digests.
    pub registries: BTreeMap<(String, String), BTreeMap<String, ImageIds>>,
    pub subnets: BTreeSet<String>,
    pub security_groups: BTreeSet<String>,
    /// (account, region) → Secrets Manager secrets: ARNs without the `:json-key:…` suffix, or
    /// names.
    pub secrets: BTreeMap<(String, String), BTreeSet<String>>,
    /// (account, region) → SSM parameter names (as SSM spells them: a path starts with `/`).
    pub parameters: BTreeMap<(String, String), BTreeSet<String>>,
    /// (account, region) → awslogs log group names.
    pub log_groups: BTreeMap<(String, String), BTreeSet<String>>,
    /// Bucket → keys of `environmentFiles` objects.
    pub objects: BTreeMap<String, BTreeSet<String>>,
}

/// Where the task definitions deploy, for references that name no account or region (a
/// parameter or secret by name, a log group without `awslogs-region`).
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// `--account` (or the config's): wins over the account of the roles' ARNs.
    pub account: Option<String>,
    /// The account of the credentials: the last resort.
    pub caller: Option<String>,
    pub region: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageIds {
    pub tags: BTreeSet<String>,
    pub digests: BTreeSet<String>,
}

impl References {
    /// Reads the task definitions, their template's services, the `--service` file and the
    /// network flags.
    pub fn from_inputs<'a>(
        documents: impl IntoIterator<Item = &'a Document>,
        service_file: Option<&Node>,
        flags: &NetworkFlags,
        deployment: &Deployment,
    ) -> References {
        let mut refs = References::default();
        for doc in documents {
            refs.add_document(doc, deployment);
        }
        if let Some(root) = service_file {
            refs.add_service_file(root);
        }
        refs.subnets.extend(flags.subnets.iter().cloned());
        refs.security_groups
            .extend(flags.security_groups.iter().cloned());
        refs
    }

    fn add_document(&mut self, doc: &Document, deployment: &Deployment) {
        for task in &doc.task_definitions {
            for key in ["executionRoleArn", "taskRoleArn"] {
                if let Some(arn) = task.get(key).and_then(literal) {
                    self.roles.insert(arn.to_string());
                }
            }
            if let Some(family) = task.get_str("family") {
                self.families.insert(family.to_string());
            }
            let at = task_deployment(task, deployment);
            for c in task.containers() {
                if let Some(image) = c.get("image").and_then(literal) {
                    self.add_image(image);
                }
                self.add_container_references(&c, &at);
            }
        }
        for r in &doc.resources {
            match r.kind.as_str() {
                "AWS::ECS::Service" => {
                    let vpc = r
                        .properties
                        .get("NetworkConfiguration")
                        .and_then(|n| n.get("AwsvpcConfiguration"));
                    if let Some(vpc) = vpc {
                        self.add_ids(vpc.get("Subnets"), vpc.get("SecurityGroups"));
                    }
                }
                "aws_ecs_service" => {
                    // Plan values: `network_configuration` is a list of one block.
                    if let Some(n) = r.properties.get("network_configuration") {
                        let blocks: Vec<&Node> = if n.is_array() {
                            n.items().iter().collect()
                        } else {
                            vec![n]
                        };
                        for b in blocks {
                            self.add_ids(b.get("subnets"), b.get("security_groups"));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// A `--service` file: create-service input, its output (`service`), or describe-services
    /// output (`services[]`), with the deployments' network configurations too.
    fn add_service_file(&mut self, root: &Node) {
        let mut services: Vec<&Node> = vec![root];
        services.extend(root.get("service"));
        if let Some(list) = root.get("services") {
            services.extend(list.items());
        }
        for s in services {
            let mut configs: Vec<&Node> = s.get("networkConfiguration").into_iter().collect();
            if let Some(deployments) = s.get("deployments") {
                configs.extend(
                    deployments
                        .items()
                        .iter()
                        .filter_map(|d| d.get("networkConfiguration")),
                );
            }
            for c in configs {
                if let Some(vpc) = c.get("awsvpcConfiguration") {
                    self.add_ids(vpc.get("subnets"), vpc.get("securityGroups"));
                }
            }
        }
    }

    fn add_ids(&mut self, subnets: Option<&Node>, groups: Option<&Node>) {
        for id in subnets.map(Node::items).unwrap_or(&[]) {
            if let Some(s) = literal(id).filter(|s| s.starts_with("subnet-")) {
                self.subnets.insert(s.to_string());
            }
        }
        for id in groups.map(Node::items).unwrap_or(&[]) {
            if let Some(s) = literal(id).filter(|s| s.starts_with("sg-")) {
                self.security_groups.insert(s.to_string());
            }
        }
    }

    /// A private ECR image: its registry, region, repository and tag or digest. An image
    /// without tag or digest pulls `latest`.
    fn add_image(&mut self, text: &str) {
        let Ok(image) = image_ref::parse(text) else {
            return;
        };
        let Registry::Ecr {
            account, region, ..
        } = &image.registry
        else {
            return;
        };
        let ids = self
            .registries
            .entry((account.clone(), region.clone()))
            .or_default()
            .entry(image.path.clone())
            .or_default();
        match (&image.tag, &image.digest) {
            (_, Some(digest)) => {
                ids.digests.insert(digest.clone());
                // The tag of `repo:tag@digest` is looked up too (ECR009 compares them).
                if let Some(tag) = &image.tag {
                    ids.tags.insert(tag.clone());
                }
            }
            (Some(tag), None) => {
                ids.tags.insert(tag.clone());
            }
            (None, None) => {
                ids.tags.insert("latest".to_string());
            }
        }
    }

    /// The secrets, parameters, log group and environment files of a container, as the REF
    /// rules read them (`rules::refs`). A reference whose account or region is not known is
    /// left out: the rules skip it too.
    fn add_container_references(&mut self, c: &ContainerView, at: &rule_refs::References) {
        let mut value_froms: Vec<(&Node, bool)> = Vec::new();
        for item in c.get("secrets").map(Node::items).unwrap_or(&[]) {
            value_froms.extend(field(item, c.style, "valueFrom").map(|n| (n, false)));
        }
        let options = c
            .get("logConfiguration")
            .and_then(|lc| field(lc, c.style, "secretOptions"));
        for item in options.map(Node::items).unwrap_or(&[]) {
            value_froms.extend(field(item, c.style, "valueFrom").map(|n| (n, false)));
        }
        if let Some(node) = c
            .get("repositoryCredentials")
            .and_then(|rc| field(rc, c.style, "credentialsParameter"))
        {
            value_froms.push((node, true));
        }
        for (node, credentials) in value_froms {
            let Some(text) = literal(node) else { continue };
            let named = if credentials {
                rule_refs::credentials_parameter(text, at)
            } else {
                rule_refs::value_from(text, at)
            };
            match named {
                Ok(Named::Secret(s)) => {
                    self.secrets
                        .entry((s.account, s.region))
                        .or_default()
                        .insert(s.id);
                }
                Ok(Named::Parameter(p)) => {
                    self.parameters
                        .entry((p.account, p.region))
                        .or_default()
                        .insert(p.name);
                }
                Err(_) => {}
            }
        }
        for item in c.get("environmentFiles").map(Node::items).unwrap_or(&[]) {
            let kind = field(item, c.style, "type").and_then(Node::as_str);
            if !matches!(kind, Some("s3") | None) {
                continue;
            }
            let Some(text) = field(item, c.style, "value").and_then(literal) else {
                continue;
            };
            if let Ok((bucket, key)) = rule_refs::s3_object(text) {
                self.objects.entry(bucket).or_default().insert(key);
            }
        }
        if c.log_driver().and_then(Node::as_str) != Some("awslogs") {
            return;
        }
        let Some(group) = c
            .log_option("awslogs-group")
            .and_then(literal)
            .filter(|g| rule_refs::log_group_name(g).is_ok())
        else {
            return;
        };
        let region = match c.log_option("awslogs-region") {
            Some(n) => literal(n).map(str::to_string),
            None => at.region.clone(),
        };
        if let (Some(account), Some(region)) = (&at.account, region) {
            self.log_groups
                .entry((account.clone(), region))
                .or_default()
                .insert(group.to_string());
        }
    }

    /// Distinct secrets, parameters, log groups and environment files referenced.
    pub fn reference_count(&self) -> usize {
        let sum = |m: &BTreeMap<(String, String), BTreeSet<String>>| -> usize {
            m.values().map(BTreeSet::len).sum()
        };
        sum(&self.secrets)
            + sum(&self.parameters)
            + sum(&self.log_groups)
            + self.objects.values().map(BTreeSet::len).sum::<usize>()
    }

    /// The services found with `--cluster`: their subnets and security groups.
    pub fn add_awsvpc(&mut self, subnets: &[String], groups: &[String]) {
        self.subnets.extend(subnets.iter().cloned());
        self.security_groups.extend(groups.iter().cloned());
    }

    /// Distinct repositories referenced, over every registry.
    pub fn repository_count(&self) -> usize {
        self.registries.values().map(BTreeMap::len).sum()
    }
}

/// The account and region a task definition's references default to, as the REF rules take
/// them (`rules::refs::deployment_account`): `--account`, else the account of its role ARNs,
/// else the caller's.
fn task_deployment(task: &TaskDefinition, d: &Deployment) -> rule_refs::References {
    let from_roles = ["executionRoleArn", "taskRoleArn"]
        .into_iter()
        .filter_map(|k| task.get_str(k))
        .find_map(|s| arn_account(s).map(str::to_string))
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
    let account = d
        .account
        .clone()
        .or(from_roles)
        .or_else(|| d.caller.clone());
    rule_refs::References {
        account,
        region: d.region.clone(),
        partition: partition_of_region(d.region.as_deref().unwrap_or("us-east-1")).to_string(),
        secrets: Vec::new(),
        files: Vec::new(),
        logs: Vec::new(),
    }
}

/// A literal string value, not a template placeholder (`${TAG}`, `{{ … }}`, `<IMAGE>`).
fn literal(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::String(s) if placeholder(s).is_none() && !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The account and role name of a role ARN `arn:P:iam::ACCOUNT:role/PATH/NAME`; a bare name
/// has no account (it is the deployment account's).
pub fn role_account_and_name(reference: &str) -> Option<(Option<&str>, &str)> {
    if !reference.starts_with("arn:") {
        return (!reference.contains(':') && !reference.contains('/')).then_some((None, reference));
    }
    let arn = Arn::parse(reference)?;
    let (service, account, resource) = (arn.service, arn.account, arn.resource);
    if service != "iam" || account.is_empty() {
        return None;
    }
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    Some((Some(account), name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::recognize::{self, Recognized, ResolveSettings};
    use crate::source::SourceFile;

    fn document(text: &str) -> Document {
        let file = SourceFile::new("t.json".into(), "t.json".into(), text.to_string());
        match recognize::read_document(&file, &ResolveSettings::default()) {
            Recognized::Document(d) => d,
            _ => panic!("not a document"),
        }
    }

    #[test]
    fn lists_each_reference_once() {
        let a = document(
            r#"{"family": "web", "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
            "taskRoleArn": "arn:aws:iam::111122223333:role/app/web-task",
            "containerDefinitions": [
              {"name": "a", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0"},
              {"name": "b", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0"},
              {"name": "c", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web"},
              {"name": "d", "image": "222233334444.dkr.ecr.eu-west-1.amazonaws.com/base:2@sha256:0123456789012345678901234567890123456789012345678901234567890123"},
              {"name": "e", "image": "nginx:1.25"},
              {"name": "f", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:${TAG}"}
            ]}"#,
        );
        let b = document(
            r#"{"family": "worker", "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
            "containerDefinitions": [{"name": "w", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0"}]}"#,
        );
        let flags = NetworkFlags {
            subnets: vec!["subnet-1".into()],
            security_groups: vec!["sg-1".into()],
            ..NetworkFlags::default()
        };
        let service = crate::parse::json::parse(
            r#"{"services": [{"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-2", "subnet-1"], "securityGroups": ["sg-2"]}},
               "deployments": [{"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-3"]}}}]}]}"#,
        )
        .unwrap();
        let refs =
            References::from_inputs([&a, &b], Some(&service), &flags, &Deployment::default());
        assert_eq!(refs.roles.len(), 2);
        assert_eq!(
            refs.families.iter().collect::<Vec<_>>(),
            vec!["web", "worker"]
        );
        let own = &refs.registries[&("111122223333".to_string(), "us-east-1".to_string())];
        assert_eq!(own.len(), 1);
        assert_eq!(
            own["web"].tags.iter().collect::<Vec<_>>(),
            vec!["1.0", "latest"]
        );
        let other = &refs.registries[&("222233334444".to_string(), "eu-west-1".to_string())];
        assert_eq!(other["base"].digests.len(), 1);
        assert_eq!(other["base"].tags.iter().collect::<Vec<_>>(), vec!["2"]);
        assert_eq!(refs.repository_count(), 2);
        assert_eq!(
            refs.subnets.iter().collect::<Vec<_>>(),
            vec!["subnet-1", "subnet-2", "subnet-3"]
        );
        assert_eq!(
            refs.security_groups.iter().collect::<Vec<_>>(),
            vec!["sg-1", "sg-2"]
        );
    }

    #[test]
    fn secrets_parameters_log_groups_and_files_once_each() {
        let doc = document(
            r#"{"family": "web", "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
            "containerDefinitions": [
              {"name": "a", "image": "nginx",
               "secrets": [
                 {"name": "A", "valueFrom": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf:password::"},
                 {"name": "B", "valueFrom": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf:user:AWSPREVIOUS:"},
                 {"name": "C", "valueFrom": "/app/db:3"},
                 {"name": "D", "valueFrom": "arn:aws:ssm:us-east-1:111122223333:parameter/app/db"},
                 {"name": "E", "valueFrom": "/aws/reference/secretsmanager/api"},
                 {"name": "F", "valueFrom": "${SECRET}"},
                 {"name": "G", "valueFrom": "arn:aws:s3:::not/a-secret"}
               ],
               "repositoryCredentials": {"credentialsParameter": "registry"},
               "environmentFiles": [
                 {"type": "s3", "value": "arn:aws:s3:::cfg/web.env"},
                 {"type": "s3", "value": "arn:aws:s3:::cfg/web.env"},
                 {"type": "s3", "value": "s3://cfg/other.env"}
               ],
               "logConfiguration": {"logDriver": "awslogs",
                 "options": {"awslogs-group": "/ecs/web", "awslogs-region": "eu-west-1"},
                 "secretOptions": [{"name": "X", "valueFrom": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"}]}},
              {"name": "b", "image": "nginx",
               "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/b"}}},
              {"name": "c", "image": "nginx",
               "logConfiguration": {"logDriver": "json-file", "options": {"awslogs-group": "/ecs/c"}}}
            ]}"#,
        );
        // The role's account wins over the caller's, as in the REF rules.
        let at = Deployment {
            account: None,
            caller: Some("999999999999".into()),
            region: Some("us-east-1".into()),
        };
        let refs = References::from_inputs([&doc], None, &NetworkFlags::default(), &at);
        let key = |a: &str, r: &str| (a.to_string(), r.to_string());
        let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>();
        assert_eq!(refs.secrets.len(), 2);
        assert_eq!(
            list(&refs.secrets[&key("111122223333", "eu-west-1")]),
            vec!["arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"]
        );
        assert_eq!(
            list(&refs.secrets[&key("111122223333", "us-east-1")]),
            vec!["api", "registry"]
        );
        assert_eq!(
            list(&refs.parameters[&key("111122223333", "us-east-1")]),
            vec!["/app/db"]
        );
        assert_eq!(
            list(&refs.log_groups[&key("111122223333", "eu-west-1")]),
            vec!["/ecs/web"]
        );
        assert_eq!(
            list(&refs.log_groups[&key("111122223333", "us-east-1")]),
            vec!["/ecs/b"]
        );
        assert_eq!(refs.objects.len(), 1);
        assert_eq!(list(&refs.objects["cfg"]), vec!["web.env"]);
        assert_eq!(refs.reference_count(), 7);

        // `--account` wins over the roles' account; without any account, names are skipped.
        let at = Deployment {
            account: Some("444455556666".into()),
            ..at
        };
        let refs = References::from_inputs([&doc], None, &NetworkFlags::default(), &at);
        assert!(
            refs.parameters
                .contains_key(&key("444455556666", "us-east-1"))
        );
        let none = Deployment::default();
        let bare = document(
            r#"{"family": "t", "containerDefinitions": [{"name": "a", "image": "nginx",
               "secrets": [{"name": "C", "valueFrom": "/app/db"}]}]}"#,
        );
        let refs = References::from_inputs([&bare], None, &NetworkFlags::default(), &none);
        assert!(refs.parameters.is_empty());
    }

    #[test]
    fn template_services_give_subnets() {
        let doc = document(
            r#"{"Resources": {
              "Td": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Family": "t",
                "ContainerDefinitions": [{"Name": "a", "Image": "nginx"}]}},
              "Svc": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Td"},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": ["subnet-a", {"Ref": "Missing"}], "SecurityGroups": ["sg-a"]}}}}
            }}"#,
        );
        let refs = References::from_inputs(
            [&doc],
            None,
            &NetworkFlags::default(),
            &Deployment::default(),
        );
        assert_eq!(refs.subnets.iter().collect::<Vec<_>>(), vec!["subnet-a"]);
        assert_eq!(
            refs.security_groups.iter().collect::<Vec<_>>(),
            vec!["sg-a"]
        );
    }

    #[test]
    fn role_names_from_arns() {
        assert_eq!(
            role_account_and_name("arn:aws:iam::111122223333:role/exec"),
            Some((Some("111122223333"), "exec"))
        );
        assert_eq!(
            role_account_and_name("arn:aws-cn:iam::111122223333:role/a/b/exec"),
            Some((Some("111122223333"), "exec"))
        );
        assert_eq!(role_account_and_name("exec"), Some((None, "exec")));
        assert_eq!(
            role_account_and_name("arn:aws:iam::111122223333:user/u"),
            None
        );
        assert_eq!(
            role_account_and_name("arn:aws:iam::111122223333:role/"),
            None
        );
        assert_eq!(role_account_and_name("arn:aws:s3:::bucket"), None);
    }
}
