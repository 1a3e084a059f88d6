//! TD001: the document is not a task definition ECS would accept.

use std::collections::HashMap;

use super::schema::{self, CONTAINER_FIELDS, DESCRIBE_FIELDS, LOG_DRIVERS, TASK_FIELDS, Ty};
use crate::diag::Severity;
use crate::model::taskdef::{field, spell};
use crate::model::{KeyStyle, Origin, TaskDefinition};
use crate::parse::{Node, NodeKind};
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "TD001",
    name: "invalid-task-definition",
    severity: Severity::Error,
    summary: "The document is not a task definition ECS would accept (missing fields, wrong types, unknown values)",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    if !task.props.is_object() {
        cx.report(
            &RULE,
            task.anchor,
            format!(
                "a task definition must be an object, found {}",
                task.props.type_name()
            ),
        );
        return;
    }
    // In CloudFormation, a number where the API wants a string (and the other way round) is
    // converted; the ECS API and Terraform's container JSON take JSON types as they are.
    let strict = task.style == KeyStyle::Camel;
    if !matches!(task.origin, Origin::TerraformPlan { .. }) {
        let mut known: Vec<&str> = TASK_FIELDS.iter().map(|(k, _)| *k).collect();
        if task.origin == Origin::Native {
            known.extend(DESCRIBE_FIELDS);
        }
        misspelled_fields(cx, &task.props, task.style, &known);
    }
    let family = task.get("family");
    match family {
        None if task.origin == Origin::Native => {
            cx.report(
                &RULE,
                task.anchor,
                "missing `family`: register-task-definition requires it",
            )
            .help("add `\"family\": \"<name>\"`; revisions of the same family share it");
        }
        Some(f) => {
            if let Some(name) = f.as_str()
                && !valid_name(name)
            {
                cx.report(
                    &RULE,
                    f.span,
                    format!("invalid family `{name}`: up to 255 letters, digits, `-` and `_`"),
                );
            }
        }
        None => {}
    }
    for (name, ty) in TASK_FIELDS {
        if let Some(node) = task.get(name) {
            check_type(cx, node, &spell(name, task.style), *ty, strict);
        }
    }
    if let Some(platform) = task.get("runtimePlatform") {
        check_type_of(
            cx,
            platform,
            task.style,
            "cpuArchitecture",
            Ty::Enum(schema::CPU_ARCHITECTURES),
            strict,
        );
        check_type_of(
            cx,
            platform,
            task.style,
            "operatingSystemFamily",
            Ty::Enum(schema::OS_FAMILIES),
            strict,
        );
    }
    let Some(list) = task.get("containerDefinitions") else {
        if task.containers_unknown.is_none() {
            cx.report(
                &RULE,
                task.anchor,
                format!(
                    "missing `{}`: a task definition needs at least one container",
                    spell("containerDefinitions", task.style)
                ),
            );
        }
        return;
    };
    if list.is_array() && list.items().is_empty() {
        cx.report(
            &RULE,
            list.span,
            "`containerDefinitions` is empty: a task definition needs at least one container",
        );
    }
    let mut names: HashMap<String, crate::span::Span> = HashMap::new();
    let container_strict = task.container_style == KeyStyle::Camel;
    let known: Vec<&str> = CONTAINER_FIELDS.iter().map(|(k, _)| *k).collect();
    for container in task.containers() {
        let node = container.node;
        let style = container.style;
        if !node.is_object() {
            if !node.is_unknown() {
                cx.report(
                    &RULE,
                    node.span,
                    format!(
                        "a container definition must be an object, found {}",
                        node.type_name()
                    ),
                );
            }
            continue;
        }
        misspelled_fields(cx, node, style, &known);
        let opening = crate::span::Span {
            start: node.span.start,
            end: node.span.start + 1,
        };
        match container.get("name") {
            None => {
                cx.report(
                    &RULE,
                    opening,
                    format!(
                        "container #{} has no `{}`",
                        container.index + 1,
                        spell("name", style)
                    ),
                );
            }
            Some(n) => {
                if let Some(name) = n.as_str() {
                    if !valid_name(name) {
                        cx.report(&RULE, n.span, format!("invalid container name `{name}`: up to 255 letters, digits, `-` and `_`"));
                    } else if let Some(first) = names.insert(name.to_string(), n.span) {
                        cx.report(&RULE, n.span, format!("two containers are named `{name}`; names must be unique in a task definition"))
                            .label_here(first, "first used here");
                    }
                }
            }
        }
        if container.get("image").is_none() {
            cx.report(
                &RULE,
                opening,
                format!(
                    "container `{}` has no `{}`",
                    container.label(),
                    spell("image", style)
                ),
            )
            .container(container.label());
        }
        for (name, ty) in CONTAINER_FIELDS {
            if let Some(value) = container.get(name) {
                check_type(cx, value, &spell(name, style), *ty, container_strict);
            }
        }
        if let Some(lc) = container.get("logConfiguration").filter(|n| n.is_object()) {
            match field(lc, style, "logDriver") {
                None => {
                    cx.report(
                        &RULE,
                        lc.span,
                        format!(
                            "`{}` needs a `{}`",
                            spell("logConfiguration", style),
                            spell("logDriver", style)
                        ),
                    );
                }
                Some(driver) => check_type(
                    cx,
                    driver,
                    &spell("logDriver", style),
                    Ty::Enum(LOG_DRIVERS),
                    container_strict,
                ),
            }
            if let Some(options) = field(lc, style, "options") {
                check_type(
                    cx,
                    options,
                    &spell("options", style),
                    Ty::StrMap,
                    container_strict,
                );
            }
            for item in field(lc, style, "secretOptions")
                .map(Node::items)
                .unwrap_or(&[])
            {
                name_value_pair(cx, item, style, "valueFrom", container_strict);
            }
        }
        for item in container
            .get("portMappings")
            .map(Node::items)
            .unwrap_or(&[])
        {
            if item.is_object() {
                check_type_of(cx, item, style, "containerPort", Ty::Int, container_strict);
                check_type_of(cx, item, style, "hostPort", Ty::Int, container_strict);
            }
        }
        for item in container.get("secrets").map(Node::items).unwrap_or(&[]) {
            name_value_pair(cx, item, style, "valueFrom", container_strict);
        }
        for item in container.get("environment").map(Node::items).unwrap_or(&[]) {
            if item.is_object() {
                check_type_of(cx, item, style, "name", Ty::Str, container_strict);
                check_type_of(cx, item, style, "value", Ty::Str, container_strict);
            }
        }
        if let Some(creds) = container
            .get("repositoryCredentials")
            .filter(|n| n.is_object())
        {
            match field(creds, style, "credentialsParameter") {
                None => {
                    cx.report(
                        &RULE,
                        creds.span,
                        format!(
                            "`{}` needs a `{}`",
                            spell("repositoryCredentials", style),
                            spell("credentialsParameter", style)
                        ),
                    );
                }
                Some(p) => check_type(
                    cx,
                    p,
                    &spell("credentialsParameter", style),
                    Ty::Str,
                    container_strict,
                ),
            }
        }
    }
    sizes_ports_platform(task, cx);
}

/// What `RegisterTaskDefinition` rejects about sizes, ports and the platform (ECS API reference,
/// ContainerDefinition `memory`/`memoryReservation`, PortMapping `hostPort`, RuntimePlatform).
fn sizes_ports_platform(task: &TaskDefinition, cx: &mut Context) {
    let number = |n: &Node| -> Option<u64> {
        match &n.kind {
            NodeKind::Number(t) | NodeKind::String(t) => t.trim().parse().ok(),
            _ => None,
        }
    };
    let task_memory = task.get("memory");
    let task_mib = match task_memory {
        None => None,
        Some(n) if n.is_unknown() => return,
        Some(n) => match n
            .scalar_text()
            .and_then(|t| super::fargate_cpu_memory::parse_memory(&t))
        {
            Some(m) => Some(m as u64),
            None => return,
        },
    };
    let fargate = task.requires_fargate();
    let mut reserved: u64 = 0;
    let mut reserved_known = true;
    let mut reservations = Vec::new();
    for c in task.containers() {
        if !c.node.is_object() {
            reserved_known = false;
            continue;
        }
        let memory = c.get("memory");
        let reservation = c.get("memoryReservation");
        if memory.is_some_and(Node::is_unknown) || reservation.is_some_and(Node::is_unknown) {
            reserved_known = false;
            continue;
        }
        let (m, r) = (memory.and_then(number), reservation.and_then(number));
        if task_memory.is_none()
            && memory.is_none()
            && reservation.is_none()
            && fargate == Some(false)
        {
            let opening = crate::span::Span {
                start: c.node.span.start,
                end: c.node.span.start + 1,
            };
            cx.report(
                &RULE,
                opening,
                format!(
                    "container `{}` has neither `{}` nor `{}`, and the task definition has no task-level `{}`",
                    c.label(),
                    spell("memory", c.style),
                    spell("memoryReservation", c.style),
                    spell("memory", task.style)
                ),
            )
            .container(c.label())
            .primary_label("no memory at any level")
            .help(format!(
                "RegisterTaskDefinition requires a task-level memory or, per container, `{}` or `{}`; add e.g. `\"{}\": 512`",
                spell("memory", c.style),
                spell("memoryReservation", c.style),
                spell("memoryReservation", c.style)
            ));
        }
        if let (Some(m), Some(r), Some(mn)) = (m, r, memory)
            && m <= r
        {
            cx.report(
                    &RULE,
                    mn.span,
                    format!(
                        "container `{}`: `{}` ({m} MiB) must be greater than `{}` ({r} MiB)",
                        c.label(),
                        spell("memory", c.style),
                        spell("memoryReservation", c.style)
                    ),
                )
                .container(c.label())
                .label_here(reservation.map(|n| n.span).unwrap_or(mn.span), "the soft limit")
                .help("`memory` is the hard limit and `memoryReservation` the soft one: raise the first or lower the second");
        }
        match r.or(m) {
            Some(v) => {
                reserved += v;
                let span = reservation
                    .filter(|_| r.is_some())
                    .or(memory)
                    .map(|n| n.span);
                if let Some(span) = span {
                    reservations.push((c.label(), v, span));
                }
            }
            None if memory.is_some() || reservation.is_some() => reserved_known = false,
            None => {}
        }
    }
    if let (Some(task_mib), Some(node), true) = (task_mib, task_memory, reserved_known)
        && reserved > task_mib
        && !reservations.is_empty()
    {
        let d = cx.report(
                &RULE,
                node.span,
                format!(
                    "the containers reserve {reserved} MiB of memory in all, more than the task's {task_mib} MiB"
                ),
            );
        d.primary_label("the task's memory");
        for (name, v, span) in &reservations {
            d.label_here(*span, format!("`{name}` reserves {v} MiB"));
        }
        d.help("raise the task-level memory, or lower the containers' `memoryReservation` (or `memory` where there is no reservation)");
    }
    let mode = task.network_mode();
    if matches!(mode, Some("awsvpc") | Some("host")) {
        let mode = mode.unwrap_or_default().to_string();
        for c in task.containers() {
            for m in c.get("portMappings").map(Node::items).unwrap_or(&[]) {
                let (Some(cp), Some(hp)) = (
                    field(m, c.style, "containerPort"),
                    field(m, c.style, "hostPort"),
                ) else {
                    continue;
                };
                let (Some(cpv), Some(hpv)) = (number(cp), number(hp)) else {
                    continue;
                };
                if cpv != hpv {
                    cx.report(
                        &RULE,
                        hp.span,
                        format!(
                            "container `{}`: `{}` {hpv} differs from `{}` {cpv}; in the `{mode}` network mode they must be equal",
                            c.label(),
                            spell("hostPort", c.style),
                            spell("containerPort", c.style)
                        ),
                    )
                    .container(c.label())
                    .primary_label("must equal the container port")
                    .label_here(cp.span, "the container port")
                    .help(format!(
                        "remove `{}` or set it to {cpv}",
                        spell("hostPort", c.style)
                    ));
                }
            }
        }
    }
    if let Some(platform) = task.get("runtimePlatform") {
        let arch = field(platform, task.style, "cpuArchitecture");
        let os = field(platform, task.style, "operatingSystemFamily");
        if let (Some(arch), Some(os)) = (arch, os)
            && let (Some("ARM64"), Some(family)) = (arch.as_str(), os.as_str())
            && family.starts_with("WINDOWS")
        {
            cx.report(
                &RULE,
                arch.span,
                format!("`ARM64` is not available with the Windows family `{family}`"),
            )
            .primary_label("Linux only")
            .label_here(os.span, "a Windows family")
            .help("Windows containers run on `X86_64`; ARM64 takes `LINUX`");
        }
    }
}

/// `{"name": …, "valueFrom": …}` items of `secrets` and `secretOptions`: both are required.
fn name_value_pair(cx: &mut Context, item: &Node, style: KeyStyle, value_key: &str, strict: bool) {
    if !item.is_object() {
        return;
    }
    let what = match field(item, style, "name").and_then(Node::as_str) {
        Some(name) => format!("`{name}`"),
        None => "this entry".to_string(),
    };
    for key in ["name", value_key] {
        match field(item, style, key) {
            None => {
                cx.report(
                    &RULE,
                    item.span,
                    format!("{what} needs a `{}`", spell(key, style)),
                );
            }
            Some(v) => check_type(cx, v, &spell(key, style), Ty::Str, strict),
        }
    }
}

fn check_type_of(
    cx: &mut Context,
    parent: &Node,
    style: KeyStyle,
    name: &str,
    ty: Ty,
    strict: bool,
) {
    if let Some(value) = field(parent, style, name) {
        check_type(cx, value, &spell(name, style), ty, strict);
    }
}

fn misspelled_fields(cx: &mut Context, node: &Node, style: KeyStyle, known: &[&str]) {
    let spelled: Vec<String> = known.iter().map(|k| spell(k, style).into_owned()).collect();
    for m in node.members() {
        if spelled.contains(&m.key) {
            continue;
        }
        if let Some(meant) = schema::did_you_mean(&m.key, spelled.iter().map(String::as_str)) {
            cx.report(
                &RULE,
                m.key_span,
                format!("unknown field `{}`; did you mean `{meant}`?", m.key),
            )
            .help(format!(
                "ECS rejects unknown fields; rename it to `{meant}`"
            ));
        }
    }
}

fn check_type(cx: &mut Context, node: &Node, name: &str, ty: Ty, strict: bool) {
    if node.is_unknown() || node.is_null() {
        return;
    }
    if let Some(problem) = type_problem(node, ty, strict) {
        cx.report(&RULE, node.span, format!("`{name}` must be {problem}"));
        return;
    }
    match ty {
        Ty::Arr(inner) => {
            for item in node.items() {
                if item.is_unknown() {
                    continue;
                }
                if let Some(problem) = type_problem(item, *inner, strict) {
                    cx.report(
                        &RULE,
                        item.span,
                        format!("each item of `{name}` must be {problem}"),
                    );
                }
            }
        }
        Ty::StrMap => {
            for m in node.members() {
                if !m.value.is_unknown() && type_problem(&m.value, Ty::Str, strict).is_some() {
                    cx.report(
                        &RULE,
                        m.value.span,
                        format!(
                            "the value of `{}` in `{name}` must be a string, found {}",
                            m.key,
                            m.value.type_name()
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}

/// "a string, found a number" — or None when the value fits.
fn type_problem(node: &Node, ty: Ty, strict: bool) -> Option<String> {
    let found = || node.type_name();
    let fits = match (ty, &node.kind) {
        (Ty::Str, NodeKind::String(_)) => true,
        (Ty::Str, NodeKind::Number(_) | NodeKind::Bool(_)) => !strict,
        (Ty::Int, NodeKind::Number(n)) => is_integer(n),
        (Ty::Int, NodeKind::String(s)) => !strict && is_integer(s),
        (Ty::Bool, NodeKind::Bool(_)) => true,
        (Ty::Bool, NodeKind::String(s)) => !strict && (s == "true" || s == "false"),
        (Ty::Obj | Ty::StrMap, NodeKind::Object(_)) => true,
        (Ty::Arr(_), NodeKind::Array(_)) => true,
        (Ty::Enum(values), _) => {
            return match node.scalar_text() {
                Some(v) if values.contains(&v.as_ref()) => None,
                Some(v) if matches!(node.kind, NodeKind::String(_)) || !strict => {
                    let hint = values
                        .iter()
                        .find(|k| k.eq_ignore_ascii_case(&v))
                        .map(|k| format!(" (did you mean `{k}`?)"))
                        .unwrap_or_default();
                    Some(format!("{}, found `{v}`{hint}", schema::describe(ty)))
                }
                _ => Some(format!("{}, found {}", schema::describe(ty), found())),
            };
        }
        _ => false,
    };
    if fits {
        return None;
    }
    if !strict {
        // In a template the value's text says more than its type.
        if let Some(text) = node.scalar_text() {
            return Some(format!("{}, found `{text}`", schema::describe(ty)));
        }
    }
    let example = match (ty, &node.kind) {
        (Ty::Str, NodeKind::Number(n)) => format!(" (write it in quotes: \"{n}\")"),
        (Ty::Int, NodeKind::String(s)) if is_integer(s) => " (write it without quotes)".to_string(),
        (Ty::Bool, NodeKind::String(s)) if s == "true" || s == "false" => {
            " (write it without quotes)".to_string()
        }
        _ => String::new(),
    };
    Some(format!(
        "{}, found {}{example}",
        schema::describe(ty),
        found()
    ))
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
