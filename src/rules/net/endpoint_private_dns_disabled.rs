//! NET008: a needed interface endpoint exists but its private DNS is off, so the service's
//! default hostname does not lead to it.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::Problem;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET008",
    name: "endpoint-private-dns-disabled",
    severity: Severity::Error,
    summary: "A needed interface endpoint has private DNS disabled",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    for (finding, fix) in mine {
        let Problem::PrivateDnsDisabled {
            service,
            endpoint_id,
        } = &finding.problem
        else {
            continue;
        };
        let message = format!(
            "the {} interface endpoint {endpoint_id} has private DNS disabled, so {} does not resolve to it: from {}, which have no internet path, `{}` cannot reach {}",
            service.kind,
            super::wording::default_hostname(service.kind, &service.region),
            super::report::subnets_with_reasons(analysed, finding),
            task.label,
            super::wording::service_words(service.kind),
        );
        let place = super::report::resource_place(cx, analysed, endpoint_id);
        let help =
            super::wording::fix_help(cx, "turn on private DNS for the endpoint", fix.as_ref());
        let d = super::report::report(&RULE, task, cx, analysed, false, message);
        d.help_lines(help);
        if let Some(place) = place {
            d.label(place.file, place.span, format!("endpoint {endpoint_id}"));
        }
    }
}
