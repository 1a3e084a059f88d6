//! What a traversal starts from: iteration variables, `var.`, `local.`, `path.`, `module.`,
//! `data.`, `count`/`each`, and resources of the configuration.

use super::*;

impl<'e> Instance<'e> {
    /// A traversal from a root name: `var.x`, `local.y`, `aws_iam_role.exec.arn`, …
    pub(super) fn root(
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
                    // No value at all: it stands at the declaration, for want of a text that
                    // holds it. Each use is unknown where it is written instead (as a
                    // CloudFormation parameter without a default), so that two uses differ.
                    Some(Node {
                        kind: NodeKind::Unresolved(why),
                        span: at,
                    }) if self
                        .module
                        .variables
                        .iter()
                        .any(|d| d.name == v && d.span == *at) =>
                    {
                        unresolved(why.clone(), span)
                    }
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
}
