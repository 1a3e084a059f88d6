//! NET010: the task's security groups do not let TCP 443 out to the path in use (endpoint, S3
//! prefix list or the internet). One diagnostic per task definition.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::{EgressDestination, Problem};
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET010",
    name: "task-egress-blocks-https",
    severity: Severity::Error,
    summary: "The task's security groups do not allow outbound 443 to the path in use",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    let mut destinations: Vec<String> = Vec::new();
    let mut fixes = Vec::new();
    let mut subnets: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for (finding, fix) in &mine {
        let Problem::TaskEgressBlocked {
            destination,
            task_groups,
            partial,
        } = &finding.problem
        else {
            continue;
        };
        let mut text = match destination {
            EgressDestination::Internet => "the internet (0.0.0.0/0)".to_string(),
            EgressDestination::InterfaceEndpoint {
                service,
                endpoint_id,
                endpoint_groups,
            } => format!(
                "the {} endpoint {endpoint_id} (security groups {})",
                service.kind,
                endpoint_groups.join(", ")
            ),
            EgressDestination::S3PrefixList {
                endpoint_id,
                prefix_list_ids,
                ..
            } => {
                if prefix_list_ids.is_empty() {
                    format!("S3 through gateway endpoint {endpoint_id}")
                } else {
                    format!(
                        "S3 through gateway endpoint {endpoint_id} (prefix list {})",
                        prefix_list_ids.join(", ")
                    )
                }
            }
        };
        if *partial {
            text.push_str(" (only part of its addresses)");
        }
        if !destinations.contains(&text) {
            destinations.push(text);
        }
        if let Some(fix) = fix
            && !fixes
                .iter()
                .any(|f: &&crate::net::help::Fix| f.summary == fix.summary)
        {
            fixes.push(fix);
        }
        for s in &finding.subnets {
            if !subnets.contains(&s.subnet_id) {
                subnets.push(s.subnet_id.clone());
            }
        }
        for g in task_groups {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
    }
    if destinations.is_empty() {
        return;
    }
    let message = format!(
        "the security group{} {} of `{}` do{} not allow outbound TCP 443 to {}: the image pull from {} is dropped",
        if groups.len() == 1 { "" } else { "s" },
        groups.join(", "),
        task.label,
        if groups.len() == 1 { "es" } else { "" },
        destinations.join(", "),
        subnets
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let mut help = String::from("allow outbound HTTPS from the task's security group");
    for fix in &fixes {
        help = super::wording::fix_help(cx, &help, Some(fix));
        help.push('\n');
    }
    let places: Vec<_> = groups
        .iter()
        .filter_map(|g| super::report::resource_place(cx, analysed, g).map(|p| (p, g.clone())))
        .collect();
    let d = super::report::report(&RULE, task, cx, analysed, true, message);
    d.help_lines(help.trim_end().to_string());
    for (place, group) in places {
        d.label(place.file, place.span, format!("security group {group}"));
    }
}
