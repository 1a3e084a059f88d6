//! Evaluating a module's expressions into [`Node`] trees, the same values the plan reader
//! produces: known values with the span of the text they come from, links to resources of the
//! configuration (`ResourceRef`), and `Unresolved` values with a reason. Nothing here fails:
//! what cannot be evaluated is unknown, never an error and never a guess.

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
    /// `--var-file` files and `--var` values, in command-line order.
    pub var_files: Vec<PathBuf>,
    pub vars: Vec<(String, String)>,
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
    cache: RefCell<HashMap<String, Node>>,
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
    fn memo(&self, key: String, span: Span, f: impl FnOnce() -> Node) -> Node {
        if let Some(v) = self.cache.borrow().get(&key) {
            return v.clone();
        }
        if !self.busy.borrow_mut().insert(key.clone()) {
            return unresolved(format!("`{key}` refers to itself"), span);
        }
        let v = f();
        self.busy.borrow_mut().remove(&key);
        self.cache.borrow_mut().insert(key, v.clone());
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

    fn expr_inner(&self, expr: &Expression, base: usize, scope: &Scope, span: Span) -> Node {
        match expr {
            Expression::Null(_) => Node::new(NodeKind::Null, span),
            Expression::Bool(b) => Node::new(NodeKind::Bool(*b.value()), span),
            Expression::Number(n) => Node::new(NodeKind::Number(n.value().to_string()), span),
            Expression::String(s) => {
                let node = Node::new(NodeKind::String(s.value().to_string()), span);
                // Without escapes, the text between the quotes is the value, character for
                // character: JSON read out of it keeps exact places.
                if span.len() == s.value().len() + 2 && s.value().len() > 1 {
                    let inner = Span::new(span.start as usize + 1, span.end as usize - 1);
                    self.env.remember_origin(
                        &node,
                        StringOrigin {
                            text: s.value().to_string(),
                            segs: vec![Seg {
                                out_start: 0,
                                out_end: s.value().len(),
                                src: inner,
                                exact: true,
                                value_span: None,
                            }],
                            unknowns: Vec::new(),
                        },
                    );
                }
                node
            }
            Expression::Array(a) => {
                let items = a.iter().map(|e| self.expr(e, base, scope)).collect();
                Node::new(NodeKind::Array(items), span)
            }
            Expression::Object(o) => {
                let mut members: Vec<Member> = Vec::new();
                for (k, v) in o.iter() {
                    let key_span = match k {
                        ObjectKey::Ident(i) => span_of(i, base),
                        ObjectKey::Expression(e) => span_of(e, base),
                    };
                    if self
                        .env
                        .sources
                        .borrow()
                        .dropped_keys
                        .contains(&(key_span.start as usize))
                    {
                        continue;
                    }
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(e) => {
                            // `(var.x) = …` or `"a" = …`; a bare traversal as a key is its name.
                            let kv = match e {
                                Expression::Variable(v) => {
                                    Node::new(NodeKind::String(v.as_str().into()), key_span)
                                }
                                _ => self.expr(e, base, scope),
                            };
                            match kv.scalar_text() {
                                Some(t) => t.into_owned(),
                                None => {
                                    let why = unknown_reason(&kv)
                                        .unwrap_or_else(|| "an object key is not a string".into());
                                    return unresolved(why, span);
                                }
                            }
                        }
                    };
                    let value = self.expr(v.expr(), base, scope);
                    members.retain(|m| m.key != key);
                    members.push(Member {
                        key,
                        key_span,
                        value,
                    });
                }
                Node::new(NodeKind::Object(members), span)
            }
            Expression::StringTemplate(t) => {
                let elements: Vec<&Element> = t.iter().collect();
                self.template(&elements, base, scope, span)
            }
            Expression::HeredocTemplate(h) => {
                let elements: Vec<&Element> = h.template.iter().collect();
                self.template(&elements, base, scope, span)
            }
            Expression::Parenthesis(p) => self.expr(p.inner(), base, scope),
            Expression::Variable(v) => self.root(v.as_str(), &[], base, scope, span),
            Expression::Conditional(c) => {
                let cond = self.expr(&c.cond_expr, base, scope);
                match truth(&cond) {
                    Ok(true) => self.expr(&c.true_expr, base, scope),
                    Ok(false) => self.expr(&c.false_expr, base, scope),
                    Err(why) => unresolved(why, span),
                }
            }
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                let namespaced = !f.name.namespace.is_empty();
                let args: Vec<&Expression> = f.args.iter().collect();
                if namespaced {
                    return unresolved(
                        format!("the provider function `{name}` is not evaluated"),
                        span,
                    );
                }
                super::funcs::call(self, name, &args, f.args.expand_final(), base, scope, span)
            }
            Expression::Traversal(t) => {
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                match &t.expr {
                    Expression::Variable(v) => self.root(v.as_str(), &ops, base, scope, span),
                    other => {
                        let v = self.expr(other, base, scope);
                        self.apply_ops(v, &ops, base, scope, span)
                    }
                }
            }
            Expression::UnaryOp(u) => {
                let v = self.expr(&u.expr, base, scope);
                if let Some(why) = unknown_reason(&v) {
                    return unresolved(why, span);
                }
                match (u.operator.value(), &v.kind) {
                    (UnaryOperator::Not, NodeKind::Bool(b)) => Node::new(NodeKind::Bool(!b), span),
                    (UnaryOperator::Neg, _) => match number(&v) {
                        Some(n) => num_node(-n, span),
                        None => unresolved("`-` of a value that is not a number", span),
                    },
                    _ => unresolved("`!` of a value that is not a boolean", span),
                }
            }
            Expression::BinaryOp(b) => {
                let op = *b.operator.value();
                let l = self.expr(&b.lhs_expr, base, scope);
                // `&&` / `||` with a known deciding side need not know the other.
                if let NodeKind::Bool(lb) = l.kind
                    && ((op == BinaryOperator::And && !lb) || (op == BinaryOperator::Or && lb))
                {
                    return Node::new(NodeKind::Bool(lb), span);
                }
                let r = self.expr(&b.rhs_expr, base, scope);
                binary(op, &l, &r, span)
            }
            Expression::ForExpr(f) => self.for_expr(f, base, scope, span),
        }
    }

    fn for_expr(
        &self,
        f: &hcl_edit::expr::ForExpr,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Node {
        let coll = self.expr(&f.intro.collection_expr, base, scope);
        let pairs = match iterate(&coll) {
            Ok(p) => p,
            Err(why) => return unresolved(why, span),
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut items = Vec::new();
        let mut members: Vec<Member> = Vec::new();
        for (k, v) in pairs {
            let mut vars = vec![(value_var.clone(), v)];
            if let Some(kv) = &key_var {
                vars.push((kv.clone(), k));
            }
            let inner = scope.child(vars);
            if let Some(cond) = &f.cond {
                let c = self.expr(&cond.expr, base, &inner);
                match truth(&c) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(why) => return unresolved(why, span),
                }
            }
            let value = self.expr(&f.value_expr, base, &inner);
            match &f.key_expr {
                Some(ke) => {
                    let key = self.expr(ke, base, &inner);
                    let Some(key_text) = key.scalar_text().map(|t| t.into_owned()) else {
                        let why = unknown_reason(&key)
                            .unwrap_or_else(|| "a `for` key is not a string".into());
                        return unresolved(why, span);
                    };
                    if f.grouping {
                        match members.iter_mut().find(|m| m.key == key_text) {
                            Some(m) => {
                                if let NodeKind::Array(items) = &mut m.value.kind {
                                    items.push(value);
                                }
                            }
                            None => members.push(Member {
                                key: key_text,
                                key_span: key.span,
                                value: Node::new(NodeKind::Array(vec![value]), span),
                            }),
                        }
                    } else {
                        members.retain(|m| m.key != key_text);
                        members.push(Member {
                            key: key_text,
                            key_span: key.span,
                            value,
                        });
                    }
                }
                None => items.push(value),
            }
        }
        if f.key_expr.is_some() {
            Node::new(NodeKind::Object(members), span)
        } else {
            Node::new(NodeKind::Array(items), span)
        }
    }

    /// A string template or heredoc: known parts joined; an unknown part makes the string
    /// unknown (its origin, with placeholders, is kept for reading JSON out of it).
    pub fn template(&self, elements: &[&Element], base: usize, scope: &Scope, span: Span) -> Node {
        // A single interpolation (`"${var.x}"`) is the value itself (with the place it is
        // written, a variable default for instance).
        if let [Element::Interpolation(i)] = elements {
            let v = self.expr(&i.expr, base, scope);
            return match &v.kind {
                NodeKind::String(_) => v,
                NodeKind::Number(_) | NodeKind::Bool(_) => Node::new(
                    NodeKind::String(v.scalar_text().unwrap_or_default().into_owned()),
                    v.span,
                ),
                NodeKind::Unresolved(_) | NodeKind::ResourceRef { .. } => v,
                _ => unresolved(format!("a template interpolates {}", v.type_name()), span),
            };
        }
        let mut origin = StringOrigin {
            text: String::new(),
            segs: Vec::new(),
            unknowns: Vec::new(),
        };
        if let Err(why) = self.template_into(elements, base, scope, &mut origin, 0) {
            return unresolved(why, span);
        }
        let node = if origin.unknowns.is_empty() {
            Node::new(NodeKind::String(origin.text.clone()), span)
        } else {
            unresolved(origin.unknowns[0].clone(), span)
        };
        self.env.remember_origin(&node, origin);
        node
    }

    fn template_into(
        &self,
        elements: &[&Element],
        base: usize,
        scope: &Scope,
        out: &mut StringOrigin,
        depth: usize,
    ) -> Result<(), String> {
        if depth > 32 {
            return Err("template directives nested too deeply".into());
        }
        for el in elements {
            match el {
                Element::Literal(lit) => {
                    let src = span_of(lit, base);
                    let start = out.text.len();
                    out.text.push_str(lit.as_str());
                    // Literal text maps one to one only when the source is the same text
                    // (not so with escapes or a dedented heredoc).
                    let exact = src.len() == lit.len();
                    out.segs.push(Seg {
                        out_start: start,
                        out_end: out.text.len(),
                        src,
                        exact,
                        value_span: None,
                    });
                }
                Element::Interpolation(i) => {
                    let v = self.expr(&i.expr, base, scope);
                    let src = span_of(&i.expr, base);
                    let start = out.text.len();
                    let value_span = (matches!(v.kind, NodeKind::String(_))
                        && (v.span.end <= src.start || v.span.start >= src.end))
                        .then_some(v.span);
                    match (&v.kind, unknown_reason(&v)) {
                        (_, Some(why)) => {
                            let n = out.unknowns.len();
                            out.unknowns.push(why);
                            out.text
                                .push_str(&format!("{UNKNOWN_MARK}{n}{UNKNOWN_MARK}"));
                        }
                        (NodeKind::Null, _) => {
                            return Err("a template interpolates null".into());
                        }
                        _ => match v.scalar_text() {
                            Some(t) => out.text.push_str(&t),
                            None => {
                                return Err(format!("a template interpolates {}", v.type_name()));
                            }
                        },
                    }
                    out.segs.push(Seg {
                        out_start: start,
                        out_end: out.text.len(),
                        src,
                        exact: false,
                        value_span,
                    });
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        let c = self.expr(&ifd.if_expr.cond_expr, base, scope);
                        match truth(&c)? {
                            true => {
                                let els: Vec<&Element> = ifd.if_expr.template.iter().collect();
                                self.template_into(&els, base, scope, out, depth + 1)?;
                            }
                            false => {
                                if let Some(e) = &ifd.else_expr {
                                    let els: Vec<&Element> = e.template.iter().collect();
                                    self.template_into(&els, base, scope, out, depth + 1)?;
                                }
                            }
                        }
                    }
                    Directive::For(ford) => {
                        let f = &ford.for_expr;
                        let coll = self.expr(&f.collection_expr, base, scope);
                        let pairs = iterate(&coll)?;
                        let els: Vec<&Element> = f.template.iter().collect();
                        for (k, v) in pairs {
                            let mut vars = vec![(f.value_var.as_str().to_string(), v)];
                            if let Some(kv) = &f.key_var {
                                vars.push((kv.as_str().to_string(), k));
                            }
                            let inner = scope.child(vars);
                            self.template_into(&els, base, &inner, out, depth + 1)?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    /// A traversal from a root name: `var.x`, `local.y`, `aws_iam_role.exec.arn`, …
    fn root(
        &self,
        name: &str,
        ops: &[&TraversalOperator],
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Node {
        if let Some(v) = scope.get(name) {
            return self.apply_ops(v.clone(), ops, base, scope, span);
        }
        if scope.template {
            return unresolved(
                format!("`{name}` is not a variable passed to the template"),
                span,
            );
        }
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
            _ => None,
        };
        match name {
            "var" => {
                let Some(v) = attr(0) else {
                    return unresolved("`var` without a variable name", span);
                };
                let value = match self.vars.get(&v) {
                    Some(value) => value.clone(),
                    None => unresolved(format!("variable `{v}` has no value"), span),
                };
                if ops.len() == 1
                    && matches!(
                        value.kind,
                        NodeKind::String(_) | NodeKind::Number(_) | NodeKind::Bool(_)
                    )
                    && (value.span.end <= span.start || value.span.start >= span.end)
                {
                    let mut sources = self.env.value_sources.borrow_mut();
                    let entry = (value.span, span, format!("var.{v}"));
                    if !sources.contains(&entry) {
                        sources.push(entry);
                    }
                }
                self.apply_ops(value, &ops[1..], base, scope, span)
            }
            "local" => {
                let Some(l) = attr(0) else {
                    return unresolved("`local` without a name", span);
                };
                let value = match self.module.locals.get(&l) {
                    Some(e) => {
                        let e = e.clone();
                        self.memo(format!("local.{l}"), span, || {
                            self.eval(&e, &Scope::default())
                        })
                    }
                    None => unresolved(format!("`local.{l}` is not defined"), span),
                };
                self.apply_ops(value, &ops[1..], base, scope, span)
            }
            "path" => {
                let dir = match attr(0).as_deref() {
                    Some("module") => self.module.dir.clone(),
                    Some("root") | Some("cwd") => self
                        .chain
                        .first()
                        .cloned()
                        .unwrap_or_else(|| self.module.dir.clone()),
                    _ => return unresolved("unknown `path` attribute", span),
                };
                let value = Node::new(NodeKind::String(path_text(&dir)), span);
                self.apply_ops(value, &ops[1..], base, scope, span)
            }
            "terraform" => match attr(0).as_deref() {
                Some("workspace") => Node::new(NodeKind::String("default".into()), span),
                _ => unresolved("`terraform.*` is not evaluated", span),
            },
            "count" | "each" | "self" => unresolved(
                format!("`{name}` is used outside a block that defines it"),
                span,
            ),
            "module" => {
                let Some(call) = attr(0) else {
                    return unresolved("`module` without a module name", span);
                };
                let value = self.module_value(&call, span);
                self.apply_ops(value, &ops[1..], base, scope, span)
            }
            "data" => {
                let (Some(kind), Some(dname)) = (attr(0), attr(1)) else {
                    return unresolved("a data reference without a type and name", span);
                };
                self.data_ref(&kind, &dname, &ops[2..], base, scope, span)
            }
            _ => {
                let Some(rname) = attr(0) else {
                    return unresolved(format!("`{name}` is not defined"), span);
                };
                match self.module.resource(name, &rname) {
                    Some(_) => self.resource_ref(name, &rname, &ops[1..], base, scope, span),
                    None => unresolved(
                        format!("`{name}.{rname}` is not a resource of this module"),
                        span,
                    ),
                }
            }
        }
    }

    /// `.x`, `[i]`, `[*]` applied to a value.
    fn apply_ops(
        &self,
        mut v: Node,
        ops: &[&TraversalOperator],
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Node {
        let mut i = 0;
        while i < ops.len() {
            if let Some(why) = unknown_reason(&v) {
                return unresolved(why, span);
            }
            match ops[i] {
                TraversalOperator::GetAttr(a) => {
                    v = match v.get(a.as_str()) {
                        Some(x) => x.clone(),
                        None if v.is_object() => {
                            return unresolved(format!("no attribute `{}`", a.as_str()), span);
                        }
                        None => {
                            return unresolved(
                                format!("`.{}` of {}", a.as_str(), v.type_name()),
                                span,
                            );
                        }
                    };
                }
                TraversalOperator::Index(e) => {
                    let k = self.expr(e, base, scope);
                    v = index(&v, &k, span);
                }
                TraversalOperator::LegacyIndex(n) => {
                    let k = Node::new(NodeKind::Number(n.value().to_string()), span);
                    v = index(&v, &k, span);
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let rest = &ops[i + 1..];
                    let items: Vec<Node> = match &v.kind {
                        NodeKind::Array(items) => items.clone(),
                        NodeKind::Null => Vec::new(),
                        _ => vec![v.clone()],
                    };
                    let out = items
                        .into_iter()
                        .map(|item| self.apply_ops(item, rest, base, scope, span))
                        .collect();
                    return Node::new(NodeKind::Array(out), v.span);
                }
            }
            i += 1;
        }
        v
    }

    // -----------------------------------------------------------------------------------------
    // Resources

    /// The instances of a `resource`/`module` block from its `count` or `for_each`.
    pub fn instances(&self, body: &Body, base: usize) -> Instances {
        let scope = Scope::default();
        if let Some(a) = body.get_attribute("count") {
            let v = self.expr(&a.value, base, &scope);
            return match number(&v) {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && (n as usize) <= MAX_INSTANCES => {
                    Instances::Known(
                        (0..n as usize)
                            .map(|i| {
                                let count =
                                    obj(vec![("index", num_node(i as f64, v.span))], v.span);
                                (Key::Index(i), vec![("count".to_string(), count)])
                            })
                            .collect(),
                    )
                }
                Some(_) => Instances::Unknown(format!(
                    "`count` is not a whole number up to {MAX_INSTANCES}"
                )),
                None => Instances::Unknown(
                    unknown_reason(&v)
                        .unwrap_or_else(|| format!("`count` is {}, not a number", v.type_name())),
                ),
            };
        }
        if let Some(a) = body.get_attribute("for_each") {
            let v = self.expr(&a.value, base, &scope);
            let mut pairs: Vec<(String, Node)> = match &v.kind {
                NodeKind::Object(members) => members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.clone()))
                    .collect(),
                NodeKind::Array(items) => {
                    let mut out = Vec::new();
                    for item in items {
                        match item.as_str() {
                            Some(s) => {
                                if !out.iter().any(|(k, _): &(String, Node)| k == s) {
                                    out.push((s.to_string(), item.clone()));
                                }
                            }
                            None => {
                                return Instances::Unknown(unknown_reason(item).unwrap_or_else(
                                    || "`for_each` is a set of values that are not strings".into(),
                                ));
                            }
                        }
                    }
                    out
                }
                _ => {
                    return Instances::Unknown(unknown_reason(&v).unwrap_or_else(|| {
                        format!("`for_each` is {}, not a map or set", v.type_name())
                    }));
                }
            };
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            if pairs.len() > MAX_INSTANCES {
                return Instances::Unknown(format!(
                    "`for_each` has more than {MAX_INSTANCES} items"
                ));
            }
            return Instances::Known(
                pairs
                    .into_iter()
                    .map(|(k, value)| {
                        let each = obj(
                            vec![
                                ("key", Node::new(NodeKind::String(k.clone()), value.span)),
                                ("value", value.clone()),
                            ],
                            value.span,
                        );
                        (Key::Name(k), vec![("each".to_string(), each)])
                    })
                    .collect(),
            );
        }
        Instances::Known(vec![(Key::None, Vec::new())])
    }

    /// The scope of one instance (`count.index`, `each.key`) of a resource, by key.
    fn instance_scope(&self, res: &BlockAt, key: &Key) -> Result<Vec<(String, Node)>, String> {
        match self.instances(&res.body, res.base) {
            Instances::Known(list) => list
                .into_iter()
                .find(|(k, _)| k == key)
                .map(|(_, s)| s)
                .ok_or_else(|| {
                    format!("`{}.{}{}` does not exist", res.kind, res.name, key.suffix())
                }),
            Instances::Unknown(why) => Err(why),
        }
    }

    fn address(&self, kind: &str, name: &str, key: &Key) -> String {
        format!("{}{kind}.{name}{}", self.prefix, key.suffix())
    }

    fn resource_ref(
        &self,
        kind: &str,
        name: &str,
        ops: &[&TraversalOperator],
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Node {
        let Some(res) = self.module.resource(kind, name) else {
            return unresolved(format!("`{kind}.{name}` is not defined"), span);
        };
        let counted = res.body.get_attribute("count").is_some()
            || res.body.get_attribute("for_each").is_some();
        if !counted {
            return self.instance_ref(res, &Key::None, ops, base, scope, span);
        }
        match ops.first() {
            Some(TraversalOperator::Index(e)) => {
                let k = self.expr(e, base, scope);
                let key = match (&k.kind, number(&k)) {
                    (NodeKind::String(s), _) if res.body.get_attribute("for_each").is_some() => {
                        Key::Name(s.clone())
                    }
                    (_, Some(n)) if n >= 0.0 && n.fract() == 0.0 => Key::Index(n as usize),
                    _ => {
                        return unresolved(
                            unknown_reason(&k).unwrap_or_else(|| "an invalid instance key".into()),
                            span,
                        );
                    }
                };
                self.instance_ref(res, &key, &ops[1..], base, scope, span)
            }
            Some(TraversalOperator::LegacyIndex(n)) => self.instance_ref(
                res,
                &Key::Index(*n.value() as usize),
                &ops[1..],
                base,
                scope,
                span,
            ),
            Some(TraversalOperator::AttrSplat(_))
            | Some(TraversalOperator::FullSplat(_))
            | None => {
                let keys = match self.instances(&res.body, res.base) {
                    Instances::Known(list) => list,
                    Instances::Unknown(why) => return unresolved(why, span),
                };
                let rest = if ops.is_empty() { ops } else { &ops[1..] };
                if ops.is_empty() && res.body.get_attribute("for_each").is_some() {
                    // The whole map of instances.
                    let members = keys
                        .iter()
                        .map(|(k, _)| Member {
                            key: match k {
                                Key::Name(n) => n.clone(),
                                _ => String::new(),
                            },
                            key_span: span,
                            value: self.instance_ref(res, k, &[], base, scope, span),
                        })
                        .collect();
                    return Node::new(NodeKind::Object(members), span);
                }
                let items = keys
                    .iter()
                    .map(|(k, _)| self.instance_ref(res, k, rest, base, scope, span))
                    .collect();
                Node::new(NodeKind::Array(items), span)
            }
            Some(TraversalOperator::GetAttr(_)) => unresolved(
                format!("`{kind}.{name}` has `count` or `for_each`: an instance key is needed"),
                span,
            ),
        }
    }

    /// An attribute of one resource instance (or the whole instance as an object).
    fn instance_ref(
        &self,
        res: &BlockAt,
        key: &Key,
        ops: &[&TraversalOperator],
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Node {
        let Some(TraversalOperator::GetAttr(a)) = ops.first() else {
            if ops.is_empty() {
                // The whole resource as a value: its arguments and a link for its id.
                let mut v = self.resource_values(res, key);
                if let NodeKind::Object(members) = &mut v.kind {
                    let computed: &[&str] = match res.kind.as_str() {
                        "aws_ecr_repository" => &["id", "arn", "repository_url", "registry_id"],
                        _ => &["id", "arn"],
                    };
                    for &attr in computed {
                        if !members.iter().any(|m| m.key == attr) {
                            members.push(Member {
                                key: attr.to_string(),
                                key_span: span,
                                value: self.attribute(res, key, attr, span),
                            });
                        }
                    }
                }
                return v;
            }
            return unresolved("an invalid resource reference", span);
        };
        let v = self.attribute(res, key, a.as_str(), span);
        self.apply_ops(v, &ops[1..], base, scope, span)
    }

    /// An attribute of a resource instance: its argument when the configuration sets it, a
    /// value the configuration determines (a repository's URL), else a link.
    fn attribute(&self, res: &BlockAt, key: &Key, attr: &str, span: Span) -> Node {
        let address = self.address(&res.kind, &res.name, key);
        let memo_key = format!("{address}.{attr}");
        self.memo(memo_key, span, || {
            let link = Node::new(
                NodeKind::ResourceRef {
                    id: address.clone(),
                    attribute: Some(attr.to_string()),
                },
                span,
            );
            let scope_vars = match self.instance_scope(res, key) {
                Ok(v) => v,
                Err(why) => unknown_instance(&why, span),
            };
            let scope = Scope {
                vars: scope_vars,
                ..Scope::default()
            };
            let arg = |name: &str| {
                res.body
                    .get_attribute(name)
                    .map(|a| self.expr(&a.value, res.base, &scope))
            };
            if let Some(v) = arg(attr) {
                // An argument not known here is still this resource's attribute: a link lets
                // the readers connect it (`role = aws_iam_role.x.name` with an unknown name).
                if matches!(v.kind, NodeKind::Unresolved(_)) {
                    return link;
                }
                return v;
            }
            if res.body.get_blocks(attr).next().is_some() {
                return self.blocks(&res.body, attr, res.base, &scope);
            }
            // Resources whose `id` is their name, and the argument that names them.
            let name_is_id = match res.kind.as_str() {
                "aws_iam_role"
                | "aws_ecr_repository"
                | "aws_cloudwatch_log_group"
                | "aws_iam_instance_profile"
                | "aws_iam_user"
                | "aws_iam_group"
                | "aws_ssm_parameter"
                | "aws_kms_alias" => Some("name"),
                "aws_s3_bucket" => Some("bucket"),
                _ => None,
            };
            match (res.kind.as_str(), attr) {
                (_, "id") if name_is_id.is_some() => name_is_id.and_then(arg).unwrap_or(link),
                ("aws_ecr_repository", "registry_id") => match &self.env.options.account {
                    Some(a) => Node::new(NodeKind::String(a.clone()), span),
                    None => link,
                },
                ("aws_ecr_repository", "repository_url") => {
                    let name = arg("name");
                    let (Some(account), Some(region)) =
                        (&self.env.options.account, self.env.region())
                    else {
                        return link;
                    };
                    match name {
                        Some(n) => match n.as_str() {
                            Some(s) => Node::new(
                                NodeKind::String(format!(
                                    "{account}.dkr.ecr.{region}.{}/{s}",
                                    dns_suffix(&region)
                                )),
                                n.span,
                            ),
                            None => n,
                        },
                        None => link,
                    }
                }
                ("aws_ecs_task_definition", "family") => arg("family").unwrap_or(link),
                _ => link,
            }
        })
    }

    /// Every argument and block of a resource instance, evaluated: the resource's properties,
    /// shaped as in a plan (blocks are lists of objects).
    pub fn resource_values(&self, res: &BlockAt, key: &Key) -> Node {
        let span = res.span;
        let vars = match self.instance_scope(res, key) {
            Ok(v) => v,
            Err(why) => unknown_instance(&why, span),
        };
        let scope = Scope {
            vars,
            ..Scope::default()
        };
        self.body_values(&res.body, res.base, &scope, true)
    }

    /// A body's attributes and blocks as an object.
    pub fn body_values(&self, body: &Body, base: usize, scope: &Scope, top: bool) -> Node {
        const META: [&str; 5] = ["count", "for_each", "provider", "depends_on", "lifecycle"];
        let mut members: Vec<Member> = Vec::new();
        let mut block_names: Vec<String> = Vec::new();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    if top && META.contains(&a.key.as_str()) {
                        continue;
                    }
                    let value = self.expr(&a.value, base, scope);
                    members.push(Member {
                        key: a.key.as_str().to_string(),
                        key_span: span_of(&a.key, base),
                        value,
                    });
                }
                Structure::Block(b) => {
                    let name = if b.ident.as_str() == "dynamic" {
                        match b.labels.first() {
                            Some(l) => l.as_str().to_string(),
                            None => continue,
                        }
                    } else {
                        b.ident.as_str().to_string()
                    };
                    if ["lifecycle", "provisioner", "connection", "timeouts"]
                        .contains(&name.as_str())
                        && top
                    {
                        continue;
                    }
                    if !block_names.contains(&name) {
                        block_names.push(name);
                    }
                }
            }
        }
        for name in block_names {
            let key_span = body
                .iter()
                .find_map(|s| match s {
                    Structure::Block(b) if b.ident.as_str() == name.as_str() => {
                        Some(span_of(&b.ident, base))
                    }
                    Structure::Block(b)
                        if b.ident.as_str() == "dynamic"
                            && b.labels.first().is_some_and(|l| l.as_str() == name) =>
                    {
                        Some(span_of(&b.ident, base))
                    }
                    _ => None,
                })
                .unwrap_or_default();
            let value = self.blocks(body, &name, base, scope);
            members.push(Member {
                key: name,
                key_span,
                value,
            });
        }
        let span = body
            .iter()
            .next()
            .map(|s| match s {
                Structure::Attribute(a) => span_of(&a.key, base),
                Structure::Block(b) => span_of(&b.ident, base),
            })
            .unwrap_or_default();
        Node::new(NodeKind::Object(members), span)
    }

    /// The blocks named `name` of a body (static and `dynamic`), in order, as a list of
    /// objects. An unknown `dynamic` block makes the whole list unknown.
    pub fn blocks(&self, body: &Body, name: &str, base: usize, scope: &Scope) -> Node {
        let mut items = Vec::new();
        let mut span = None::<Span>;
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            let at = span_of(&b.ident, base);
            if b.ident.as_str() == name {
                span = Some(span.map_or(at, |s| s.join(at)));
                items.push(self.body_values(&b.body, base, scope, false));
            } else if b.ident.as_str() == "dynamic"
                && b.labels.first().is_some_and(|l| l.as_str() == name)
            {
                span = Some(span.map_or(at, |s| s.join(at)));
                let iterator = b
                    .body
                    .get_attribute("iterator")
                    .and_then(|a| match &a.value {
                        Expression::Variable(v) => Some(v.as_str().to_string()),
                        _ => None,
                    })
                    .unwrap_or_else(|| name.to_string());
                let Some(for_each) = b.body.get_attribute("for_each") else {
                    continue;
                };
                let coll = self.expr(&for_each.value, base, scope);
                let pairs = match iterate(&coll) {
                    Ok(p) => p,
                    Err(why) => {
                        return unresolved(format!("the `{name}` blocks are not known: {why}"), at);
                    }
                };
                let Some(content) = b.body.get_blocks("content").next() else {
                    continue;
                };
                for (k, v) in pairs {
                    let it = obj(vec![("key", k), ("value", v)], at);
                    let inner = scope.child(vec![(iterator.clone(), it)]);
                    items.push(self.body_values(&content.body, base, &inner, false));
                }
            }
        }
        Node::new(NodeKind::Array(items), span.unwrap_or_default())
    }

    // -----------------------------------------------------------------------------------------
    // Data sources

    fn data_ref(
        &self,
        kind: &str,
        name: &str,
        ops: &[&TraversalOperator],
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Node {
        let Some(data) = self.module.data_source(kind, name) else {
            return unresolved(format!("`data.{kind}.{name}` is not defined"), span);
        };
        let data = data.clone();
        // `data.x.y[0].json` with count: the same for every instance here.
        let mut ops = ops;
        let mut key = Key::None;
        if let Some(TraversalOperator::Index(e)) = ops.first() {
            let k = self.expr(e, base, scope);
            key = match (&k.kind, number(&k)) {
                (NodeKind::String(s), _) => Key::Name(s.clone()),
                (_, Some(n)) => Key::Index(n.max(0.0) as usize),
                _ => return unresolved(unknown_reason(&k).unwrap_or_default(), span),
            };
            ops = &ops[1..];
        }
        let Some(TraversalOperator::GetAttr(attr)) = ops.first() else {
            return unresolved(
                format!("`data.{kind}.{name}` as a whole is not evaluated"),
                span,
            );
        };
        let attr = attr.as_str().to_string();
        let v = self.data_attribute(&data, &key, &attr, span);
        self.apply_ops(v, &ops[1..], base, scope, span)
    }

    fn data_attribute(&self, data: &BlockAt, key: &Key, attr: &str, span: Span) -> Node {
        let live = || {
            unresolved(
                format!(
                    "`data.{}.{}` reads the live account: its `{attr}` is not known before apply",
                    data.kind, data.name
                ),
                span,
            )
        };
        match (data.kind.as_str(), attr) {
            ("aws_region", "name" | "id" | "region") => match self.env.region() {
                Some(r) => Node::new(NodeKind::String(r), span),
                None => unresolved(
                    "the region is not known (give `--region`)".to_string(),
                    span,
                ),
            },
            ("aws_caller_identity", "account_id" | "id") => match &self.env.options.account {
                Some(a) => Node::new(NodeKind::String(a.clone()), span),
                None => unresolved("the account is not known (give `--account`)", span),
            },
            ("aws_partition", "partition" | "id") => {
                Node::new(NodeKind::String(self.env.partition().to_string()), span)
            }
            ("aws_partition", "dns_suffix") => Node::new(
                NodeKind::String(dns_suffix(&self.env.region().unwrap_or_default()).to_string()),
                span,
            ),
            ("template_file", "rendered") => {
                let scope_vars = match self.instance_scope(data, key) {
                    Ok(v) => v,
                    Err(why) => unknown_instance(&why, span),
                };
                let scope = Scope {
                    vars: scope_vars,
                    ..Scope::default()
                };
                super::funcs::template_file(self, data, &scope, span)
            }
            ("aws_iam_policy_document", "json" | "minified_json") => {
                let address = format!(
                    "{}data.{}.{}{}",
                    self.prefix,
                    data.kind,
                    data.name,
                    key.suffix()
                );
                let scope_vars = match self.instance_scope(data, key) {
                    Ok(v) => v,
                    Err(_) if *key == Key::None => Vec::new(),
                    Err(why) => return unresolved(why, span),
                };
                self.memo(format!("{address}.json"), span, || {
                    let scope = Scope {
                        vars: scope_vars,
                        ..Scope::default()
                    };
                    let doc = super::funcs::policy_document(self, data, &scope);
                    match doc {
                        Ok(structure) => {
                            let text =
                                serde_json::to_string(&structure.to_json()).unwrap_or_default();
                            let node = match first_unknown(&structure) {
                                Some(why) => unresolved(why, structure.span),
                                None => Node::new(NodeKind::String(text), structure.span),
                            };
                            self.env.remember_structure(&node, structure);
                            node
                        }
                        Err(why) => unresolved(why, span),
                    }
                })
            }
            _ => live(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Modules

    /// The instances of a module call that is read (a local source), created once.
    pub fn child(&self, name: &str) -> Option<Children<'e>> {
        if let Some(c) = self.children.borrow().get(name) {
            return Some(c.clone());
        }
        let call = self.module.call(name)?.clone();
        let children = Rc::new(self.instantiate(&call));
        self.children
            .borrow_mut()
            .insert(name.to_string(), children.clone());
        Some(children)
    }

    /// Reads a local module call: its folder parsed, its inputs evaluated here.
    fn instantiate(&self, call: &BlockAt) -> Result<Vec<(Key, Rc<Instance<'e>>)>, String> {
        let source = match call.body.get_attribute("source").map(|a| &a.value) {
            Some(Expression::String(s)) => s.value().to_string(),
            _ => return Err("the module `source` is not a literal string".into()),
        };
        if !(source.starts_with("./") || source.starts_with("../")) {
            return Err(format!("module source `{source}` is not a local folder"));
        }
        if self.chain.len() >= MAX_MODULE_DEPTH {
            return Err("local modules nested too deeply".into());
        }
        let dir = self.module.dir.join(&source);
        let dir = std::fs::canonicalize(&dir)
            .map_err(|_| format!("module folder `{source}` does not exist"))?;
        let boundary = std::fs::canonicalize(&self.env.options.boundary)
            .unwrap_or_else(|_| self.env.options.boundary.clone());
        if !dir.starts_with(&boundary) {
            return Err(format!(
                "module source `{source}` is outside the folder checked"
            ));
        }
        if self.chain.contains(&dir) {
            return Err(format!(
                "module source `{source}` calls a module that calls it (a cycle)"
            ));
        }
        let module = {
            let mut sources = self.env.sources.borrow_mut();
            load::load_module(&dir, &mut sources, &*self.env.name_of)
                .map_err(|e| e.error.message)?
        };
        let module = Rc::new(module);
        let keys = match self.instances(&call.body, call.base) {
            Instances::Known(k) => k,
            Instances::Unknown(why) => {
                let u = unresolved(why, call.span);
                vec![(
                    Key::None,
                    vec![
                        ("count".into(), obj(vec![("index", u.clone())], call.span)),
                        (
                            "each".into(),
                            obj(vec![("key", u.clone()), ("value", u)], call.span),
                        ),
                    ],
                )]
            }
        };
        let mut chain = self.chain.clone();
        chain.push(dir);
        let mut out = Vec::new();
        for (key, scope_vars) in keys {
            let scope = Scope {
                vars: scope_vars,
                ..Scope::default()
            };
            let mut vars = HashMap::new();
            for v in &module.variables {
                let value = match call.body.get_attribute(&v.name) {
                    Some(a) => self.expr(&a.value, call.base, &scope),
                    None => match &v.default {
                        Some(d) => self.expr(&d.expr, d.base, &Scope::default()),
                        None => unresolved(
                            format!(
                                "variable `{}` of module `{}` has no value",
                                v.name, call.name
                            ),
                            v.span,
                        ),
                    },
                };
                let value = match &v.type_expr {
                    Some(t) => self.apply_type(value, &t.expr, t.base, 0),
                    None => value,
                };
                vars.insert(v.name.clone(), value);
            }
            let prefix = format!("{}module.{}{}.", self.prefix, call.name, key.suffix());
            out.push((
                key,
                Rc::new(Instance::new(
                    self.env,
                    module.clone(),
                    prefix,
                    vars,
                    chain.clone(),
                )),
            ));
        }
        Ok(out)
    }

    /// A module call as a value: an object of its outputs (a list of them with `count`, a
    /// map with `for_each`).
    fn module_value(&self, call: &str, span: Span) -> Node {
        let Some(c) = self.module.call(call) else {
            return unresolved(format!("module `{call}` is not defined"), span);
        };
        let counted = c.body.get_attribute("count").is_some();
        let keyed = c.body.get_attribute("for_each").is_some();
        let Some(children) = self.child(call) else {
            return unresolved(format!("module `{call}` is not read"), span);
        };
        let children = match children.as_ref() {
            Ok(c) => c,
            Err(why) => return unresolved(format!("module `{call}` is not read: {why}"), span),
        };
        let outputs = |child: &Instance<'e>| -> Node {
            let mut names: Vec<&String> = child.module.outputs.keys().collect();
            names.sort();
            let members = names
                .into_iter()
                .map(|name| {
                    let e = child.module.outputs[name].clone();
                    let value = child.memo(format!("output.{name}"), span, || {
                        child.eval(&e, &Scope::default())
                    });
                    Member {
                        key: name.clone(),
                        key_span: e.span(),
                        value,
                    }
                })
                .collect();
            Node::new(NodeKind::Object(members), span)
        };
        if keyed {
            let members = children
                .iter()
                .map(|(k, child)| Member {
                    key: match k {
                        Key::Name(n) => n.clone(),
                        other => other.suffix(),
                    },
                    key_span: span,
                    value: outputs(child),
                })
                .collect();
            Node::new(NodeKind::Object(members), span)
        } else if counted {
            Node::new(
                NodeKind::Array(children.iter().map(|(_, c)| outputs(c)).collect()),
                span,
            )
        } else {
            match children.first() {
                Some((_, child)) => outputs(child),
                None => unresolved(format!("module `{call}` is not read"), span),
            }
        }
    }

    /// A value converted to its variable's type as far as defaults go: attributes an
    /// `object({…})` type marks `optional(T, default)` (or `optional(T)`: null) are added when
    /// the value does not set them, inside maps and lists too.
    pub fn apply_type(&self, value: Node, ty: &Expression, base: usize, depth: usize) -> Node {
        if depth > 16 {
            return value;
        }
        let Expression::FuncCall(call) = ty else {
            return value;
        };
        let args: Vec<&Expression> = call.args.iter().collect();
        match (call.name.name.as_str(), &value.kind) {
            ("map" | "list" | "set", NodeKind::Array(_) | NodeKind::Object(_)) => {
                let Some(inner) = args.first() else {
                    return value;
                };
                let mut value = value;
                match &mut value.kind {
                    NodeKind::Array(items) => {
                        for item in items.iter_mut() {
                            let v =
                                std::mem::replace(item, Node::new(NodeKind::Null, Span::default()));
                            *item = self.apply_type(v, inner, base, depth + 1);
                        }
                    }
                    NodeKind::Object(members) => {
                        for m in members.iter_mut() {
                            let v = std::mem::replace(
                                &mut m.value,
                                Node::new(NodeKind::Null, Span::default()),
                            );
                            m.value = self.apply_type(v, inner, base, depth + 1);
                        }
                    }
                    _ => {}
                }
                value
            }
            ("object", NodeKind::Object(_)) => {
                let Some(Expression::Object(attrs)) = args.first() else {
                    return value;
                };
                let mut value = value;
                let span = value.span;
                let NodeKind::Object(members) = &mut value.kind else {
                    return value;
                };
                for (k, v) in attrs.iter() {
                    let name = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                        _ => continue,
                    };
                    let attr_type = v.expr();
                    let (inner_type, default) = match attr_type {
                        Expression::FuncCall(f) if f.name.name.as_str() == "optional" => {
                            let a: Vec<&Expression> = f.args.iter().collect();
                            (a.first().copied(), Some(a.get(1).copied()))
                        }
                        other => (Some(other), None),
                    };
                    match members.iter_mut().find(|m| m.key == name) {
                        Some(m) => {
                            if let Some(t) = inner_type {
                                let v = std::mem::replace(
                                    &mut m.value,
                                    Node::new(NodeKind::Null, Span::default()),
                                );
                                m.value = self.apply_type(v, t, base, depth + 1);
                            }
                        }
                        None => {
                            let Some(default) = default else { continue };
                            let filled = match default {
                                Some(d) => {
                                    let v = self.expr(d, base, &Scope::default());
                                    match inner_type {
                                        Some(t) => self.apply_type(v, t, base, depth + 1),
                                        None => v,
                                    }
                                }
                                None => Node::new(NodeKind::Null, span),
                            };
                            members.push(Member {
                                key: name,
                                key_span: span,
                                value: filled,
                            });
                        }
                    }
                }
                value
            }
            _ => value,
        }
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

fn index(v: &Node, k: &Node, span: Span) -> Node {
    if let Some(why) = unknown_reason(k) {
        return unresolved(why, span);
    }
    match &v.kind {
        NodeKind::Array(items) => match number(k) {
            Some(n) if n >= 0.0 && (n as usize) < items.len() => items[n as usize].clone(),
            _ => unresolved("an index out of range", span),
        },
        NodeKind::Object(_) => match k.scalar_text() {
            Some(key) => v
                .get(&key)
                .cloned()
                .unwrap_or_else(|| unresolved(format!("no key `{key}`"), span)),
            None => unresolved("an invalid key", span),
        },
        _ => unresolved(format!("cannot index {}", v.type_name()), span),
    }
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

fn binary(op: BinaryOperator, l: &Node, r: &Node, span: Span) -> Node {
    use BinaryOperator::*;
    for side in [l, r] {
        if let Some(why) = unknown_reason(side) {
            // Comparing a link with null: a resource reference is never null.
            return unresolved(why, span);
        }
    }
    let b = |v: bool| Node::new(NodeKind::Bool(v), span);
    match op {
        Eq => b(equal(l, r)),
        NotEq => b(!equal(l, r)),
        And | Or => match (truth(l), truth(r)) {
            (Ok(x), Ok(y)) => b(if op == And { x && y } else { x || y }),
            _ => unresolved("`&&`/`||` of values that are not booleans", span),
        },
        _ => {
            let (Some(x), Some(y)) = (number(l), number(r)) else {
                return unresolved(
                    format!("`{}` of values that are not numbers", op.as_str()),
                    span,
                );
            };
            match op {
                Plus => num_node(x + y, span),
                Minus => num_node(x - y, span),
                Mul => num_node(x * y, span),
                Div if y != 0.0 => num_node(x / y, span),
                Mod if y != 0.0 => num_node(x % y, span),
                Div | Mod => unresolved("division by zero", span),
                Less => b(x < y),
                LessEq => b(x <= y),
                Greater => b(x > y),
                GreaterEq => b(x >= y),
                _ => unresolved("an operator that is not evaluated", span),
            }
        }
    }
}

/// Variables of a template read by `templatefile`.
pub fn template_scope(vars: Vec<(String, Node)>) -> Scope<'static> {
    Scope {
        vars,
        parent: None,
        template: true,
    }
}

/// Parses a template file's text (for `templatefile`).
pub fn parse_template(text: &str) -> Result<Template, String> {
    text.parse::<Template>()
        .map_err(|e| e.message().to_string())
}
