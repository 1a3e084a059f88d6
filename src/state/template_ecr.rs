//! ECR state from the resources of the template or plan being checked.

use crate::model::Document;
use crate::rules::Settings;

#[derive(Debug, Default)]
pub struct TemplateEcr {}

impl TemplateEcr {
    pub fn from_document(_doc: &Document, _settings: &Settings) -> TemplateEcr {
        TemplateEcr::default()
    }
}
