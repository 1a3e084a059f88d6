//! What the task references that the template or plan being checked creates: Secrets Manager
//! secrets, SSM parameters, KMS keys and aliases, log groups and S3 buckets. Read from
//! CloudFormation `AWS::SecretsManager::Secret`, `AWS::SSM::Parameter`, `AWS::KMS::Key`,
//! `AWS::KMS::Alias`, `AWS::Logs::LogGroup`, `AWS::S3::Bucket` / `AWS::S3::BucketPolicy`, and
//! from Terraform (plan or `.tf` source) `aws_secretsmanager_secret`, `aws_ssm_parameter`, `aws_kms_key`,
//! `aws_kms_alias`, `aws_cloudwatch_log_group`, `aws_s3_bucket` / `aws_s3_bucket_policy`.
//!
//! A resource the template defines exists after the deploy: a reference to it (by name, or
//! with `Ref` / a Terraform reference) is not "not found". A resource whose name is known only
//! at deploy time could be the one a reference names, so it makes such lookups unknown.
//!
//! What the permission rules need of these resources — which key encrypts a secret, a key's
//! policy and grants, a bucket's policy — is read with the template's IAM index (the policies
//! need its references resolved): [`super::kms`] and [`super::s3`].

use crate::model::arn::Arn;
use crate::model::{Document, Format, Resource};
use crate::parse::{Node, NodeKind};

/// One kind of resource: the names the template gives, the resources whose name is not known
/// before deploy, and their logical IDs / addresses.
#[derive(Debug, Default)]
pub struct Defined {
    pub names: Vec<String>,
    /// (resource, why its name is not known)
    pub unnamed: Vec<(String, String)>,
    pub resources: Vec<String>,
}

/// Whether the template creates the thing a reference names.
#[derive(Debug, PartialEq, Eq)]
pub enum Defines {
    Yes,
    No,
    /// A resource of that kind has a name known only at deploy time.
    Maybe(String),
}

impl Defined {
    fn add(&mut self, r: &Resource, name: Option<&Node>) {
        self.resources.push(r.id.clone());
        match name.map(|n| &n.kind) {
            Some(NodeKind::String(s)) => self.names.push(s.clone()),
            // No name: CloudFormation / Terraform generate one that no reference written
            // in a file can know, except through a reference to the resource itself.
            None => {}
            Some(NodeKind::Unresolved(why)) => self.unnamed.push((r.id.clone(), why.clone())),
            Some(_) => self
                .unnamed
                .push((r.id.clone(), "its name is known only at deploy time".into())),
        }
    }

    pub fn defines(&self, name: &str, matches: impl Fn(&str, &str) -> bool) -> Defines {
        if self.names.iter().any(|n| matches(n, name)) {
            return Defines::Yes;
        }
        match self.unnamed.first() {
            Some((id, why)) => Defines::Maybe(format!(
                "the resource `{id}` of this template may be it: {why}"
            )),
            None => Defines::No,
        }
    }

    pub fn has_resource(&self, id: &str) -> bool {
        self.resources.iter().any(|r| r == id)
    }
}

#[derive(Debug, Default)]
pub struct TemplateRefs {
    pub secrets: Defined,
    pub parameters: Defined,
    pub keys: Defined,
    pub aliases: Defined,
    pub log_groups: Defined,
    pub buckets: Defined,
    /// Bucket policies the template attaches: (bucket reference as written, resource).
    pub bucket_policies: Vec<String>,
}

impl TemplateRefs {
    pub fn from_document(doc: &Document) -> TemplateRefs {
        let mut out = TemplateRefs::default();
        let cfn = doc.format == Format::CloudFormation;
        // A plan and `.tf` source both give resources with Terraform's argument names.
        let tf = doc.format.is_terraform();
        for r in &doc.resources {
            // A CloudFormation resource whose condition is false is not created.
            if matches!(r.condition, Some((_, Some(false)))) {
                continue;
            }
            let p = &r.properties;
            match r.kind.as_str() {
                "AWS::SecretsManager::Secret" if cfn => out.secrets.add(r, p.get("Name")),
                "aws_secretsmanager_secret" if tf => out.secrets.add(r, p.get("name")),
                "AWS::SSM::Parameter" if cfn => out.parameters.add(r, p.get("Name")),
                "aws_ssm_parameter" if tf => out.parameters.add(r, p.get("name")),
                "AWS::KMS::Key" if cfn => out.keys.add(r, None),
                "aws_kms_key" if tf => out.keys.add(r, None),
                "AWS::KMS::Alias" if cfn => out.aliases.add(r, p.get("AliasName")),
                "aws_kms_alias" if tf => out.aliases.add(r, p.get("name")),
                "AWS::Logs::LogGroup" if cfn => out.log_groups.add(r, p.get("LogGroupName")),
                "aws_cloudwatch_log_group" if tf => out.log_groups.add(r, p.get("name")),
                "AWS::S3::Bucket" if cfn => out.buckets.add(r, p.get("BucketName")),
                "aws_s3_bucket" if tf => out.buckets.add(r, p.get("bucket")),
                "AWS::S3::BucketPolicy" if cfn => out.bucket_policies.push(r.id.clone()),
                "aws_s3_bucket_policy" if tf => out.bucket_policies.push(r.id.clone()),
                _ => {}
            }
        }
        out
    }

    /// A secret by name, partial ARN or full ARN (the template's secrets get a random suffix
    /// at creation, so a full ARN written in a file cannot name one of them).
    pub fn secret(&self, id: &str) -> Defines {
        let name = match id.strip_prefix("arn:") {
            Some(_) => Arn::parse(id)
                .and_then(|a| a.resource_of("secret"))
                .unwrap_or(""),
            None => id,
        };
        self.secrets.defines(name, |a, b| a == b)
    }

    pub fn parameter(&self, name: &str) -> Defines {
        self.parameters.defines(name, |a, b| {
            a.trim_start_matches('/') == b.trim_start_matches('/')
        })
    }

    pub fn log_group(&self, name: &str) -> Defines {
        self.log_groups.defines(name, |a, b| a == b)
    }

    pub fn bucket(&self, name: &str) -> Defines {
        self.buckets.defines(name, |a, b| a == b)
    }

    /// Whether `id` (a logical ID or plan address) is a resource of a kind a task references.
    pub fn is_referenced_kind(&self, id: &str) -> bool {
        [
            &self.secrets,
            &self.parameters,
            &self.log_groups,
            &self.buckets,
        ]
        .iter()
        .any(|d| d.has_resource(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::recognize::{Recognized, ResolveSettings, read_document};
    use crate::source::SourceFile;

    fn refs(name: &str, text: &str) -> TemplateRefs {
        let file = SourceFile::new(name.into(), name.into(), text.into());
        let resolve = ResolveSettings {
            account: Some("111122223333".into()),
            region: Some("us-east-1".into()),
        };
        match read_document(&file, &resolve) {
            Recognized::Document(d) => TemplateRefs::from_document(&d),
            _ => panic!("not a document"),
        }
    }

    #[test]
    fn cloudformation_resources_by_name() {
        let t = refs(
            "t.yaml",
            r#"
Resources:
  Db:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: prod/db}
  Param:
    Type: AWS::SSM::Parameter
    Properties: {Name: /app/url, Type: String, Value: x}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: /ecs/web}
  Files:
    Type: AWS::S3::Bucket
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions: [{Name: web, Image: nginx}]
"#,
        );
        assert_eq!(t.secret("prod/db"), Defines::Yes);
        assert_eq!(
            t.secret("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db"),
            Defines::Yes
        );
        assert_eq!(t.secret("other"), Defines::No);
        assert_eq!(t.parameter("app/url"), Defines::Yes);
        assert_eq!(t.log_group("/ecs/web"), Defines::Yes);
        assert_eq!(t.log_group("/ecs/api"), Defines::No);
        // A bucket with a generated name: only a reference to it can name it.
        assert_eq!(t.bucket("files"), Defines::No);
        assert!(t.is_referenced_kind("Files"));
    }
}
