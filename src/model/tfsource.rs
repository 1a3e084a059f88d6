//! Terraform source (a folder of `.tf` files): the module evaluated by [`crate::hcl`], read
//! into the same [`Document`] a plan gives, so every rule works unchanged.
//!
//! Resources keep Terraform's argument names and block shapes (blocks are lists of objects),
//! as in a plan's `planned_values`; JSON held in strings (`container_definitions`, policies) is
//! read into trees whose spans point at the `.tf` text (or the file `file()`/`templatefile()`
//! read) where each value is written.

use std::path::{Path, PathBuf};

use crate::hcl::Sources;
use crate::hcl::eval::{Env, EnvOptions, Instance, Instances, Key, Scope, unresolved};
use crate::hcl::json::{JsonError, read_json};
use crate::hcl::load::{self, Module, read_body};
use crate::parse::{Member, Node, NodeKind};
use crate::span::Span;

use super::{Document, Format, Problem, Resource, tfplan};

/// What reading a module folder gives: the document, the text of every file it read (spans
/// point into it), and the module calls that were not followed.
pub struct ModuleRead {
    pub sources: Sources,
    pub document: Document,
    /// (where, why): registry and git modules, and what else was not read, for the run
    /// summary.
    pub not_read: Vec<(Span, String)>,
    /// A file of the module could not be read or parsed: nothing of it was checked.
    pub failed: bool,
    /// `file()`/`templatefile()` calls whose file cannot be read: (the call, why).
    pub unreadable: Vec<(Span, String)>,
}

/// Inputs of one module check beyond the folder.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    pub account: Option<String>,
    pub region: Option<String>,
    /// The folder the user named: local module sources outside it are not followed.
    pub boundary: PathBuf,
    /// `--var-file` and `--var`, in command-line order.
    pub values: Vec<VarInput>,
}

/// A root-module variable value from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarInput {
    /// `--var-file FILE` (`.tfvars`, or JSON when its name ends in `.json`).
    File(PathBuf),
    /// `--var NAME=VALUE`.
    Value(String, String),
}

/// JSON-bearing string arguments, read into trees.
const JSON_ARGUMENTS: [&str; 3] = ["container_definitions", "policy", "assume_role_policy"];

/// Evaluation recurses with the expressions (bounded in depth): it runs on a thread of its own
/// with a stack large enough for that bound, whatever thread calls it.
const EVAL_STACK_BYTES: usize = 256 * 1024 * 1024;

pub fn read_module(
    dir: &Path,
    options: &SourceOptions,
    name_of: fn(&Path) -> String,
) -> ModuleRead {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("terraform".into())
            .stack_size(EVAL_STACK_BYTES)
            .spawn_scoped(s, || read_module_here(dir, options, Box::new(name_of)))
            .ok()
            .and_then(|t| t.join().ok())
    })
    .unwrap_or_else(|| ModuleRead {
        sources: Sources::default(),
        document: Document {
            format: Format::TerraformSource,
            task_definitions: Vec::new(),
            resources: Vec::new(),
            problems: Vec::new(),
        },
        not_read: vec![(Span::default(), "the module could not be evaluated".into())],
        failed: true,
        unreadable: Vec::new(),
    })
}

fn read_module_here(
    dir: &Path,
    options: &SourceOptions,
    name_of: Box<dyn Fn(&Path) -> String>,
) -> ModuleRead {
    let env = Env::new(
        EnvOptions {
            account: options.account.clone(),
            region: options.region.clone(),
            boundary: options.boundary.clone(),
        },
        name_of,
    );
    let mut doc = Document {
        format: Format::TerraformSource,
        task_definitions: Vec::new(),
        resources: Vec::new(),
        problems: Vec::new(),
    };
    let loaded = {
        let mut sources = env.sources.borrow_mut();
        load::load_module(dir, &mut sources, &*env.name_of)
    };
    let module = match loaded {
        Ok(m) => std::rc::Rc::new(m),
        Err(e) => {
            doc.problems.push(Problem {
                span: e.error.span,
                message: e.error.message,
            });
            return ModuleRead {
                sources: env.sources.into_inner(),
                document: doc,
                not_read: Vec::new(),
                failed: true,
                unreadable: Vec::new(),
            };
        }
    };
    let mut failed = false;
    let vars = root_variables(
        &env,
        &module,
        &options.values,
        &mut doc.problems,
        &mut failed,
    );
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let root = Instance::new(&env, module.clone(), String::new(), vars, vec![canonical]);
    if env.options.region.is_none()
        && let Some(r) = &module.provider_region
        && let Some(region) = root.eval(r, &Scope::default()).as_str()
    {
        *env.region_from_provider.borrow_mut() = Some(region.to_string());
    }
    let mut task_blocks = Vec::new();
    collect(&root, &mut doc, &mut task_blocks);
    attach_value_sources(&env, &mut doc, &task_blocks);
    let not_read = env.not_read.borrow().clone();
    let unreadable = env.unreadable.borrow().clone();
    ModuleRead {
        sources: env.sources.into_inner(),
        document: doc,
        not_read,
        failed,
        unreadable,
    }
}

/// Root variables in Terraform's order: defaults, `terraform.tfvars`, `terraform.tfvars.json`,
/// `*.auto.tfvars` and `*.auto.tfvars.json` (by name), then `--var-file` and `--var` in
/// command-line order; later wins.
fn root_variables(
    env: &Env,
    module: &std::rc::Rc<Module>,
    given: &[VarInput],
    problems: &mut Vec<Problem>,
    failed: &mut bool,
) -> std::collections::HashMap<String, Node> {
    let mut values: std::collections::HashMap<String, Node> = std::collections::HashMap::new();
    // Variables are evaluated with no references (Terraform allows none in defaults).
    let scratch = Instance::new(
        env,
        std::rc::Rc::new(Module {
            dir: module.dir.clone(),
            ..Module::default()
        }),
        String::new(),
        Default::default(),
        vec![module.dir.clone()],
    );
    for v in &module.variables {
        let value = match &v.default {
            Some(d) => scratch.eval(d, &Scope::default()),
            None => unresolved(format!("variable `{}` has no value", v.name), v.span),
        };
        values.insert(v.name.clone(), value);
    }
    let mut inputs: Vec<VarInput> = ["terraform.tfvars", "terraform.tfvars.json"]
        .iter()
        .map(|name| module.dir.join(name))
        .filter(|p| p.is_file())
        .map(VarInput::File)
        .collect();
    let mut auto: Vec<PathBuf> = std::fs::read_dir(&module.dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    inputs.extend(auto.into_iter().map(VarInput::File));
    inputs.extend(given.iter().cloned());
    let declared = |name: &str| module.variables.iter().find(|v| v.name == name);
    for input in inputs {
        match input {
            VarInput::File(path) => {
                let read = if path.extension().is_some_and(|e| e == "json") {
                    read_json_tfvars(env, &path)
                } else {
                    read_tfvars(env, &scratch, &path)
                };
                match read {
                    Ok(entries) => {
                        for (name, value) in entries {
                            if declared(&name).is_some() {
                                values.insert(name, value);
                            }
                        }
                    }
                    Err(problem) => {
                        problems.push(problem);
                        *failed = true;
                    }
                }
            }
            VarInput::Value(name, text) => {
                let Some(v) = declared(&name) else {
                    continue;
                };
                // Terraform reads `--var` values of complex types as HCL, strings as they are.
                let trimmed = text.trim_start();
                let value = if trimmed.starts_with('[') || trimmed.starts_with('{') {
                    match hcl_edit::parser::parse_expr(&text) {
                        Ok(e) => {
                            let mut n = scratch.expr(&e, 0, &Scope::default());
                            respan_all(&mut n, v.span);
                            n
                        }
                        Err(_) => {
                            unresolved(format!("`--var {name}=…` is not a valid value"), v.span)
                        }
                    }
                } else {
                    Node::new(NodeKind::String(text.clone()), v.span)
                };
                values.insert(name, value);
            }
        }
    }
    for v in &module.variables {
        if let Some(t) = &v.type_expr
            && let Some(value) = values.remove(&v.name)
        {
            values.insert(
                v.name.clone(),
                scratch.apply_type(value, &t.expr, t.base, 0),
            );
        }
    }
    values
}

/// The entries of a `.tfvars` file (HCL), evaluated.
fn read_tfvars(env: &Env, scratch: &Instance, path: &Path) -> Result<Vec<(String, Node)>, Problem> {
    let parsed = {
        let mut sources = env.sources.borrow_mut();
        read_body(path, &mut sources, &*env.name_of)
    };
    let (body, base) = parsed.map_err(|e| Problem {
        span: e.error.span,
        message: e.error.message,
    })?;
    Ok(body
        .attributes()
        .map(|a| {
            (
                a.key.as_str().to_string(),
                scratch.expr(&a.value, base, &Scope::default()),
            )
        })
        .collect())
}

/// The entries of a `.tfvars.json` file: one JSON object, its values literal (not templates).
fn read_json_tfvars(env: &Env, path: &Path) -> Result<Vec<(String, Node)>, Problem> {
    let (text, base) = {
        let mut sources = env.sources.borrow_mut();
        load::read_text(path, &mut sources, &*env.name_of)
    }
    .map_err(|e| Problem {
        span: e.error.span,
        message: e.error.message,
    })?;
    let name = (env.name_of)(path);
    let mut root = crate::parse::json::parse(&text).map_err(|e| Problem {
        span: shift(e.span, base),
        message: format!("invalid JSON in `{name}`: {}", e.message),
    })?;
    shift_all(&mut root, base);
    match root.kind {
        NodeKind::Object(members) => Ok(members.into_iter().map(|m| (m.key, m.value)).collect()),
        _ => Err(Problem {
            span: root.span,
            message: format!("`{name}` must hold one JSON object of variable values"),
        }),
    }
}

fn shift(span: Span, base: usize) -> Span {
    Span::new(base + span.start as usize, base + span.end as usize)
}

fn shift_all(node: &mut Node, base: usize) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        n.span = shift(n.span, base);
        match &mut n.kind {
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => {
                for m in members.iter_mut() {
                    m.key_span = shift(m.key_span, base);
                    stack.push(&mut m.value);
                }
            }
            _ => {}
        }
    }
}

/// A value written as a variable default, a `.tfvars` entry or a module argument: a finding
/// on it also points at where the configuration uses the variable. A variable interpolated
/// into a string of the task definition (`"${var.repo}:${var.tag}"`) is listed too: a rule
/// that knows which part of the string the literal holds (an image's tag) points at it.
///
/// A use written inside a task definition's block belongs to that task definition only: two
/// task definitions using one default are each labelled at their own use. A use elsewhere (a
/// `local`, a module argument) is shared by every task definition holding the value.
fn attach_value_sources(env: &Env, doc: &mut Document, task_blocks: &[(String, Span)]) {
    let sources = env.value_sources.borrow();
    if sources.is_empty() {
        return;
    }
    let inside = |outer: &Span, inner: &Span| outer.start <= inner.start && inner.end <= outer.end;
    for task in &mut doc.task_definitions {
        let own_block = match &task.origin {
            super::Origin::TerraformPlan { address } => task_blocks
                .iter()
                .find(|(a, _)| a == address)
                .map(|(_, block)| *block),
            _ => None,
        };
        let belongs = |used_at: &Span| match own_block {
            Some(block) if inside(&block, used_at) => true,
            _ => !task_blocks.iter().any(|(_, b)| inside(b, used_at)),
        };
        let mut spans = std::collections::HashSet::new();
        let mut strings = Vec::new();
        task.props.walk(|n| {
            spans.insert(n.span);
            if matches!(n.kind, NodeKind::String(_)) {
                strings.push(n.span);
            }
        });
        for (value, used_at, name) in sources.iter() {
            let inside_a_string = || {
                strings
                    .iter()
                    .any(|s| s.start <= used_at.start && used_at.end <= s.end && s != used_at)
            };
            if (spans.contains(value) || inside_a_string()) && belongs(used_at) {
                task.value_sources.push(super::ValueSource {
                    value: *value,
                    used_at: *used_at,
                    parameter: name.clone(),
                });
            }
        }
    }
}

/// Terraform converts a number given for a string argument (`cpu = 256`) to a string: the
/// task definition's string arguments are strings, as in a plan.
fn strings_for_numbers(values: &mut Node) {
    const STRING_ARGUMENTS: [&str; 4] = ["cpu", "memory", "family", "network_mode"];
    if let NodeKind::Object(members) = &mut values.kind {
        for m in members
            .iter_mut()
            .filter(|m| STRING_ARGUMENTS.contains(&m.key.as_str()))
        {
            if let NodeKind::Number(n) = &m.value.kind {
                m.value.kind = NodeKind::String(n.clone());
            }
        }
    }
}

fn respan_all(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.kind {
        NodeKind::Array(items) => items.iter_mut().for_each(|i| respan_all(i, span)),
        NodeKind::Object(members) => members.iter_mut().for_each(|m| {
            m.key_span = span;
            respan_all(&mut m.value, span);
        }),
        _ => {}
    }
}

/// The resources of a module instance and of the local modules it calls; `task_blocks` gets
/// the text of each task definition's block, by address.
fn collect(inst: &Instance, doc: &mut Document, task_blocks: &mut Vec<(String, Span)>) {
    for res in &inst.module.resources {
        let keys: Vec<Key> = match inst.instances(&res.body, res.base) {
            Instances::Known(list) => list.into_iter().map(|(k, _)| k).collect(),
            // One unknown instance, checked with `count.index`/`each` unknown; with `count` it is
            // named `[0]`, the instance references most often name (`x[0].arn`).
            Instances::Unknown(_) if res.body.get_attribute("count").is_some() => {
                vec![Key::Index(0)]
            }
            Instances::Unknown(_) => vec![Key::None],
        };
        for key in keys {
            let address = format!("{}{}.{}{}", inst.prefix, res.kind, res.name, key.suffix());
            let mut values = inst.resource_values(res, &key);
            read_json_arguments(inst.env, &mut values, &address, &mut doc.problems);
            if res.kind == "aws_ecs_task_definition" {
                strings_for_numbers(&mut values);
                let task =
                    tfplan::task_definition(&address, res.span, &values, "", &mut doc.problems);
                doc.task_definitions.push(task);
                task_blocks.push((address.clone(), res.extent));
            }
            doc.resources.push(Resource {
                id: address,
                kind: res.kind.clone(),
                id_span: res.span,
                properties: values,
                condition: None,
            });
        }
    }
    for call in &inst.module.calls {
        let source = call
            .body
            .get_attribute("source")
            .map(|a| inst.expr(&a.value, call.base, &Scope::default()));
        let local = source
            .as_ref()
            .and_then(Node::as_str)
            .is_some_and(|s| s.starts_with("./") || s.starts_with("../"));
        if !local {
            let shown = source
                .as_ref()
                .and_then(Node::as_str)
                .unwrap_or("(not a literal)")
                .to_string();
            inst.env.not_read.borrow_mut().push((
                call.span,
                format!(
                    "module `{}{}` (source `{shown}`): registry and git modules are not read; check the plan JSON for the task definitions inside it",
                    inst.prefix, call.name
                ),
            ));
            continue;
        }
        let children = inst.child(&call.name);
        match children.as_deref() {
            Some(Ok(children)) => {
                for (_, child) in children.iter() {
                    collect(child, doc, task_blocks);
                }
            }
            Some(Err(why)) => {
                inst.env.not_read.borrow_mut().push((
                    call.span,
                    format!("module `{}{}` is not read: {why}", inst.prefix, call.name),
                ));
            }
            None => {}
        }
    }
}

/// `container_definitions`, `policy`, `assume_role_policy` (also inside blocks such as
/// `inline_policy`): the JSON string read into a tree with spans, or unknown with the reason.
fn read_json_arguments(env: &Env, values: &mut Node, address: &str, problems: &mut Vec<Problem>) {
    let NodeKind::Object(members) = &mut values.kind else {
        return;
    };
    for m in members.iter_mut() {
        if JSON_ARGUMENTS.contains(&m.key.as_str()) {
            read_one(env, m, address, problems);
        } else if let NodeKind::Array(blocks) = &mut m.value.kind {
            for b in blocks.iter_mut() {
                if let NodeKind::Object(inner) = &mut b.kind {
                    for im in inner.iter_mut().filter(|im| im.key == "policy") {
                        read_one(env, im, address, problems);
                    }
                }
            }
        }
    }
}

fn read_one(env: &Env, m: &mut Member, address: &str, problems: &mut Vec<Problem>) {
    if !matches!(m.value.kind, NodeKind::String(_) | NodeKind::Unresolved(_)) {
        return;
    }
    match read_json(env, &m.value) {
        Ok(tree) => m.value = tree,
        Err(JsonError::Unknown(why)) => {
            m.value = Node::new(NodeKind::Unresolved(why), m.value.span);
        }
        Err(JsonError::Syntax { message, span }) => {
            problems.push(Problem {
                span,
                message: format!("`{}` of {address} is not valid JSON: {message}", m.key),
            });
            m.value = Node::new(
                NodeKind::Unresolved(format!("`{}` is not valid JSON", m.key)),
                m.value.span,
            );
        }
    }
}
