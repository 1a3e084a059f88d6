//! Local module calls: their instances, their input variables, and their outputs.

use super::*;

impl<'e> Instance<'e> {
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
    pub(super) fn instantiate(
        &self,
        call: &BlockAt,
    ) -> Result<Vec<(Key, Rc<Instance<'e>>)>, String> {
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
    pub(super) fn module_value(&self, call: &str, span: Span) -> Node {
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
}
