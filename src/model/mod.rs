//! ECS task definitions (and, later, services) read out of parsed inputs, whatever the format.
//! The model knows ECS, not accounts: values keep their spans, and values that cannot be known
//! before deploy stay unresolved.

pub mod arn;
pub mod cdk;
pub mod cfn;
pub mod image_ref;
pub mod native;
pub mod placeholder;
pub mod recognize;
pub mod resolve;
pub mod taskdef;
pub mod tfplan;
pub mod tfsource;

pub use recognize::{Format, read_document};
pub use taskdef::{ContainerView, KeyStyle, Origin, TaskDefinition, ValueSource};

use crate::parse::Node;
use crate::span::Span;

/// One input file, recognised and read.
#[derive(Debug)]
pub struct Document {
    pub format: Format,
    pub task_definitions: Vec<TaskDefinition>,
    /// Resources of a CloudFormation template or Terraform plan, resolved: the IAM, network
    /// and registry layers read their state from them.
    pub resources: Vec<Resource>,
    /// Parts of the file that could not be read (e.g. a `container_definitions` string that is
    /// not valid JSON). The rest of the file is still checked.
    pub problems: Vec<Problem>,
}

/// A resource of a template or plan: CloudFormation logical ID or Terraform address, its type
/// and its resolved properties.
#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub kind: String,
    pub id_span: Span,
    pub properties: Node,
    /// A CloudFormation resource's `Condition`: its name and value (None when it cannot be
    /// evaluated, e.g. it depends on a parameter without a default). A resource whose
    /// condition is false is not created.
    pub condition: Option<(String, Option<bool>)>,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub span: Span,
    pub message: String,
}
