//! NET009: a needed interface endpoint's security groups do not let TCP 443 in from the task.
//! One diagnostic per task definition and set of endpoint security groups.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::Problem;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET009",
    name: "endpoint-sg-blocks-https",
    severity: Severity::Error,
    summary: "A needed interface endpoint's security groups do not allow inbound 443 from the task",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    // Endpoints that share the same groups are one cause.
    // (endpoint groups, (endpoint, service) pairs, subnets, partial, the first fix)
    type GroupSet<'f> = (
        Vec<String>,
        Vec<(String, String)>,
        Vec<String>,
        bool,
        Option<&'f crate::net::help::Fix>,
    );
    let mut sets: Vec<GroupSet> = Vec::new();
    for (finding, fix) in &mine {
        let Problem::EndpointIngressBlocked {
            service,
            endpoint_id,
            endpoint_groups,
            partial,
        } = &finding.problem
        else {
            continue;
        };
        let entry = match sets.iter().position(|s| &s.0 == endpoint_groups) {
            Some(i) => &mut sets[i],
            None => {
                sets.push((
                    endpoint_groups.clone(),
                    Vec::new(),
                    Vec::new(),
                    false,
                    fix.as_ref(),
                ));
                sets.last_mut().expect("just pushed")
            }
        };
        let named = (endpoint_id.clone(), service.kind.to_string());
        if !entry.1.contains(&named) {
            entry.1.push(named);
        }
        for s in &finding.subnets {
            if !entry.2.contains(&s.subnet_id) {
                entry.2.push(s.subnet_id.clone());
            }
        }
        entry.3 |= *partial;
    }
    let task_groups = analysed.report.task_security_groups.join(", ");
    for (groups, endpoints, subnets, partial, fix) in sets {
        let endpoints_text = endpoints
            .iter()
            .map(|(id, kind)| format!("{id} ({kind})"))
            .collect::<Vec<_>>()
            .join(", ");
        let subnets_text = subnets
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let source = if task_groups.is_empty() {
            format!("subnets {subnets_text}")
        } else {
            format!("security groups {task_groups} in subnets {subnets_text}")
        };
        let message = format!(
            "the security group{} {} of endpoint{} {endpoints_text} do{} not allow inbound TCP 443 from `{}` ({source}){}: the task's requests to the endpoint are dropped",
            if groups.len() == 1 { "" } else { "s" },
            groups.join(", "),
            if endpoints.len() == 1 { "" } else { "s" },
            if groups.len() == 1 { "es" } else { "" },
            task.label,
            if partial {
                ", for part of the subnets' addresses"
            } else {
                ""
            },
        );
        let places: Vec<_> = groups
            .iter()
            .filter_map(|g| super::report::resource_place(cx, analysed, g).map(|p| (p, g.clone())))
            .collect();
        let help = super::wording::fix_help(
            cx,
            "allow inbound HTTPS from the task on the endpoint's security group",
            fix,
        );
        let d = super::report::report(&RULE, task, cx, analysed, true, message);
        d.help_lines(help);
        for (place, group) in places {
            d.label(place.file, place.span, format!("security group {group}"));
        }
    }
}
