//! The live collector (`check --aws`, `snapshot`): reads what the inputs reference from the
//! AWS account with the AWS SDK, strictly read-only (only Describe*, Get*, List* and BatchGet*
//! calls), and writes it as state snapshots, exactly the format `--state` reads
//! (docs/inputs.md#state-snapshots), one per account and region. `check --aws` feeds those
//! snapshots to the same loader as state files, so the rules cannot tell the difference.
//!
//! What is read (see each module): `iam` (the referenced roles of the caller's account and
//! their policies), `ecr` (each referenced registry in its own region), `ec2` (the VPCs of the
//! referenced subnets, in the deployment region), `ecs` (with `--cluster`: the services of the
//! task definitions' families), `secretsmanager` and `ssm` (the referenced secrets and
//! parameters, metadata only), `kms` (the customer managed keys that encrypt them), `logs`
//! (the awslogs log groups), `s3` (the buckets and objects of `environmentFiles`). Secrets,
//! parameters, keys and log groups are read in their own region, each region of the caller's
//! account in its own snapshot; those of other accounts are not readable and are listed as
//! unknown. No secret value, parameter value or object content is ever read. Calls are
//! batched, paginated, deduplicated (each reference once) and concurrent, at most
//! [`client::MAX_CONCURRENT_CALLS`] at a time.
//!
//! Not-found answers are knowledge (left out of a present list: known absent). Access denied,
//! throttling after the SDK's retries, timeouts or a region that is not enabled make the part
//! they feed unknown (left out), with the reason in [`Collected::unknown`] for the run summary.

pub mod client;
mod ec2;
mod ecr;
mod ecs;
mod iam;
pub mod json;
mod kms;
mod logs;
pub mod refs;
mod s3;
mod secrets;
mod ssm;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use client::Target;
use client::{Aws, all};

use crate::model::arn::Arn;
pub use refs::{Deployment, References};

/// The IAM policy that allows every call the collector makes (and nothing else). Shipped as
/// `examples/aws/read-only-policy.json`; a live test checks it covers every call made.
pub const READ_ONLY_POLICY: &str = include_str!("../../examples/aws/read-only-policy.json");

pub use crate::state::part::StatePart as Part;

/// A part of the state that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub part: Part,
    pub reason: String,
}

/// One state snapshot (one account and region), as JSON in the `--state` format.
#[derive(Clone, Debug)]
pub struct LiveSnapshot {
    pub account_id: String,
    pub region: String,
    pub json: Value,
}

/// The sections of a snapshot, in the order a file lists them.
const SECTIONS: [&str; 9] = [
    "iam",
    "ecr",
    "ec2",
    "ecs",
    "secretsmanager",
    "ssm",
    "kms",
    "logs",
    "s3",
];

impl LiveSnapshot {
    /// The file text: the fixed keys first, as in docs/inputs.md#state-snapshots, then the sections.
    pub fn text(&self) -> String {
        let mut out = String::from("{\n  \"ecsPreflightState\": 1,\n");
        out.push_str(&format!(
            "  \"accountId\": {},\n  \"region\": {}",
            Value::String(self.account_id.clone()),
            Value::String(self.region.clone())
        ));
        for key in SECTIONS {
            if let Some(section) = self.json.get(key) {
                let pretty = serde_json::to_string_pretty(section).unwrap_or_default();
                out.push_str(&format!(",\n  \"{key}\": {}", pretty.replace('\n', "\n  ")));
            }
        }
        out.push_str("\n}\n");
        out
    }

    /// The sections present (known), for messages.
    pub fn sections(&self) -> Vec<&'static str> {
        SECTIONS
            .into_iter()
            .filter(|k| self.json.get(k).is_some())
            .collect()
    }
}

/// What a collection produced.
#[derive(Debug)]
pub struct Collected {
    /// The deployment region (`--region`, else the AWS configuration's).
    pub region: String,
    /// The account of the credentials.
    pub caller_account: String,
    /// The caller's account in the deployment region first (always there), then one per other
    /// registry account and region read.
    pub snapshots: Vec<LiveSnapshot>,
    pub unknown: Vec<Unknown>,
    /// API operation (`ecr:DescribeImages`) → calls made.
    pub calls: BTreeMap<String, usize>,
    pub elapsed: Duration,
    /// What the inputs referenced (after `--cluster` added its services' network).
    pub references: References,
}

impl Collected {
    pub fn call_count(&self) -> usize {
        self.calls.values().sum()
    }
}

/// What to read and how.
pub struct Request {
    pub target: Target,
    pub cluster: Option<String>,
    /// Show a progress line on stderr (only when it is a terminal).
    pub progress: bool,
    /// An AWS configuration to use instead of loading the standard one (tests).
    pub config: Option<aws_config::SdkConfig>,
}

/// Reads the account. `references` is called once the caller's account and the region are
/// known (the inputs' `${AWS::AccountId}` and `${AWS::Region}` resolve with them). Fails only
/// when nothing can be read at all: no region, no usable credentials.
pub fn collect(
    request: Request,
    references: impl FnOnce(&str, &str) -> References,
) -> Result<Collected, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the AWS client runtime: {e}"))?;
    runtime.block_on(collect_async(request, references))
}

async fn collect_async(
    request: Request,
    references: impl FnOnce(&str, &str) -> References,
) -> Result<Collected, String> {
    let started = Instant::now();
    let aws = Aws::connect(&request.target, request.config).await?;
    let progress = request.progress.then(|| progress(aws.clone()));
    let result = read(&aws, request.cluster.as_deref(), references).await;
    if let Some(p) = progress {
        p.abort();
        let _ = p.await;
        // Clear the progress line.
        eprint!("\r\x1b[2K");
        let _ = std::io::stderr().flush();
    }
    let (caller, snapshots, unknown, refs) = result?;
    Ok(Collected {
        region: aws.region.clone(),
        caller_account: caller,
        snapshots,
        unknown,
        calls: aws.log.by_operation(),
        elapsed: started.elapsed(),
        references: refs,
    })
}

type ReadResult = (String, Vec<LiveSnapshot>, Vec<Unknown>, References);

async fn read(
    aws: &Aws,
    cluster: Option<&str>,
    references: impl FnOnce(&str, &str) -> References,
) -> Result<ReadResult, String> {
    let caller = aws.caller_account().await.map_err(|e| {
        // A call that timed out or found nobody listening says nothing of the credentials.
        if e.ends_with("timed out") || e.ends_with("could not connect") {
            format!("cannot reach AWS (STS in {}): {e}", aws.region)
        } else {
            format!("cannot use the AWS credentials: {e}")
        }
    })?;
    let region = aws.region.clone();
    let mut refs = references(&caller, &region);
    let mut unknown = Vec::new();

    // The cluster's services first: they add subnets and security groups.
    let services = match cluster {
        Some(name) => {
            let got = ecs::collect(aws, name, &refs.families).await;
            refs.add_awsvpc(&got.subnets, &got.security_groups);
            unknown.extend(got.unknown.into_iter().map(|reason| Unknown {
                part: Part::EcsServices,
                reason,
            }));
            got.services
        }
        None => None,
    };

    // Roles of the caller's account can be read; others cannot.
    let mut role_names = BTreeSet::new();
    for reference in &refs.roles {
        match refs::role_account_and_name(reference) {
            Some((None, name)) => {
                role_names.insert(name.to_string());
            }
            Some((Some(account), name)) if account == caller => {
                role_names.insert(name.to_string());
            }
            Some((Some(account), _)) => unknown.push(Unknown {
                part: Part::Iam,
                reason: format!(
                    "role `{reference}` is in account {account}, the credentials are of account {caller}: its IAM state is not read"
                ),
            }),
            None => {}
        }
    }

    let iam_future = async {
        if role_names.is_empty() {
            None
        } else {
            Some(iam::collect(aws, &role_names).await)
        }
    };
    let ecr_future = all(refs
        .registries
        .iter()
        .map(|((account, reg), repos)| {
            let (aws, account, reg, repos) =
                (aws.clone(), account.clone(), reg.clone(), repos.clone());
            let own = account == caller;
            async move {
                let got = ecr::collect(&aws, &account, &reg, &repos, own).await;
                ((account, reg), got)
            }
        })
        .collect());
    let ec2_future = ec2::collect(aws, &refs.subnets, &refs.security_groups);
    let references_future = read_references(aws, &caller, &refs);
    let (iam, registries, ec2, referenced) =
        tokio::join!(iam_future, ecr_future, ec2_future, references_future);
    let registries = registries?;
    let referenced = referenced?;

    // Sections by (account, region); the caller's account in the deployment region is the
    // primary snapshot, always written.
    let mut sections: BTreeMap<(String, String), serde_json::Map<String, Value>> = BTreeMap::new();
    let primary_key = (caller.clone(), region.clone());
    let primary = sections.entry(primary_key.clone()).or_default();
    match iam {
        Some(Ok(section)) => {
            primary.insert("iam".into(), section);
        }
        Some(Err(reason)) => unknown.push(Unknown {
            part: Part::Iam,
            reason: format!("IAM state of account {caller} not read: {reason}"),
        }),
        None => {}
    }
    if let Some(section) = ec2.section {
        primary.insert("ec2".into(), section);
    }
    unknown.extend(ec2.unknown.into_iter().map(|reason| Unknown {
        part: Part::Ec2,
        reason,
    }));
    if let Some(services) = services {
        primary.insert(
            "ecs".into(),
            serde_json::json!({ "services": Value::Array(services) }),
        );
    }
    for ((account, reg), got) in registries {
        unknown.extend(got.unknown.into_iter().map(|(list, reason)| Unknown {
            part: Part::ecr_list(list).unwrap_or(Part::EcrRepositories),
            reason,
        }));
        if let Some(section) = got.section {
            sections
                .entry((account, reg))
                .or_default()
                .insert("ecr".into(), section);
        }
    }
    unknown.extend(referenced.unknown);
    for (key, name, section) in referenced.sections {
        sections
            .entry(key)
            .or_default()
            .insert(name.into(), section);
    }

    let mut snapshots = Vec::new();
    for ((account, reg), json) in sections {
        let snapshot = LiveSnapshot {
            account_id: account,
            region: reg,
            json: Value::Object(json),
        };
        if (&snapshot.account_id, &snapshot.region) == (&primary_key.0, &primary_key.1) {
            snapshots.insert(0, snapshot);
        } else {
            snapshots.push(snapshot);
        }
    }
    Ok((caller, snapshots, unknown, refs))
}

/// The sections read for what the task definitions reference besides roles, images and the
/// network: (account, region), section name, section.
struct Referenced {
    sections: Vec<((String, String), &'static str, Value)>,
    unknown: Vec<Unknown>,
}

/// Secrets, parameters, log groups and environment files first (concurrently), then the KMS
/// keys the secrets and parameters found are encrypted with. Only the caller's account can be
/// read: a reference into another account is listed as unknown.
async fn read_references(aws: &Aws, caller: &str, refs: &References) -> Result<Referenced, String> {
    let mut out = Referenced {
        sections: Vec::new(),
        unknown: Vec::new(),
    };
    let own = |map: &BTreeMap<(String, String), BTreeSet<String>>,
               part: Part,
               what: &str,
               unknown: &mut Vec<Unknown>| {
        let mut mine = Vec::new();
        for ((account, reg), names) in map {
            if account == caller {
                mine.push((reg.clone(), names.clone()));
            } else {
                let list: Vec<&str> = names.iter().map(String::as_str).collect();
                unknown.push(Unknown {
                    part,
                    reason: format!(
                        "{what} of account {account} region {reg} ({}) not read: the credentials are of account {caller}",
                        list.join(", ")
                    ),
                });
            }
        }
        mine
    };
    let secret_regions = own(
        &refs.secrets,
        Part::Secrets,
        "Secrets Manager secrets",
        &mut out.unknown,
    );
    let parameter_regions = own(
        &refs.parameters,
        Part::Parameters,
        "SSM parameters",
        &mut out.unknown,
    );
    let log_regions = own(
        &refs.log_groups,
        Part::LogGroups,
        "log groups",
        &mut out.unknown,
    );

    let secrets_future = all(secret_regions
        .into_iter()
        .map(|(reg, ids)| {
            let (aws, caller) = (aws.clone(), caller.to_string());
            async move {
                let got = secrets::collect(&aws, &caller, &reg, &ids).await;
                (reg, got)
            }
        })
        .collect());
    let parameters_future = all(parameter_regions
        .into_iter()
        .map(|(reg, names)| {
            let (aws, caller) = (aws.clone(), caller.to_string());
            async move {
                let got = ssm::collect(&aws, &caller, &reg, &names).await;
                (reg, got)
            }
        })
        .collect());
    let logs_future = all(log_regions
        .into_iter()
        .map(|(reg, names)| {
            let (aws, caller) = (aws.clone(), caller.to_string());
            async move {
                let got = logs::collect(&aws, &caller, &reg, &names).await;
                (reg, got)
            }
        })
        .collect());
    let s3_future = async {
        if refs.objects.is_empty() {
            Ok(None)
        } else {
            s3::collect(aws, caller, &refs.objects).await.map(Some)
        }
    };
    let (secrets, parameters, logs, s3) =
        tokio::join!(secrets_future, parameters_future, logs_future, s3_future);

    // Keys: (account, region) → the `KmsKeyId` / `KeyId` values, as written.
    let mut keys: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (reg, got) in secrets? {
        out.unknown
            .extend(got.unknown.into_iter().map(|reason| Unknown {
                part: Part::Secrets,
                reason,
            }));
        let Some(section) = got.section else { continue };
        for s in section["secrets"].as_array().into_iter().flatten() {
            if let Some(key) = s["KmsKeyId"].as_str() {
                add_key(&mut keys, caller, &reg, key);
            }
        }
        out.sections
            .push(((caller.to_string(), reg), "secretsmanager", section));
    }
    for (reg, got) in parameters? {
        out.unknown
            .extend(got.unknown.into_iter().map(|reason| Unknown {
                part: Part::Parameters,
                reason,
            }));
        let Some(section) = got.section else { continue };
        for p in section["parameters"].as_array().into_iter().flatten() {
            if p["Type"] == "SecureString"
                && let Some(key) = p["KeyId"].as_str()
            {
                add_key(&mut keys, caller, &reg, key);
            }
        }
        out.sections
            .push(((caller.to_string(), reg), "ssm", section));
    }
    for (reg, got) in logs? {
        out.unknown
            .extend(got.unknown.into_iter().map(|reason| Unknown {
                part: Part::LogGroups,
                reason,
            }));
        if let Some(section) = got.section {
            out.sections
                .push(((caller.to_string(), reg), "logs", section));
        }
    }
    if let Some(got) = s3? {
        out.unknown
            .extend(got.unknown.into_iter().map(|reason| Unknown {
                part: Part::S3,
                reason,
            }));
        if let Some(section) = got.section {
            out.sections
                .push(((caller.to_string(), aws.region.clone()), "s3", section));
        }
    }

    let key_regions = own(&keys, Part::KmsKeys, "KMS keys", &mut out.unknown);
    let kms = all(key_regions
        .into_iter()
        .map(|(reg, refs)| {
            let (aws, caller) = (aws.clone(), caller.to_string());
            async move {
                let got = kms::collect(&aws, &caller, &reg, &refs).await;
                (reg, got)
            }
        })
        .collect())
    .await?;
    for (reg, got) in kms {
        let got = got?;
        out.unknown
            .extend(got.unknown.into_iter().map(|reason| Unknown {
                part: Part::KmsKeys,
                reason,
            }));
        out.sections
            .push(((caller.to_string(), reg), "kms", got.section));
    }
    Ok(out)
}

/// A key reference of a secret or parameter of `account` and `region`: a key or alias ARN is
/// of its own account and region. The AWS managed keys' aliases (`alias/aws/…`) need no state.
fn add_key(
    keys: &mut BTreeMap<(String, String), BTreeSet<String>>,
    account: &str,
    region: &str,
    key: &str,
) {
    let (account, region, id) = if key.starts_with("arn:") {
        match Arn::parse(key) {
            Some(arn) if arn.service == "kms" => (arn.account, arn.region, arn.resource),
            _ => return,
        }
    } else {
        (account, region, key)
    };
    if id.starts_with("alias/aws/") {
        return;
    }
    keys.entry((account.to_string(), region.to_string()))
        .or_default()
        .insert(key.to_string());
}

/// A line on stderr with the number of calls so far, redrawn until aborted.
fn progress(aws: Aws) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(150));
        loop {
            tick.tick().await;
            let n = aws.log.count();
            eprint!(
                "\r\x1b[2Kreading AWS state in {}: {n} API call{}",
                aws.region,
                if n == 1 { "" } else { "s" }
            );
            let _ = std::io::stderr().flush();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_text_is_a_state_file() {
        let s = LiveSnapshot {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            json: serde_json::json!({"ec2": {"Subnets": []}, "iam": {"RoleDetailList": [], "Policies": []}}),
        };
        let text = s.text();
        assert!(
            text.starts_with("{\n  \"ecsPreflightState\": 1,\n  \"accountId\": \"111122223333\"")
        );
        let file = crate::source::SourceFile::new("s.json".into(), "s.json".into(), text);
        let loaded = crate::state::snapshot::load(&file, 0).unwrap();
        assert_eq!(loaded.region, "us-east-1");
        assert!(loaded.iam.is_some() && loaded.ec2.is_some());
        assert!(loaded.ecr.is_none() && loaded.ecs.is_none());
        assert_eq!(s.sections(), vec!["iam", "ec2"]);
    }

    #[test]
    fn key_references_go_to_their_account_and_region() {
        let mut keys = BTreeMap::new();
        add_key(&mut keys, "111122223333", "us-east-1", "1234abcd-12ab");
        add_key(&mut keys, "111122223333", "us-east-1", "alias/app");
        // The AWS managed keys need no state.
        add_key(&mut keys, "111122223333", "us-east-1", "alias/aws/ssm");
        add_key(
            &mut keys,
            "111122223333",
            "eu-west-1",
            "arn:aws:kms:eu-west-1:111122223333:alias/aws/secretsmanager",
        );
        add_key(
            &mut keys,
            "111122223333",
            "us-east-1",
            "arn:aws:kms:eu-west-1:444455556666:key/5678",
        );
        add_key(&mut keys, "111122223333", "us-east-1", "arn:aws:s3:::b");
        let list = |a: &str, r: &str| {
            keys.get(&(a.to_string(), r.to_string()))
                .map(|s| s.iter().cloned().collect::<Vec<_>>())
        };
        assert_eq!(
            list("111122223333", "us-east-1"),
            Some(vec!["1234abcd-12ab".to_string(), "alias/app".to_string()])
        );
        assert_eq!(
            list("444455556666", "eu-west-1"),
            Some(vec![
                "arn:aws:kms:eu-west-1:444455556666:key/5678".to_string()
            ])
        );
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn the_policy_allows_only_read_calls() {
        let policy: Value = serde_json::from_str(READ_ONLY_POLICY).unwrap();
        for statement in policy["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            for action in statement["Action"].as_array().unwrap() {
                let op = action.as_str().unwrap().split(':').nth(1).unwrap();
                assert!(
                    ["Describe", "Get", "List", "BatchGet"]
                        .iter()
                        .any(|p| op.starts_with(p) && !op.contains('*')),
                    "{op}"
                );
                assert!(
                    ![
                        "secretsmanager:GetSecretValue",
                        "ssm:GetParameter",
                        "ssm:GetParameters",
                        "ssm:GetParametersByPath",
                        "kms:Decrypt",
                        "s3:GetObject",
                    ]
                    .contains(&action.as_str().unwrap()),
                    "{action} reads a value"
                );
            }
        }
    }
}
