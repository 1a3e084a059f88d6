//! State defined by the template or plan being checked (IAM roles and policies, VPC resources,
//! ECR repositories), built once per document and layered over the state files: a template
//! that defines its own execution role is checked with no account access at all.

use crate::model::Document;
use crate::rules::Settings;

/// Per-document state, one part per rule family.
#[derive(Debug, Default)]
pub struct TemplateState {
    pub iam: template_iam::TemplateIam,
    pub net: template_net::TemplateNet,
    pub ecr: template_ecr::TemplateEcr,
}

impl TemplateState {
    pub fn from_document(doc: &Document, settings: &Settings) -> TemplateState {
        TemplateState {
            iam: template_iam::TemplateIam::from_document(doc, settings),
            net: template_net::TemplateNet::from_document(doc, settings),
            ecr: template_ecr::TemplateEcr::from_document(doc, settings),
        }
    }
}

#[path = "template_ecr.rs"]
pub mod template_ecr;
#[path = "template_iam.rs"]
pub mod template_iam;
#[path = "template_net.rs"]
pub mod template_net;
