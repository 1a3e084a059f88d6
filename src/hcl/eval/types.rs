//! Variable types, as far as defaults go: `optional(T, default)` attributes of `object({…})`.

use super::*;

impl<'e> Instance<'e> {
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
}
