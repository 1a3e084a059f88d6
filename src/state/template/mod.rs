//! State defined by the template or plan being checked (IAM roles and policies, VPC resources,
//! ECR repositories), built once per document and layered over the state files: a template
//! that defines its own execution role is checked with no account access at all.

use crate::model::Document;
use crate::settings::Settings;

/// Per-document state, one part per rule family.
#[derive(Debug, Default)]
pub struct TemplateState {
    pub iam: iam::TemplateIam,
    pub net: net::TemplateNet,
    pub ecr: ecr::TemplateEcr,
    pub refs: refs::TemplateRefs,
}

impl TemplateState {
    pub fn from_document(doc: &Document, settings: &Settings) -> TemplateState {
        TemplateState {
            iam: iam::TemplateIam::from_document(doc, settings),
            net: net::TemplateNet::from_document(doc, settings),
            ecr: ecr::TemplateEcr::from_document(doc, settings),
            refs: refs::TemplateRefs::from_document(doc),
        }
    }
}

pub mod ecr;
pub mod iam;
pub mod kms;
pub mod net;
pub mod refs;
pub mod s3;
