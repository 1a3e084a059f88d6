//! IAM evaluation benchmark (harness = false; std::time only).
//!
//! 5,000 managed policies and 2,000 roles (2–3 inline policies and 1–3 attached managed
//! policies each, a fifth with a permissions boundary, a few attached policies missing from the
//! "state"), 300 repositories (a third in another account, half with a repository policy), and
//! 10,000 task definitions whose execution roles are drawn from the 2,000. For each task
//! definition the three pull permissions are evaluated: `ecr:GetAuthorizationToken` on `*`, and
//! `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on the repository ARN.
//!
//! Run: `cargo bench --bench iam_eval` (release). Target: evaluation under 1 s on 2 cores.

use ecs_preflight::iam::{
    Decision, Policy, PolicyDoc, PolicySet, Principal, Request, RequestContext, ResourceSide,
    evaluate, parse_policy_str,
};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pct(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";
const SERVICES: &[&str] = &[
    "ecr",
    "logs",
    "s3",
    "dynamodb",
    "sqs",
    "sns",
    "kms",
    "secretsmanager",
    "ssm",
    "ec2",
    "cloudwatch",
    "lambda",
    "states",
    "xray",
    "ecs",
];
const VERBS: &[&str] = &[
    "Get", "List", "Describe", "Put", "Create", "Delete", "Update", "Batch",
];
const NOUNS: &[&str] = &[
    "Image",
    "Object",
    "Item",
    "Message",
    "Secret",
    "Parameter",
    "Layer",
    "Stream",
    "Key",
    "Task",
];

fn action(rng: &mut Rng) -> String {
    let svc = SERVICES[rng.below(SERVICES.len())];
    match rng.below(10) {
        0 => format!("{svc}:*"),
        1 => format!("{svc}:{}*", VERBS[rng.below(VERBS.len())]),
        _ => format!(
            "{svc}:{}{}",
            VERBS[rng.below(VERBS.len())],
            NOUNS[rng.below(NOUNS.len())]
        ),
    }
}

fn resource(rng: &mut Rng) -> String {
    let acct = if rng.pct(80) { ACCOUNT } else { OTHER };
    match rng.below(8) {
        0 => "*".to_string(),
        1 => format!(
            "arn:aws:ecr:us-east-1:{acct}:repository/team-{}/*",
            rng.below(40)
        ),
        2 => format!("arn:aws:ecr:*:{acct}:repository/svc-{}", rng.below(300)),
        3 => format!("arn:aws:s3:::bucket-{}/*", rng.below(500)),
        4 => format!(
            "arn:aws:logs:us-east-1:{acct}:log-group:/ecs/app-{}:*",
            rng.below(500)
        ),
        5 => format!(
            "arn:aws:secretsmanager:us-east-1:{acct}:secret:app-{}-*",
            rng.below(500)
        ),
        6 => format!(
            "arn:aws:dynamodb:us-east-1:{acct}:table/t-{}",
            rng.below(500)
        ),
        _ => format!("arn:aws:sqs:us-east-1:{acct}:queue-{}", rng.below(500)),
    }
}

fn list(items: Vec<String>) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(","))
}

fn statement(rng: &mut Rng, i: usize, max_actions: usize, max_resources: usize) -> String {
    let actions: Vec<String> = (0..rng.range(1, max_actions))
        .map(|_| action(rng))
        .collect();
    let resources: Vec<String> = (0..rng.range(1, max_resources))
        .map(|_| resource(rng))
        .collect();
    let effect = if rng.pct(10) { "Deny" } else { "Allow" };
    let condition = match rng.below(6) {
        0 => r#","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
        1 => r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
        2 => r#","Condition":{"StringLike":{"aws:PrincipalTag/team":"team-*"}}"#,
        _ => "",
    };
    format!(
        r#"{{"Sid":"S{i}","Effect":"{effect}","Action":{},"Resource":{}{condition}}}"#,
        list(actions),
        list(resources)
    )
}

fn policy_text(
    rng: &mut Rng,
    statements: usize,
    max_actions: usize,
    max_resources: usize,
) -> String {
    let body: Vec<String> = (0..statements)
        .map(|i| statement(rng, i, max_actions, max_resources))
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        body.join(",")
    )
}

/// Percent-encodes like the IAM API does for policy documents.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Role {
    principal: Principal,
    inline: Vec<usize>,
    attached: Vec<Option<usize>>,
    boundary: Option<usize>,
    context: RequestContext,
}

fn main() {
    let mut rng = Rng(0xBE7C_0001);

    // Documents as a state file holds them: managed policies URL-encoded (raw API), inline ones
    // as JSON text.
    let mut managed_text: Vec<String> = (0..5_000)
        .map(|_| {
            let n = rng.range(3, 15);
            url_encode(&policy_text(&mut rng, n, 12, 6))
        })
        .collect();
    // The AWS managed execution-role policy is attached to many roles.
    managed_text[0] = url_encode(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#,
    );
    let mut inline_text = Vec::new();
    let mut roles_spec = Vec::new();
    for r in 0..2_000 {
        let inline: Vec<usize> = (0..rng.range(2, 3))
            .map(|_| {
                let n = rng.range(1, 5);
                inline_text.push(policy_text(&mut rng, n, 6, 4));
                inline_text.len() - 1
            })
            .collect();
        let mut attached: Vec<Option<usize>> = (0..rng.range(1, 3))
            .map(|_| Some(rng.below(5_000)))
            .collect();
        if rng.pct(60) {
            attached[0] = Some(0);
        }
        if rng.pct(3) {
            attached.push(None); // attached, but not in the state
        }
        let boundary = rng.pct(20).then(|| rng.below(5_000));
        roles_spec.push((r, inline, attached, boundary));
    }
    let repo_policy_text: Vec<Option<String>> = (0..300)
        .map(|i| {
            (i % 2 == 0).then(|| {
                format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Pull","Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{ACCOUNT}:root","arn:aws:iam::333333333333:root"]}},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}},{{"Sid":"NoPush","Effect":"Deny","Principal":"*","Action":["ecr:PutImage","ecr:DeleteRepository"],"Condition":{{"StringNotEquals":{{"aws:PrincipalAccount":"{OTHER}"}}}}}}]}}"#
                )
            })
        })
        .collect();
    let total_bytes: usize = managed_text.iter().map(String::len).sum::<usize>()
        + inline_text.iter().map(String::len).sum::<usize>();

    // Parse every document once.
    let t_parse = Instant::now();
    let managed: Vec<Policy> = managed_text
        .iter()
        .enumerate()
        .map(|(i, t)| {
            parse_policy_str(t)
                .unwrap_or_else(|e| panic!("managed {i}: {e}"))
                .with_name(format!("arn:aws:iam::{ACCOUNT}:policy/managed-{i}"))
        })
        .collect();
    let inline: Vec<Policy> = inline_text
        .iter()
        .enumerate()
        .map(|(i, t)| {
            parse_policy_str(t)
                .unwrap_or_else(|e| panic!("inline {i}: {e}"))
                .with_name(format!("inline-{i}"))
        })
        .collect();
    let repo_policies: Vec<Option<Policy>> = repo_policy_text
        .iter()
        .map(|t| {
            t.as_ref()
                .map(|t| parse_policy_str(t).unwrap().with_name("repository policy"))
        })
        .collect();
    let parse_time = t_parse.elapsed();

    let roles: Vec<Role> = roles_spec
        .into_iter()
        .map(|(r, inline, attached, boundary)| {
            let arn = format!("arn:aws:iam::{ACCOUNT}:role/exec-{r}");
            let mut context = RequestContext::new();
            context
                .set("aws:PrincipalArn", arn.as_str())
                .set("aws:PrincipalAccount", ACCOUNT)
                .set("aws:PrincipalType", "AssumedRole")
                .set("aws:RequestedRegion", "us-east-1")
                .set("aws:SecureTransport", "true")
                .set("aws:ViaAWSService", "false")
                .set_absent("aws:MultiFactorAuthPresent")
                .absent_under_prefix("aws:PrincipalTag/");
            if r % 3 == 0 {
                context.set("aws:PrincipalTag/team", format!("team-{}", r % 40));
            }
            Role {
                principal: Principal::from_role_arn(&arn, None),
                inline,
                attached,
                boundary,
                context,
            }
        })
        .collect();

    // 10,000 task definitions: an execution role and a repository each.
    let tasks: Vec<(usize, usize)> = (0..10_000)
        .map(|_| (rng.below(2_000), rng.below(300)))
        .collect();
    let repo_arns: Vec<(String, String)> = (0..300)
        .map(|i| {
            let owner = if i % 3 == 0 { OTHER } else { ACCOUNT };
            (
                format!("arn:aws:ecr:us-east-1:{owner}:repository/svc-{i}"),
                owner.to_string(),
            )
        })
        .collect();

    let t_eval = Instant::now();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut evaluations = 0usize;
    for &(role_i, repo_i) in &tasks {
        let role = &roles[role_i];
        let identity: Vec<PolicyDoc<'_>> = role
            .inline
            .iter()
            .map(|&i| PolicyDoc::Known(&inline[i]))
            .chain(role.attached.iter().map(|a| match a {
                Some(m) => PolicyDoc::Known(&managed[*m]),
                None => PolicyDoc::Unknown {
                    name: "arn:aws:iam::111111111111:policy/missing".into(),
                    reason: "not in the state".into(),
                },
            }))
            .collect();
        let boundary = role.boundary.map(|b| PolicyDoc::Known(&managed[b]));
        let auth_set = PolicySet {
            identity: identity.clone(),
            boundary: boundary.clone(),
            resource: None,
        };
        let (repo_arn, owner) = &repo_arns[repo_i];
        let pull_set = PolicySet {
            identity,
            boundary,
            resource: Some(ResourceSide {
                owner_account: owner.clone(),
                policy: repo_policies[repo_i].as_ref().map(PolicyDoc::Known),
            }),
        };
        let auth = evaluate(
            &Request::new(
                "ecr:GetAuthorizationToken",
                "*",
                &role.principal,
                &role.context,
            ),
            &auth_set,
        );
        let batch = evaluate(
            &Request::new(
                "ecr:BatchGetImage",
                repo_arn,
                &role.principal,
                &role.context,
            ),
            &pull_set,
        );
        let layer = evaluate(
            &Request::new(
                "ecr:GetDownloadUrlForLayer",
                repo_arn,
                &role.principal,
                &role.context,
            ),
            &pull_set,
        );
        evaluations += 3;
        for e in [&auth, &batch, &layer] {
            let label = match e.decision {
                Decision::Allowed => "allowed",
                Decision::ExplicitDeny => "explicit deny",
                Decision::ImplicitDeny => "implicit deny",
                Decision::Unknown => "unknown",
            };
            *outcomes.entry(label.to_string()).or_default() += 1;
        }
        black_box((auth, batch, layer));
    }
    let eval_time = t_eval.elapsed();

    let statements: usize = managed
        .iter()
        .chain(&inline)
        .map(|p| p.statements.len())
        .sum();
    println!("iam_eval benchmark");
    println!(
        "  policies parsed:   {} managed + {} inline, {statements} statements, {:.1} MB of text",
        managed.len(),
        inline.len(),
        total_bytes as f64 / 1e6
    );
    println!(
        "  parse time:        {:.1} ms",
        parse_time.as_secs_f64() * 1e3
    );
    println!("  evaluations:       {evaluations} (10,000 task definitions x 3 pull permissions)");
    println!(
        "  evaluation time:   {:.1} ms",
        eval_time.as_secs_f64() * 1e3
    );
    println!(
        "  per evaluation:    {:.2} µs",
        eval_time.as_secs_f64() * 1e6 / evaluations as f64
    );
    println!(
        "  parse + evaluate:  {:.1} ms",
        (parse_time + eval_time).as_secs_f64() * 1e3
    );
    println!("  outcomes:          {outcomes:?}");
}
