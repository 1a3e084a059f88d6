//! What the inputs reference, read with the normal model: the collector fetches exactly this
//! and nothing else. Each reference is listed once however many containers or task
//! definitions repeat it.
//!
//! Secrets, SSM parameters and log groups are not listed: the state format has no section for
//! them.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Document;
use crate::model::image_ref::{self, Registry};
use crate::model::placeholder::placeholder;
use crate::parse::{Node, NodeKind};
use crate::settings::NetworkFlags;

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
    ) -> References {
        let mut refs = References::default();
        for doc in documents {
            refs.add_document(doc);
        }
        if let Some(root) = service_file {
            refs.add_service_file(root);
        }
        refs.subnets.extend(flags.subnets.iter().cloned());
        refs.security_groups
            .extend(flags.security_groups.iter().cloned());
        refs
    }

    fn add_document(&mut self, doc: &Document) {
        for task in &doc.task_definitions {
            for key in ["executionRoleArn", "taskRoleArn"] {
                if let Some(arn) = task.get(key).and_then(literal) {
                    self.roles.insert(arn.to_string());
                }
            }
            if let Some(family) = task.get_str("family") {
                self.families.insert(family.to_string());
            }
            for c in task.containers() {
                if let Some(image) = c.get("image").and_then(literal) {
                    self.add_image(image);
                }
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
    let mut parts = reference.splitn(6, ':');
    let (_arn, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
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
        let refs = References::from_inputs([&a, &b], Some(&service), &flags);
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
    fn template_services_give_subnets() {
        let doc = document(
            r#"{"Resources": {
              "Td": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Family": "t",
                "ContainerDefinitions": [{"Name": "a", "Image": "nginx"}]}},
              "Svc": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Td"},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": ["subnet-a", {"Ref": "Missing"}], "SecurityGroups": ["sg-a"]}}}}
            }}"#,
        );
        let refs = References::from_inputs([&doc], None, &NetworkFlags::default());
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
