//! Data sources: those evaluated from the configuration (`aws_region`, `aws_caller_identity`,
//! `aws_partition`, `aws_iam_policy_document`, `template_file`); the others read the account
//! and are unknown.

use super::*;

impl<'e> Instance<'e> {
    pub(super) fn data_ref(
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

    pub(super) fn data_attribute(&self, data: &BlockAt, key: &Key, attr: &str, span: Span) -> Node {
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
                crate::hcl::funcs::template_file(self, data, &scope, span)
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
                    let doc = crate::hcl::funcs::policy_document(self, data, &scope);
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
}
