//! Evaluating a module's expressions into [`Node`] trees, the same values the plan reader
//! produces: known values with the span of the text they come from, links to resources of the
//! configuration (`ResourceRef`), and `Unresolved` values with a reason. Nothing here fails:
//! what cannot be evaluated is unknown, never an error and never a guess.
//!
//! This file holds what every part shares: the [`Env`] of one check, the [`Scope`], and the
//! module [`Instance`] (its memo, cycle detection and file reading). The evaluation itself is
//! split by concept, each an `impl Instance` of its own (the submodules share this file's
//! imports through `use super::*`):
//!
//! - `expr`: expressions, operators, `for`, function calls, traversal operators;
//! - `template`: string templates and heredocs, with where each part comes from;
//! - `refs`: what a traversal starts from (`var.`, `local.`, `path.`, resources, …);
//! - `resources`: instances (`count`/`for_each`), arguments and blocks, and the attributes the
//!   configuration determines (the `name_is_id` list is in `resources.rs`);
//! - `data`: data sources; `modules`: local module calls; `types`: variable type defaults.
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Directive, Element, Template};

use crate::parse::{Member, Node, NodeKind};
use crate::span::Span;

use super::Sources;
use super::load::{self, BlockAt, Expr, Module, span_of};

mod data;
mod expr;
mod modules;
mod refs;
mod resources;
mod template;
mod types;

pub use template::{parse_template, template_scope};

/// Deeper evaluation than this (a chain of locals, nested modules) is unknown, not a stack
/// overflow.
const MAX_DEPTH: usize = 200;
/// Local modules nested deeper than this are not read.
const MAX_MODULE_DEPTH: usize = 16;
/// `count` above this is not expanded (a configuration with more instances of one resource is
/// not a task definition setup).
const MAX_INSTANCES: usize = 1000;

/// A part of an evaluated string and the source text it comes from: literal text maps
/// character for character, an interpolation's result maps to the whole `${…}`.
#[derive(Clone, Debug)]
pub struct Seg {
    pub out_start: usize,
    pub out_end: usize,
    pub src: Span,
    pub exact: bool,
    /// An interpolation of a value written elsewhere (a variable default): where it is written.
    pub value_span: Option<Span>,
}

/// What a string value is known to be built from, for reading JSON out of it with spans.
#[derive(Clone, Debug)]
pub struct StringOrigin {
    /// The string, with unknown parts replaced by [`UNKNOWN_MARK`]-delimited placeholders.
    pub text: String,
    pub segs: Vec<Seg>,
    /// Reasons of the unknown parts, by placeholder number.
    pub unknowns: Vec<String>,
}

/// Delimits an unknown part of a string whose JSON is read anyway (`"image": "${var.image}"`
/// inside a heredoc): the JSON string holding it becomes unknown, the rest stays known.
pub const UNKNOWN_MARK: char = '\u{E000}';

/// Settings for one module tree.
pub struct EnvOptions {
    pub account: Option<String>,
    pub region: Option<String>,
    /// The folder checked: module sources outside it are not followed.
    pub boundary: PathBuf,
}

/// Shared by every module instance of one check.
pub struct Env {
    pub sources: RefCell<Sources>,
    pub options: EnvOptions,
    pub name_of: Box<dyn Fn(&Path) -> String>,
    depth: Cell<usize>,
    /// `jsonencode(…)` results and JSON read out of strings: the structure, keyed by the
    /// string node's span and text, so that `container_definitions` and policies keep the
    /// spans of the values they are built from.
    structured: RefCell<HashMap<(Span, String), Node>>,
    /// Strings built from templates, heredocs and files: where each part comes from.
    origins: RefCell<HashMap<(Span, String), Rc<StringOrigin>>>,
    /// Registry and git modules, and other things not read, for the run summary.
    pub not_read: RefCell<Vec<(Span, String)>>,
    /// Variable values used elsewhere than where they are written: (the literal, the use,
    /// `var.name`), for a label at the use when a finding points at the literal.
    pub value_sources: RefCell<Vec<(Span, Span, String)>>,
    /// `file()`/`templatefile()` calls whose file cannot be read: (the call, why).
    pub unreadable: RefCell<Vec<(Span, String)>>,
    /// The literal `region` of the root module's `provider "aws"` block.
    pub region_from_provider: RefCell<Option<String>>,
}

impl Env {
    pub fn new(options: EnvOptions, name_of: Box<dyn Fn(&Path) -> String>) -> Env {
        Env {
            sources: RefCell::new(Sources::default()),
            options,
            name_of,
            depth: Cell::new(0),
            structured: RefCell::new(HashMap::new()),
            origins: RefCell::new(HashMap::new()),
            not_read: RefCell::new(Vec::new()),
            unreadable: RefCell::new(Vec::new()),
            value_sources: RefCell::new(Vec::new()),
            region_from_provider: RefCell::new(None),
        }
    }

    pub fn region(&self) -> Option<String> {
        self.options
            .region
            .clone()
            .or_else(|| self.region_from_provider.borrow().clone())
    }

    pub fn partition(&self) -> &'static str {
        match self.region() {
            Some(r) if r.starts_with("cn-") => "aws-cn",
            Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
            _ => "aws",
        }
    }

    /// The structure a string value stands for (`jsonencode` of it), when known.
    pub fn structure_of(&self, node: &Node) -> Option<Node> {
        let key = match &node.kind {
            NodeKind::String(s) | NodeKind::Unresolved(s) => (node.span, s.clone()),
            _ => return None,
        };
        self.structured.borrow().get(&key).cloned()
    }

    pub fn origin_of(&self, node: &Node) -> Option<Rc<StringOrigin>> {
        let key = match &node.kind {
            NodeKind::String(s) | NodeKind::Unresolved(s) => (node.span, s.clone()),
            _ => return None,
        };
        self.origins.borrow().get(&key).cloned()
    }

    pub(crate) fn remember_structure(&self, string: &Node, structure: Node) {
        if let NodeKind::String(s) | NodeKind::Unresolved(s) = &string.kind {
            self.structured
                .borrow_mut()
                .insert((string.span, s.clone()), structure);
        }
    }

    pub(crate) fn remember_origin(&self, string: &Node, origin: StringOrigin) {
        if let NodeKind::String(s) | NodeKind::Unresolved(s) = &string.kind {
            self.origins
                .borrow_mut()
                .insert((string.span, s.clone()), Rc::new(origin));
        }
    }

    fn enter(&self) -> bool {
        let d = self.depth.get();
        if d >= MAX_DEPTH {
            return false;
        }
        self.depth.set(d + 1);
        true
    }

    fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }
}

pub fn unresolved(why: impl Into<String>, span: Span) -> Node {
    Node::new(NodeKind::Unresolved(why.into()), span)
}

/// Why a value is not known, if it is not.
pub fn unknown_reason(node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::Unresolved(why) => Some(why.clone()),
        NodeKind::ResourceRef { id, attribute } => Some(match attribute {
            Some(a) => format!("`{id}.{a}` is known only after apply"),
            None => format!("`{id}` is known only after apply"),
        }),
        _ => None,
    }
}

/// The first unknown value inside a tree, if any.
pub fn first_unknown(node: &Node) -> Option<String> {
    let mut found = None;
    node.walk(|n| {
        if found.is_none() {
            found = unknown_reason(n);
        }
    });
    found
}

/// Iteration variables in scope: `count`, `each`, `for` variables, dynamic block iterators,
/// template variables.
#[derive(Default)]
pub struct Scope<'a> {
    vars: Vec<(String, Node)>,
    parent: Option<&'a Scope<'a>>,
    /// Inside `templatefile`: only the given variables exist.
    template: bool,
}

impl<'a> Scope<'a> {
    pub fn child(&'a self, vars: Vec<(String, Node)>) -> Scope<'a> {
        Scope {
            vars,
            parent: Some(self),
            template: self.template,
        }
    }

    fn get(&self, name: &str) -> Option<&Node> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .or_else(|| self.parent.and_then(|p| p.get(name)))
    }
}

/// An instance key of a resource or module made with `count` or `for_each`.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    None,
    Index(usize),
    Name(String),
}

impl Key {
    pub fn suffix(&self) -> String {
        match self {
            Key::None => String::new(),
            Key::Index(i) => format!("[{i}]"),
            Key::Name(n) => format!("[{}]", serde_json::to_string(n).unwrap_or_default()),
        }
    }
}

/// The instances of a block with `count`/`for_each`, with the `count`/`each` scope values.
pub enum Instances {
    Known(Vec<(Key, Vec<(String, Node)>)>),
    Unknown(String),
}

/// The instances of a module call, or why it is not read.
pub type Children<'e> = Rc<Result<Vec<(Key, Rc<Instance<'e>>)>, String>>;

/// One module instance: its variables' values and what has been evaluated.
pub struct Instance<'e> {
    pub env: &'e Env,
    pub module: Rc<Module>,
    /// `module.app.` (empty for the root module): the address prefix of its resources.
    pub prefix: String,
    pub vars: HashMap<String, Node>,
    /// Evaluated values by name (`local.x`, `aws_x.y.arn`, …), with the span of the use they
    /// were first evaluated for when part of the value has no text of its own and stands at
    /// that use (a link to a resource, an unknown): see [`Instance::memo`].
    cache: RefCell<HashMap<String, (Node, Option<Span>)>>,
    busy: RefCell<HashSet<String>>,
    children: RefCell<HashMap<String, Children<'e>>>,
    /// Module folders from the root to here, to refuse cycles.
    pub chain: Vec<PathBuf>,
}

impl<'e> Instance<'e> {
    pub fn new(
        env: &'e Env,
        module: Rc<Module>,
        prefix: String,
        vars: HashMap<String, Node>,
        chain: Vec<PathBuf>,
    ) -> Instance<'e> {
        Instance {
            env,
            module,
            prefix,
            vars,
            cache: RefCell::new(HashMap::new()),
            busy: RefCell::new(HashSet::new()),
            children: RefCell::new(HashMap::new()),
            chain,
        }
    }

    /// Evaluates with memo and cycle detection: a value that needs itself is unknown.
    ///
    /// `span` is the use being evaluated. The value is shared by every use, but the parts of
    /// it made at the use (a link to a resource, an unknown: they have no text of their own)
    /// must point at each use, not at the first one: they are moved to `span` on every hit.
    /// Parts written elsewhere (an argument's literal, a variable default) keep their place.
    fn memo(&self, key: String, span: Span, f: impl FnOnce() -> Node) -> Node {
        if let Some((v, first_use)) = self.cache.borrow().get(&key) {
            let mut v = v.clone();
            if let Some(first_use) = first_use {
                move_span(&mut v, *first_use, span);
            }
            return v;
        }
        if !self.busy.borrow_mut().insert(key.clone()) {
            return unresolved(format!("`{key}` refers to itself"), span);
        }
        let v = f();
        self.busy.borrow_mut().remove(&key);
        let at_use = has_span(&v, span).then_some(span);
        self.cache.borrow_mut().insert(key, (v.clone(), at_use));
        v
    }

    pub fn eval(&self, e: &Expr, scope: &Scope) -> Node {
        self.expr(&e.expr, e.base, scope)
    }

    pub fn expr(&self, expr: &Expression, base: usize, scope: &Scope) -> Node {
        let span = span_of(expr, base);
        if !self.env.enter() {
            return unresolved("the expression is nested too deeply to evaluate", span);
        }
        let v = self.expr_inner(expr, base, scope, span);
        self.env.leave();
        v
    }

    /// Reads a file for `file()`/`templatefile()`: relative to the root module's folder (the
    /// working directory), as Terraform does; `path.module` gives absolute paths.
    pub fn read_file(&self, path: &str) -> Result<(PathBuf, usize, String), String> {
        let root = self
            .chain
            .first()
            .cloned()
            .unwrap_or_else(|| self.module.dir.clone());
        let full = normalize(&if Path::new(path).is_absolute() {
            PathBuf::from(path)
        } else {
            root.join(path)
        });
        let name = (self.env.name_of)(&full);
        let file = crate::source::SourceFile::read(&full, name.clone())
            .map_err(|e| format!("cannot read `{path}`: {}", e.message))?;
        let base = self.env.sources.borrow_mut().add(&full, name, &file.text);
        Ok((full, base, file.text))
    }
}

/// The scope of one unknown instance: `count.index` and `each` are unknown.
fn unknown_instance(why: &str, span: Span) -> Vec<(String, Node)> {
    let u = unresolved(why, span);
    vec![
        ("count".into(), obj(vec![("index", u.clone())], span)),
        (
            "each".into(),
            obj(vec![("key", u.clone()), ("value", u)], span),
        ),
    ]
}

/// Whether any node or key of a tree has `span`.
fn has_span(node: &Node, span: Span) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.span == span {
            return true;
        }
        match &n.kind {
            NodeKind::Array(items) => stack.extend(items),
            NodeKind::Object(members) => {
                if members.iter().any(|m| m.key_span == span) {
                    return true;
                }
                stack.extend(members.iter().map(|m| &m.value));
            }
            _ => {}
        }
    }
    false
}

/// Gives the nodes and keys of a tree at `from` the span `to`; others keep theirs. A span is
/// the text of one expression, so only what was made at the use `from` has it.
fn move_span(node: &mut Node, from: Span, to: Span) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.span == from {
            n.span = to;
        }
        match &mut n.kind {
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => {
                for m in members.iter_mut() {
                    if m.key_span == from {
                        m.key_span = to;
                    }
                    stack.push(&mut m.value);
                }
            }
            _ => {}
        }
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (paths are shown to users).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

pub fn obj(members: Vec<(&str, Node)>, span: Span) -> Node {
    Node::new(
        NodeKind::Object(
            members
                .into_iter()
                .map(|(k, v)| Member {
                    key: k.to_string(),
                    key_span: span,
                    value: v,
                })
                .collect(),
        ),
        span,
    )
}

pub fn number(n: &Node) -> Option<f64> {
    match &n.kind {
        NodeKind::Number(s) | NodeKind::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

pub fn num_node(n: f64, span: Span) -> Node {
    let text = if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    };
    Node::new(NodeKind::Number(text), span)
}

pub fn truth(n: &Node) -> Result<bool, String> {
    match &n.kind {
        NodeKind::Bool(b) => Ok(*b),
        NodeKind::String(s) if s == "true" => Ok(true),
        NodeKind::String(s) if s == "false" => Ok(false),
        _ => Err(unknown_reason(n).unwrap_or_else(|| format!("a condition is {}", n.type_name()))),
    }
}

/// (key, value) pairs of a list (index keys) or map, for `for` and `dynamic`.
pub fn iterate(coll: &Node) -> Result<Vec<(Node, Node)>, String> {
    match &coll.kind {
        NodeKind::Array(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| (num_node(i as f64, v.span), v.clone()))
            .collect()),
        NodeKind::Object(members) => Ok(sorted_members(members)
            .into_iter()
            .map(|m| {
                (
                    Node::new(NodeKind::String(m.key.clone()), m.key_span),
                    m.value.clone(),
                )
            })
            .collect()),
        NodeKind::Null => Ok(Vec::new()),
        _ => Err(unknown_reason(coll)
            .unwrap_or_else(|| format!("cannot iterate over {}", coll.type_name()))),
    }
}

/// Terraform iterates maps and objects in key order, whatever order they are written in.
pub fn sorted_members(members: &[Member]) -> Vec<&Member> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    sorted
}
/// Terraform's equality: same type and value (numbers by value).
pub fn equal(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Number(_), NodeKind::Number(_)) => number(a) == number(b),
        (NodeKind::String(x), NodeKind::String(y)) => x == y,
        (NodeKind::Bool(x), NodeKind::Bool(y)) => x == y,
        (NodeKind::Null, NodeKind::Null) => true,
        (NodeKind::Array(x), NodeKind::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (NodeKind::Object(x), NodeKind::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|m| b.get(&m.key).is_some_and(|v| equal(&m.value, v)))
        }
        _ => false,
    }
}
