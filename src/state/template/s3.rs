//! The bucket policies the template or plan attaches: CloudFormation `AWS::S3::BucketPolicy`
//! (`Bucket`, `PolicyDocument`), Terraform `aws_s3_bucket_policy` (`bucket`, `policy`). A bucket
//! the template creates is in the deployment account and has exactly the policy the template
//! gives it, or none: it does not exist before the deploy, so no other policy can have been
//! put on it. A policy the template attaches to a bucket it does not create replaces that
//! bucket's policy at deploy, so it wins over the state's too.

use std::collections::HashMap;

use crate::model::{Document, Format};
use crate::parse::{Node, NodeKind};
use crate::state::iam::LoadedPolicy;

/// The policy of a bucket the template creates.
pub enum BucketPolicy<'a> {
    /// The template attaches none.
    None,
    Policy(&'a LoadedPolicy),
    /// Why it is not known.
    Unknown(String),
}

#[derive(Debug, Default)]
pub struct TemplateBuckets {
    /// Bucket name → its policies (more than one cannot be applied: the last replaces the
    /// others, in an order the template does not fix).
    policies: HashMap<String, Vec<LoadedPolicy>>,
    /// Bucket policies whose bucket is not known before deploy: (resource, why).
    floating: Vec<(String, String)>,
}

impl TemplateBuckets {
    pub fn build(doc: &Document, policy: &dyn Fn(&str, &Node) -> LoadedPolicy) -> TemplateBuckets {
        let mut out = TemplateBuckets::default();
        let (cfn, tf) = (
            doc.format == Format::CloudFormation,
            doc.format.is_terraform(),
        );
        for r in &doc.resources {
            if matches!(r.condition, Some((_, Some(false)))) {
                continue;
            }
            let (bucket_key, doc_key, name_key) = match r.kind.as_str() {
                "AWS::S3::BucketPolicy" if cfn => ("Bucket", "PolicyDocument", "BucketName"),
                "aws_s3_bucket_policy" if tf => ("bucket", "policy", "bucket"),
                _ => continue,
            };
            let p = &r.properties;
            // The bucket: its name, or the name of the bucket resource it refers to.
            let bucket = match p.get(bucket_key).map(|n| &n.kind) {
                Some(NodeKind::String(s)) => Ok(s.clone()),
                Some(NodeKind::ResourceRef { id, .. }) => doc
                    .resources
                    .iter()
                    .find(|b| b.id == *id)
                    .and_then(|b| b.properties.get(name_key))
                    .and_then(Node::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        format!("it is attached to `{id}`, whose name is known only at deploy time")
                    }),
                Some(NodeKind::Unresolved(why)) => {
                    Err(format!("its bucket is known only at deploy time: {why}"))
                }
                _ => Err("its bucket is not given as a name".to_string()),
            };
            match bucket {
                Ok(name) => {
                    let loaded = match p.get(doc_key) {
                        Some(n) => policy(&format!("bucket policy of `{name}`"), n),
                        None => LoadedPolicy::unknown(
                            format!("bucket policy of `{name}`"),
                            "it has no policy document",
                        ),
                    };
                    out.policies.entry(name).or_default().push(loaded);
                }
                Err(why) => out.floating.push((r.id.clone(), why)),
            }
        }
        out
    }

    /// The policy of the bucket `name`, which the template creates.
    pub fn policy(&self, name: &str) -> BucketPolicy<'_> {
        if let Some((id, why)) = self.floating.first() {
            return BucketPolicy::Unknown(format!(
                "the bucket policy `{id}` of this template may be attached to it: {why}"
            ));
        }
        match self.policies.get(name).map(Vec::as_slice) {
            None | Some([]) => BucketPolicy::None,
            Some([one]) => BucketPolicy::Policy(one),
            Some(_) => BucketPolicy::Unknown(format!(
                "the template attaches more than one bucket policy to `{name}`, and only one can apply"
            )),
        }
    }
}
