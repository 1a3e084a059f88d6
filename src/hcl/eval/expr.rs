//! Expressions: literals, operators, conditionals, `for` expressions, function calls and
//! the traversal operators (`.attr`, `[key]`, splats) applied to a value.

use super::*;

impl<'e> Instance<'e> {
    pub(super) fn expr_inner(
        &self,
        expr: &Expression,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Node {
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
                crate::hcl::funcs::call(self, name, &args, f.args.expand_final(), base, scope, span)
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

    pub(super) fn for_expr(
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

    /// `.x`, `[i]`, `[*]` applied to a value.
    pub(super) fn apply_ops(
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
}

pub(super) fn index(v: &Node, k: &Node, span: Span) -> Node {
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

pub(super) fn binary(op: BinaryOperator, l: &Node, r: &Node, span: Span) -> Node {
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
