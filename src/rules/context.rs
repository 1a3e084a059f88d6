//! The context one task definition is checked in: its inputs (file, settings, state, the
//! document and the state its own resources define) and the facts the rules share, each
//! computed once, on first use, whichever rule asks first:
//!
//! - per container: [`ContainerFacts`] (the image, parsed or why it is unknown);
//! - per document: [`DocumentFacts`] (the network analysis of every task definition of the
//!   document, which needs one index of the document's network);
//! - per task definition: the ROLE family's evaluation ([`Context::role_findings`]), in which
//!   the execution role's policies are evaluated once for all ROLE rules.
//!
//! A rule reads facts and reports its own code; it never runs another rule.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::diag::{CURRENT_FILE, Diagnostic, FileId, Label, Skip};
use crate::model::image_ref::{self, ImageRef, ImageRefError};
use crate::model::{ContainerView, Document, TaskDefinition};
use crate::net::placement::DocumentAnalysis;
use crate::parse::{Node, NodeKind};
use crate::settings::Settings;
use crate::source::SourceFile;
use crate::span::Span;
use crate::state::AccountState;
use crate::state::template::TemplateState;

use super::{Rule, ServiceFile};

/// Facts computed once per document and shared by the task definitions in it.
#[derive(Debug, Default)]
pub struct DocumentFacts {
    /// The NET analysis of every task definition of the document.
    pub network: OnceLock<DocumentAnalysis>,
    /// The CDK assets manifest next to a template, when there is one.
    pub cdk_assets: Option<crate::model::cdk::CdkAssets>,
    /// The positions of the document's ECS service resources: each task definition looks its
    /// services up among these, not among every resource (a template with 50,000 task
    /// definitions made that quadratic).
    pub services: OnceLock<Vec<usize>>,
}

/// What one container's `image` is, worked out once for all IMG rules.
// One per container, kept while its task definition is checked: the size of a parsed
// reference costs nothing worth an allocation per image.
#[allow(clippy::large_enum_variant)]
pub enum ImageFact<'a> {
    /// No `image`, or not a string (TD001 reports it).
    Missing,
    /// A template expression or placeholder that cannot be known before deploy.
    Unresolved {
        node: &'a Node,
        reason: String,
    },
    Invalid {
        node: &'a Node,
        error: ImageRefError,
    },
    Parsed {
        node: &'a Node,
        image: ImageRef,
    },
}

pub struct ContainerFacts<'a> {
    pub container: ContainerView<'a>,
    pub image: ImageFact<'a>,
    /// Why the image is published by the deploy itself (a CDK container asset): the registry
    /// checks skip it, the permission and network checks do not.
    pub published: Option<String>,
}

/// The context of one task definition's check: inputs for the rules, and what they report.
pub struct Context<'a> {
    /// The file being checked: `CURRENT_FILE` until the driver numbers the files.
    pub file_id: FileId,
    pub file: &'a SourceFile,
    pub settings: &'a Settings,
    /// The state files (and, later, the live account).
    pub state: &'a AccountState,
    /// The document the task definition is in, and the state its own resources define.
    pub document: &'a Document,
    pub template: &'a TemplateState,
    /// What is shared by the task definitions of the document.
    pub document_facts: &'a DocumentFacts,
    /// The `--service` file, when one was given.
    pub service_file: Option<&'a ServiceFile>,
    pub containers: Vec<ContainerFacts<'a>>,
    task_label: String,
    value_sources: &'a [crate::model::ValueSource],
    enabled: &'a HashSet<&'static str>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) skipped: Vec<Skip>,
    /// The ROLE family's findings not yet taken by their rule; `None` until computed.
    role_findings: Option<Vec<Diagnostic>>,
    /// What the task references (secrets, parameters, log groups, environment files), worked
    /// out once for the REF rules and ROLE012/ROLE013.
    pub(crate) references: std::cell::OnceCell<std::rc::Rc<super::refs::References>>,
    /// The task definition's private ECR images, worked out once for the ECR rules.
    pub(crate) ecr_targets: std::cell::OnceCell<std::rc::Rc<Vec<super::ecr::Target>>>,
}

impl<'a> Context<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        file: &'a SourceFile,
        settings: &'a Settings,
        state: &'a AccountState,
        document: &'a Document,
        template: &'a TemplateState,
        document_facts: &'a DocumentFacts,
        task: &'a TaskDefinition,
        enabled: &'a HashSet<&'static str>,
    ) -> Context<'a> {
        let containers: Vec<ContainerFacts> = task
            .containers()
            .map(|c| {
                let image = image_fact(c);
                let published = match &image {
                    ImageFact::Parsed { image, .. } => {
                        crate::model::cdk::published(image, document_facts.cdk_assets.as_ref())
                    }
                    _ => None,
                };
                ContainerFacts {
                    image,
                    container: c,
                    published,
                }
            })
            .collect();
        let published: Vec<String> = containers
            .iter()
            .filter_map(|f| {
                f.published.as_ref().map(|why| {
                    format!(
                        "container `{}`: its image is published at deploy time ({why})",
                        f.container.label()
                    )
                })
            })
            .collect();
        let mut cx = Context {
            file_id: CURRENT_FILE,
            file,
            settings,
            state,
            document,
            template,
            document_facts,
            service_file: None,
            containers,
            task_label: task.label.clone(),
            value_sources: &task.value_sources,
            enabled,
            diagnostics: Vec::new(),
            skipped: Vec::new(),
            role_findings: None,
            references: std::cell::OnceCell::new(),
            ecr_targets: std::cell::OnceCell::new(),
        };
        for why in published {
            cx.skip(PUBLISHED_SKIPS, why);
        }
        cx
    }

    /// Moves `rule`'s findings from the ROLE family's evaluation into the report. The
    /// evaluation (`evaluate`, given the task definition and a fresh context to report into)
    /// runs once per task definition, when the first ROLE rule asks: the execution role's
    /// policies are resolved and evaluated once for every ROLE rule. What it could not check
    /// goes to the run summary at that moment.
    pub fn take_family_findings(
        &mut self,
        rule: &'static Rule,
        task: &TaskDefinition,
        evaluate: fn(&TaskDefinition, &mut Context),
    ) {
        if self.role_findings.is_none() {
            // The scratch context borrows this one's container facts (image references parsed
            // once per task definition) and gives them back after the evaluation.
            let mut scratch = Context {
                file_id: self.file_id,
                file: self.file,
                settings: self.settings,
                state: self.state,
                document: self.document,
                template: self.template,
                document_facts: self.document_facts,
                service_file: self.service_file,
                containers: std::mem::take(&mut self.containers),
                task_label: self.task_label.clone(),
                value_sources: self.value_sources,
                enabled: self.enabled,
                diagnostics: Vec::new(),
                skipped: Vec::new(),
                role_findings: None,
                references: self.references.clone(),
                ecr_targets: self.ecr_targets.clone(),
            };
            evaluate(task, &mut scratch);
            self.containers = std::mem::take(&mut scratch.containers);
            if self.references.get().is_none()
                && let Some(r) = scratch.references.get()
            {
                let _ = self.references.set(r.clone());
            }
            self.skipped.append(&mut scratch.skipped);
            self.role_findings = Some(scratch.diagnostics);
        }
        let pending = self.role_findings.as_mut().expect("computed above");
        let (mine, rest): (Vec<Diagnostic>, Vec<Diagnostic>) =
            pending.drain(..).partition(|d| d.code == rule.code);
        *pending = rest;
        self.diagnostics.extend(mine);
    }

    /// Values written elsewhere than where the task definition uses them (a parameter's or
    /// variable's default), with where they are used.
    pub fn value_sources(&self) -> &[crate::model::ValueSource] {
        self.value_sources
    }

    pub fn is_enabled(&self, rule: &Rule) -> bool {
        self.enabled.contains(rule.code)
    }

    /// Reports a finding of `rule` at `span` of the file being checked.
    pub fn report(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        // A value taken from a parameter's default: show where the task definition uses it.
        let labels = self
            .value_sources
            .iter()
            .filter(|s| s.value == span)
            .map(|s| Label {
                file: self.file_id,
                span: s.used_at,
                message: format!("the value of parameter `{}`, used here", s.parameter),
            })
            .collect();
        let mut diagnostic = rule.diagnostic_in(self.file_id, span, message.into());
        diagnostic.labels = labels;
        diagnostic.task_definition = Some(self.task_label.clone());
        self.diagnostics.push(diagnostic);
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    /// Records that `rules` could not be checked anywhere in the run, and why (a limit of the
    /// tool or of the inputs, not of this task definition).
    pub fn skip_for_run(&mut self, rules: &[&'static Rule], reason: impl Into<String>) {
        let before = self.skipped.len();
        self.skip(rules, reason);
        if let Some(s) = self.skipped.get_mut(before) {
            s.subjects.clear();
        }
    }

    /// Records that `rules` could not be checked for this task definition, and why.
    pub fn skip(&mut self, rules: &[&'static Rule], reason: impl Into<String>) {
        let rules: Vec<&'static str> = rules
            .iter()
            .filter(|r| self.is_enabled(r))
            .map(|r| r.code)
            .collect();
        if !rules.is_empty() {
            self.skipped.push(Skip {
                rules,
                reason: reason.into(),
                subjects: vec![self.task_label.clone()],
            });
        }
    }

    pub fn task_label(&self) -> &str {
        &self.task_label
    }
}

/// The checks that do not apply to an image the deploy publishes: it is not in the registry
/// before the deploy, and its tag is a content hash.
static PUBLISHED_SKIPS: &[&Rule] = &[
    &crate::rules::ecr::repository_not_found::RULE,
    &crate::rules::ecr::image_not_found::RULE,
    &crate::rules::ecr::mutable_tag::RULE,
    &crate::rules::img::unpinned_image::RULE,
];

fn image_fact(container: ContainerView<'_>) -> ImageFact<'_> {
    let Some(node) = container.get("image") else {
        return ImageFact::Missing;
    };
    match &node.kind {
        NodeKind::Unresolved(why) => ImageFact::Unresolved {
            node,
            reason: why.clone(),
        },
        NodeKind::ResourceRef { id, .. } => ImageFact::Unresolved {
            node,
            reason: format!("it comes from the resource `{id}`, known only at deploy time"),
        },
        NodeKind::String(s) => match crate::model::placeholder::placeholder(s) {
            Some(why) => ImageFact::Unresolved { node, reason: why },
            None => match image_ref::parse(s) {
                Ok(image) => ImageFact::Parsed { node, image },
                Err(error) => ImageFact::Invalid { node, error },
            },
        },
        _ => ImageFact::Missing,
    }
}
