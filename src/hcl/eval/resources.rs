//! Resources: their instances (`count`/`for_each`), their arguments and blocks as values, and
//! the attributes the configuration determines (`arn`, `repository_url`, `.id` where the ID is
//! the name: the `name_is_id` list in `attribute`).

use super::*;

impl<'e> Instance<'e> {
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
    pub(super) fn instance_scope(
        &self,
        res: &BlockAt,
        key: &Key,
    ) -> Result<Vec<(String, Node)>, String> {
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

    pub(super) fn address(&self, kind: &str, name: &str, key: &Key) -> String {
        format!("{}{kind}.{name}{}", self.prefix, key.suffix())
    }

    pub(super) fn resource_ref(
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
    pub(super) fn instance_ref(
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
    pub(super) fn attribute(&self, res: &BlockAt, key: &Key, attr: &str, span: Span) -> Node {
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
}
