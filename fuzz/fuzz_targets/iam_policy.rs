//! IAM policies: any JSON text is a policy or an error; a policy is evaluated for the requests
//! the ROLE rules make, as identity, boundary and resource policy, without panicking.
#![no_main]

use ecs_preflight::iam::{
    PolicyDoc, PolicySet, Principal, Request, RequestContext, ResourceSide, evaluate,
    parse_policy_str,
};
use libfuzzer_sys::fuzz_target;

const REQUESTS: [(&str, &str); 4] = [
    ("ecr:GetAuthorizationToken", "*"),
    (
        "ecr:BatchGetImage",
        "arn:aws:ecr:us-east-1:111122223333:repository/web",
    ),
    (
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
    ),
    ("logs:CreateLogStream", "arn:aws:logs:us-east-1:444455556666:log-group:/ecs/web:*"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = parse_policy_str(text) else {
        return;
    };
    let principal = Principal::from_role_arn(
        "arn:aws:iam::111122223333:role/path/web-execution",
        Some("session"),
    );
    let mut context = RequestContext::new();
    context.set("aws:SourceVpce", "vpce-0123456789abcdef0");
    let set = PolicySet {
        identity: vec![PolicyDoc::Known(&policy)],
        boundary: Some(PolicyDoc::Known(&policy)),
        resource: Some(ResourceSide {
            owner_account: "444455556666".into(),
            policy: Some(PolicyDoc::Known(&policy)),
        }),
    };
    for (action, resource) in REQUESTS {
        for ctx in [&RequestContext::new(), &context] {
            let request = Request::new(action, resource, &principal, ctx);
            let _ = evaluate(&request, &set).is_allowed();
        }
    }
});
