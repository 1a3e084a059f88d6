//! String templates and heredocs: the string, and where each part of it comes from
//! ([`StringOrigin`]), so JSON read out of it keeps spans.

use super::*;

impl<'e> Instance<'e> {
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

    pub(super) fn template_into(
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
