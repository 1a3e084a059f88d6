//! Which kind of input a file is, decided by its content, not its name.

use crate::parse::{self, Node, NodeKind, ParseError};
use crate::source::SourceFile;

use super::{Document, cfn, native, tfplan};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `register-task-definition` input, `describe-task-definition` output, or an array of them.
    TaskDefinitionJson,
    CloudFormation,
    TerraformPlan,
    /// A folder of `.tf` files (see `tfsource`).
    TerraformSource,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::TaskDefinitionJson => "ECS task definition JSON",
            Format::CloudFormation => "CloudFormation template",
            Format::TerraformPlan => "Terraform plan JSON",
            Format::TerraformSource => "Terraform configuration",
        }
    }

    /// A plan or `.tf` source: resources read with Terraform's argument names.
    pub fn is_terraform(self) -> bool {
        matches!(self, Format::TerraformPlan | Format::TerraformSource)
    }
}

/// The outcome of reading one file.
pub enum Recognized {
    Document(Document),
    /// Valid JSON/YAML, but not an ECS input of a kind we read.
    NotAnInput(String),
    Syntax(ParseError),
}

/// Account and region used to resolve `AWS::AccountId` / `AWS::Region` in templates.
#[derive(Clone, Debug, Default)]
pub struct ResolveSettings {
    pub account: Option<String>,
    pub region: Option<String>,
}

/// Cheap test, before parsing, whether a file found by walking a folder can be an ECS input at
/// all: most JSON and YAML files in a repository are not, and are skipped silently.
pub fn may_be_input(text: &str) -> bool {
    const MARKERS: [&str; 6] = [
        "containerDefinitions",
        "ContainerDefinitions",
        "container_definitions",
        "AWSTemplateFormatVersion",
        "AWS::",
        "planned_values",
    ];
    MARKERS.iter().any(|m| text.contains(m))
}

pub fn read_document(file: &SourceFile, settings: &ResolveSettings) -> Recognized {
    let root = match parse_text(file) {
        Ok(root) => root,
        Err(e) => return Recognized::Syntax(e),
    };
    match classify(&root) {
        Some(Format::CloudFormation) => Recognized::Document(cfn::read(&root, settings)),
        Some(Format::TerraformPlan) => Recognized::Document(tfplan::read(&root, &file.text)),
        Some(Format::TaskDefinitionJson) => Recognized::Document(native::read(root, file)),
        // A folder of `.tf` files is read by `tfsource`, never through here.
        Some(Format::TerraformSource) => Recognized::NotAnInput(not_an_input_reason(file, &root)),
        None => Recognized::NotAnInput(not_an_input_reason(file, &root)),
    }
}

fn parse_text(file: &SourceFile) -> Result<Node, ParseError> {
    let ext = file
        .path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let first = file
        .text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    let is_yaml_name = ext == "yaml" || ext == "yml";
    if !is_yaml_name && matches!(first, Some('{') | Some('[')) {
        parse::json::parse(&file.text)
    } else {
        parse::yaml::parse(&file.text)
    }
}

fn classify(root: &Node) -> Option<Format> {
    match &root.kind {
        NodeKind::Object(_) => {
            if root.get("Resources").is_some_and(Node::is_object)
                || root.get("AWSTemplateFormatVersion").is_some()
            {
                return Some(Format::CloudFormation);
            }
            if root.get("format_version").is_some()
                && (root.get("planned_values").is_some()
                    || root.get("values").is_some()
                    || root.get("resource_changes").is_some())
            {
                return Some(Format::TerraformPlan);
            }
            native::is_task_definition(root).then_some(Format::TaskDefinitionJson)
        }
        NodeKind::Array(items)
            if !items.is_empty() && items.iter().all(native::is_task_definition) =>
        {
            Some(Format::TaskDefinitionJson)
        }
        _ => None,
    }
}

fn not_an_input_reason(file: &SourceFile, root: &Node) -> String {
    let ext = file.path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext == "tf" {
        return "Terraform configuration, which is not read: check the plan instead (\
                `terraform plan -out plan.out && terraform show -json plan.out > plan.json`)"
            .to_string();
    }
    if root.get("name").is_some() && root.get("image").is_some() {
        return "this looks like a single container definition; the tool reads whole task definitions \
                (an object with `family` and `containerDefinitions`)"
            .to_string();
    }
    "not an ECS task definition, CloudFormation template or Terraform plan JSON".to_string()
}
