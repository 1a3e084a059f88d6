//! network state from the resources of the template or plan being checked.

use crate::model::Document;
use crate::rules::Settings;

#[derive(Debug, Default)]
pub struct TemplateNet {}

impl TemplateNet {
    pub fn from_document(_doc: &Document, _settings: &Settings) -> TemplateNet {
        TemplateNet::default()
    }
}
