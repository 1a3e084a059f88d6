//! Terraform plan JSON (`terraform show -json plan.out`), and `terraform show -json` of a state.
//!
//! Resources are read from `planned_values` (diagnostics point there); `resource_changes` only
//! says which values are unknown until apply; `configuration` links an unknown attribute to the
//! resource it comes from (`execution_role_arn = aws_iam_role.exec.arn`). Each resource is
//! read once.

use std::collections::HashMap;

use crate::parse::{Member, Node, NodeKind, embedded};
use crate::span::Span;

use super::{Document, Format, KeyStyle, Origin, Problem, Resource, TaskDefinition};

/// The reason given for a computed attribute the configuration does not set (its value is the
/// provider's default, known only after apply): readers may rely on the default it stands for.
pub const NOT_CONFIGURED: &str = "not set in the configuration: the provider computes it";

pub fn read(root: &Node, text: &str) -> Document {
    let mut doc = Document {
        format: Format::TerraformPlan,
        task_definitions: Vec::new(),
        resources: Vec::new(),
        problems: Vec::new(),
    };
    let unknowns = after_unknown_by_address(root);
    let expressions = configuration_expressions(root);
    let module = root
        .get("planned_values")
        .or_else(|| root.get("values"))
        .and_then(|v| v.get("root_module"));
    let mut resources = Vec::new();
    if let Some(module) = module {
        collect_resources(module, &mut resources);
    }
    let addresses: Vec<&str> = resources
        .iter()
        .filter_map(|r| r.get("address").and_then(Node::as_str))
        .collect();
    for res in &resources {
        let Some(address) = res.get("address").and_then(Node::as_str) else {
            continue;
        };
        let Some(kind) = res.get("type").and_then(Node::as_str) else {
            continue;
        };
        let address_span = res.get("address").map(|n| n.span).unwrap_or(res.span);
        let empty = Node::new(NodeKind::Object(Vec::new()), res.span);
        let values = res.get("values").unwrap_or(&empty);
        let unknown = unknowns.get(address).copied();
        let exprs = expressions.get(&config_address(address)).copied();
        let linker = Linker {
            instance_key: address
                .rfind('[')
                .filter(|_| address.ends_with(']'))
                .map(|i| address[i..].to_string()),
            prefix: module_prefix(address),
            at: address_span,
            addresses: &addresses,
        };
        let values = linker.object(values, unknown, exprs);
        if kind == "aws_ecs_task_definition" {
            doc.task_definitions.push(task_definition(
                address,
                address_span,
                &values,
                text,
                &mut doc.problems,
            ));
        }
        doc.resources.push(Resource {
            id: address.to_string(),
            kind: kind.to_string(),
            id_span: address_span,
            properties: values,
            condition: None,
        });
    }
    use_known_network_ids(&mut doc.resources);
    doc
}

/// Network resources whose id is known (being updated, not created) are named by that id: the
/// planned values are the state after apply, so they replace the state's copy of the same id
/// (a route table whose internet route the update removes, a subnet the service names by id).
/// Links to them become the id.
fn use_known_network_ids(resources: &mut [Resource]) {
    const NETWORK: [&str; 9] = [
        "aws_vpc",
        "aws_subnet",
        "aws_route_table",
        "aws_default_route_table",
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_vpc_endpoint",
        "aws_security_group",
        "aws_default_security_group",
    ];
    let known: HashMap<String, String> = resources
        .iter()
        .filter(|r| NETWORK.contains(&r.kind.as_str()))
        .filter_map(|r| {
            let id = r.properties.get("id")?.as_str()?;
            (!id.is_empty()).then(|| (r.id.clone(), id.to_string()))
        })
        .collect();
    if known.is_empty() {
        return;
    }
    for r in resources.iter_mut() {
        if let Some(id) = known.get(&r.id) {
            r.id = id.clone();
        }
        replace_links(&mut r.properties, &known);
    }
}

fn replace_links(node: &mut Node, known: &HashMap<String, String>) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        let replacement = match &n.kind {
            NodeKind::ResourceRef { id, attribute }
                if matches!(attribute.as_deref(), None | Some("id")) =>
            {
                known.get(id).cloned()
            }
            _ => None,
        };
        if let Some(id) = replacement {
            n.kind = NodeKind::String(id);
            continue;
        }
        match &mut n.kind {
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => stack.extend(members.iter_mut().map(|m| &mut m.value)),
            _ => {}
        }
    }
}

fn collect_resources<'a>(module: &'a Node, out: &mut Vec<&'a Node>) {
    for r in module.get("resources").map(Node::items).unwrap_or(&[]) {
        if r.get("mode").and_then(Node::as_str).unwrap_or("managed") == "managed" {
            out.push(r);
        }
    }
    for child in module.get("child_modules").map(Node::items).unwrap_or(&[]) {
        collect_resources(child, out);
    }
}

fn after_unknown_by_address(root: &Node) -> HashMap<&str, &Node> {
    let mut map = HashMap::new();
    for change in root.get("resource_changes").map(Node::items).unwrap_or(&[]) {
        if let (Some(address), Some(unknown)) = (
            change.get("address").and_then(Node::as_str),
            change.get("change").and_then(|c| c.get("after_unknown")),
        ) {
            map.insert(address, unknown);
        }
    }
    map
}

/// `configuration` expressions of each resource, keyed by its module-qualified address
/// without instance keys (`module.app.aws_ecs_task_definition.this`).
fn configuration_expressions(root: &Node) -> HashMap<String, &Node> {
    let mut map = HashMap::new();
    if let Some(module) = root.get("configuration").and_then(|c| c.get("root_module")) {
        collect_expressions(module, "", &mut map, 0);
    }
    map
}

fn collect_expressions<'a>(
    module: &'a Node,
    prefix: &str,
    map: &mut HashMap<String, &'a Node>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    for r in module.get("resources").map(Node::items).unwrap_or(&[]) {
        if let (Some(address), Some(exprs)) = (
            r.get("address").and_then(Node::as_str),
            r.get("expressions"),
        ) {
            map.insert(format!("{prefix}{address}"), exprs);
        }
    }
    for call in module.get("module_calls").map(Node::members).unwrap_or(&[]) {
        if let Some(inner) = call.value.get("module") {
            collect_expressions(
                inner,
                &format!("{prefix}module.{}.", call.key),
                map,
                depth + 1,
            );
        }
    }
}

/// `module.a["x"].module.b.aws_iam_role.r[0]` → `module.a.module.b.aws_iam_role.r`.
fn config_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The module part of an address, to qualify references made inside that module.
fn module_prefix(address: &str) -> String {
    let plain = config_address(address);
    let parts: Vec<&str> = plain.split('.').collect();
    let mut prefix = String::new();
    let mut i = 0;
    while i + 1 < parts.len() && parts[i] == "module" {
        prefix.push_str(&format!("module.{}.", parts[i + 1]));
        i += 2;
    }
    prefix
}

/// Adds, for attributes unknown until apply (top-level, and inside nested blocks such as
/// `network_configuration` or `route`), an `Unresolved` value or a link to the resources the
/// configuration takes it from (`subnets = [aws_subnet.a.id, aws_subnet.b.id]` → two links).
struct Linker<'a> {
    /// `[0]` / `["a"]` of a resource made with `count` / `for_each`: `aws_subnet.x[count.index]`
    /// in its configuration means the instance with the same key.
    instance_key: Option<String>,
    prefix: String,
    at: Span,
    /// Every resource address of the plan, to expand `aws_subnet.private[*].id`.
    addresses: &'a [&'a str],
}

impl Linker<'_> {
    fn object(&self, values: &Node, unknown: Option<&Node>, exprs: Option<&Node>) -> Node {
        let mut members: Vec<Member> = Vec::new();
        for m in values.members().iter().filter(|m| !m.value.is_null()) {
            let nested_unknown = unknown.and_then(|u| u.get(&m.key));
            let nested_exprs = exprs.and_then(|e| e.get(&m.key));
            let value = match (&m.value.kind, nested_unknown.map(|u| &u.kind)) {
                // A block list (`network_configuration`, `route`): link inside each block.
                (NodeKind::Array(items), Some(NodeKind::Array(flags)))
                    if items.iter().all(Node::is_object) && !items.is_empty() =>
                {
                    let blocks: Vec<Node> = items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let block_exprs =
                                nested_exprs.and_then(|e| block_exprs(e, item, i, items.len()));
                            self.object(item, flags.get(i), block_exprs)
                        })
                        .collect();
                    Node::new(NodeKind::Array(blocks), m.value.span)
                }
                // A list of values some of which are unknown.
                (NodeKind::Array(_), Some(NodeKind::Array(flags)))
                    if flags.iter().any(|f| f.kind == NodeKind::Bool(true)) =>
                {
                    self.link(&m.key, nested_exprs, true, m.value.span)
                }
                _ => m.value.clone(),
            };
            members.push(Member {
                key: m.key.clone(),
                key_span: m.key_span,
                value,
            });
        }
        for m in unknown.map(Node::members).unwrap_or(&[]) {
            if members.iter().any(|v| v.key == m.key) {
                continue;
            }
            // Planned values omit unknown attributes, so their shape is not told: list
            // attributes are named in the plural (`subnets`, `security_group_ids`).
            let list = matches!(m.value.kind, NodeKind::Array(_))
                || m.key.ends_with('s')
                || m.key.ends_with("_ids");
            let wholly_unknown = m.value.kind == NodeKind::Bool(true)
                || m.value
                    .items()
                    .iter()
                    .any(|f| f.kind == NodeKind::Bool(true));
            if !wholly_unknown {
                continue;
            }
            let value = self.link(&m.key, exprs.and_then(|e| e.get(&m.key)), list, self.at);
            members.push(Member {
                key: m.key.clone(),
                key_span: self.at,
                value,
            });
        }
        Node::new(NodeKind::Object(members), values.span)
    }

    /// The value of an unknown attribute: links to the resources its expression references,
    /// or `Unresolved`.
    fn link(&self, key: &str, expr: Option<&Node>, list: bool, span: Span) -> Node {
        let unresolved = |why: String| Node::new(NodeKind::Unresolved(why), span);
        let Some(expr) = expr else {
            return unresolved(format!(
                "`{key}` is known only after apply ({NOT_CONFIGURED})"
            ));
        };
        let Some(refs) = expr.get("references") else {
            return unresolved(format!("`{key}` is known only after apply"));
        };
        let refs: Vec<&str> = refs.items().iter().filter_map(Node::as_str).collect();
        let mut links: Vec<(String, Option<String>)> = Vec::new();
        let mut bare: Vec<String> = Vec::new();
        let indexed = refs
            .iter()
            .any(|r| matches!(*r, "count.index" | "each.key" | "each.value"));
        for r in refs
            .iter()
            .filter(|r| !matches!(**r, "count.index" | "each.key" | "each.value"))
        {
            let parts = split_reference(r);
            if parts.len() < 2
                || matches!(
                    parts[0],
                    "var" | "local" | "data" | "module" | "each" | "count" | "path" | "terraform"
                )
            {
                return unresolved(format!("`{key}` is known only after apply"));
            }
            let id = format!("{}{}.{}", self.prefix, parts[0], parts[1]);
            match parts.get(2) {
                Some(attribute) => {
                    if !links.iter().any(|(l, _)| *l == id) {
                        links.push((id, Some(attribute.to_string())));
                    }
                }
                None => bare.push(id),
            }
        }
        // `aws_subnet.private[*].id` references only `aws_subnet.private`: every instance.
        for id in bare {
            let covered = links
                .iter()
                .any(|(l, _)| *l == id || l.starts_with(&format!("{id}[")));
            if covered {
                continue;
            }
            let same_key = match (&self.instance_key, indexed) {
                (Some(key), true) => Some(format!("{id}{key}")),
                _ => None,
            };
            let instances: Vec<&str> = self
                .addresses
                .iter()
                .copied()
                .filter(|a| match &same_key {
                    Some(wanted) => a == wanted,
                    None => *a == id || a.starts_with(&format!("{id}[")),
                })
                .collect();
            if instances.is_empty() || (!list && instances.len() > 1) {
                return unresolved(format!("`{key}` is known only after apply"));
            }
            for instance in instances {
                links.push((instance.to_string(), Some("id".to_string())));
            }
        }
        let to_node = |(id, attribute): (String, Option<String>)| {
            Node::new(NodeKind::ResourceRef { id, attribute }, span)
        };
        match (list, links.len()) {
            (_, 0) => unresolved(format!("`{key}` is known only after apply")),
            (false, 1) => to_node(links.remove(0)),
            (false, _) => unresolved(format!("`{key}` is known only after apply")),
            (true, _) => Node::new(
                NodeKind::Array(links.into_iter().map(to_node).collect()),
                span,
            ),
        }
    }
}

/// `aws_subnet.a[0].id` → [`aws_subnet`, `a[0]`, `id`]; `aws_subnet.a["x"]` keeps its key.
fn split_reference(reference: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in reference.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                parts.push(&reference[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&reference[start..]);
    parts
}

/// The configuration block that goes with planned block `i` of `n`: by position when the
/// configuration lists as many blocks, else (sets such as `route`) the block whose constant
/// values all agree with the planned ones, when exactly one does.
fn block_exprs<'a>(exprs: &'a Node, planned: &Node, i: usize, n: usize) -> Option<&'a Node> {
    let blocks = exprs.items();
    if blocks.len() == 1 && n == 1 {
        return blocks.first();
    }
    let agrees = |block: &Node| {
        block
            .members()
            .iter()
            .all(|m| match m.value.get("constant_value") {
                Some(constant) => planned
                    .get(&m.key)
                    .is_none_or(|p| p.scalar_text() == constant.scalar_text()),
                None => true,
            })
    };
    let matching: Vec<&Node> = blocks.iter().filter(|b| agrees(b)).collect();
    match matching.as_slice() {
        [only] => Some(only),
        _ if blocks.len() == n && n > 0 && matching.len() == n => blocks.get(i),
        _ => None,
    }
}

/// Also used for Terraform source, whose `container_definitions` is already a tree.
pub(crate) fn task_definition(
    address: &str,
    address_span: Span,
    values: &Node,
    text: &str,
    problems: &mut Vec<Problem>,
) -> TaskDefinition {
    let mut props = Vec::new();
    let mut containers_unknown = None;
    let mut put = |key: &str, value: Node, key_span: Span| {
        props.push(Member {
            key: key.to_string(),
            key_span,
            value,
        });
    };
    for m in values.members() {
        let camel = match m.key.as_str() {
            "family" => "family",
            "execution_role_arn" => "executionRoleArn",
            "task_role_arn" => "taskRoleArn",
            "network_mode" => "networkMode",
            "requires_compatibilities" => "requiresCompatibilities",
            "cpu" => "cpu",
            "memory" => "memory",
            "pid_mode" => "pidMode",
            "ipc_mode" => "ipcMode",
            "runtime_platform" => {
                // A list block with at most one item.
                if let Some(block) = m.value.items().first() {
                    let renamed = block
                        .members()
                        .iter()
                        .filter(|f| !f.value.is_null())
                        .map(|f| Member {
                            key: match f.key.as_str() {
                                "cpu_architecture" => "cpuArchitecture".to_string(),
                                "operating_system_family" => "operatingSystemFamily".to_string(),
                                other => other.to_string(),
                            },
                            key_span: f.key_span,
                            value: f.value.clone(),
                        })
                        .collect();
                    put(
                        "runtimePlatform",
                        Node::new(NodeKind::Object(renamed), block.span),
                        m.key_span,
                    );
                }
                continue;
            }
            "container_definitions" => {
                match &m.value.kind {
                    NodeKind::String(_) => {
                        match embedded::parse_json_string_literal(text, m.value.span) {
                            Ok(parsed) => put("containerDefinitions", parsed, m.key_span),
                            Err(e) => {
                                problems.push(Problem {
                                span: e.span,
                                message: format!("`container_definitions` of {address} is not valid JSON: {}", e.message),
                            });
                                containers_unknown =
                                    Some("`container_definitions` is not valid JSON".to_string());
                            }
                        }
                    }
                    NodeKind::Unresolved(why) => containers_unknown = Some(why.clone()),
                    // Terraform source: read from `jsonencode([…])` or the JSON string already.
                    NodeKind::Array(_) => put("containerDefinitions", m.value.clone(), m.key_span),
                    // Computed from another resource (`${aws_ecr_repository.app.repository_url}`).
                    _ => {
                        let mut ids = Vec::new();
                        m.value.walk(|n| {
                            if let NodeKind::ResourceRef { id, .. } = &n.kind {
                                ids.push(format!("`{id}`"));
                            }
                        });
                        containers_unknown = Some(if ids.is_empty() {
                            "`container_definitions` is known only after apply".to_string()
                        } else {
                            format!(
                                "`container_definitions` is known only after apply (it uses {})",
                                ids.join(", ")
                            )
                        });
                    }
                }
                continue;
            }
            _ => continue,
        };
        put(camel, m.value.clone(), m.key_span);
    }
    let mut props = Node::new(NodeKind::Object(props), values.span);
    super::placeholder::mark_unknown(&mut props);
    let label = match props.get("family").and_then(Node::as_str) {
        Some(f) if !f.is_empty() => f.to_string(),
        _ => address.to_string(),
    };
    TaskDefinition {
        label,
        origin: Origin::TerraformPlan {
            address: address.to_string(),
        },
        style: KeyStyle::Camel,
        container_style: KeyStyle::Camel,
        props,
        anchor: address_span,
        containers_unknown,
        value_sources: Vec::new(),
        describe_output: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json;

    const PLAN: &str = r#"{
  "format_version": "1.2",
  "planned_values": {"root_module": {
    "resources": [
      {"address": "aws_ecs_task_definition.app", "mode": "managed", "type": "aws_ecs_task_definition", "name": "app",
       "values": {"family": "app", "cpu": "256", "memory": "512", "requires_compatibilities": ["FARGATE"],
                  "runtime_platform": [{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}],
                  "container_definitions": "[{\"name\":\"web\",\"image\":\"nginx:latest\"}]"}}
    ],
    "child_modules": [{"address": "module.m", "resources": [
      {"address": "module.m.aws_ecs_task_definition.this[0]", "mode": "managed", "type": "aws_ecs_task_definition", "name": "this",
       "values": {"family": "other"}}
    ]}]
  }},
  "resource_changes": [
    {"address": "aws_ecs_task_definition.app", "change": {"after_unknown": {"execution_role_arn": true}}},
    {"address": "module.m.aws_ecs_task_definition.this[0]", "change": {"after_unknown": {"container_definitions": true, "task_role_arn": true}}}
  ],
  "configuration": {"root_module": {
    "resources": [{"address": "aws_ecs_task_definition.app", "expressions": {"execution_role_arn": {"references": ["aws_iam_role.exec.arn", "aws_iam_role.exec"]}}}],
    "module_calls": {"m": {"module": {"resources": [{"address": "aws_ecs_task_definition.this", "expressions": {"task_role_arn": {"references": ["aws_iam_role.task.arn"]}}}]}}}
  }}
}"#;

    #[test]
    fn reads_task_definitions_with_links_and_unknowns() {
        let root = json::parse(PLAN).unwrap();
        let doc = read(&root, PLAN);
        assert_eq!(doc.task_definitions.len(), 2);
        let app = &doc.task_definitions[0];
        assert_eq!(app.label, "app");
        assert_eq!(app.requires_fargate(), Some(true));
        let image = app.containers().next().unwrap().get("image").unwrap();
        assert_eq!(image.as_str(), Some("nginx:latest"));
        assert_eq!(&PLAN[image.span.range()], r#"\"nginx:latest\""#);
        assert_eq!(
            app.get("executionRoleArn").unwrap().kind,
            NodeKind::ResourceRef {
                id: "aws_iam_role.exec".into(),
                attribute: Some("arn".into())
            }
        );
        assert_eq!(
            app.get("runtimePlatform")
                .unwrap()
                .get("cpuArchitecture")
                .unwrap()
                .as_str(),
            Some("ARM64")
        );
        let other = &doc.task_definitions[1];
        assert!(
            other
                .containers_unknown
                .as_deref()
                .unwrap()
                .contains("after apply")
        );
        assert_eq!(
            other.get("taskRoleArn").unwrap().kind,
            NodeKind::ResourceRef {
                id: "module.m.aws_iam_role.task".into(),
                attribute: Some("arn".into())
            }
        );
        assert_eq!(doc.resources.len(), 2);
    }

    #[test]
    fn bad_container_definitions_is_a_problem_with_a_place() {
        let plan = r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
          {"address": "aws_ecs_task_definition.x", "type": "aws_ecs_task_definition", "values": {"family": "x", "container_definitions": "[{\"name\": }]"}}]}}}"#;
        let root = json::parse(plan).unwrap();
        let doc = read(&root, plan);
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(&plan[doc.problems[0].span.range()], "}");
        assert!(doc.task_definitions[0].containers_unknown.is_some());
    }
}
