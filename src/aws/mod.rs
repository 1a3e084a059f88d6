//! The live collector (`check --aws`, `snapshot`): reads what the inputs reference from the
//! AWS account with the AWS SDK, strictly read-only (only Describe*, Get*, List* and BatchGet*
//! calls), and writes it as state snapshots, exactly the format `--state` reads
//! (docs/inputs.md#state-snapshots), one per account and region. `check --aws` feeds those
//! snapshots to the same loader as state files, so the rules cannot tell the difference.
//!
//! What is read (see each module): `iam` (the referenced roles of the caller's account and
//! their policies), `ecr` (each referenced registry in its own region), `ec2` (the VPCs of the
//! referenced subnets, in the deployment region), `ecs` (with `--cluster`: the services of the
//! task definitions' families). Calls are batched, paginated, deduplicated (each reference
//! once) and concurrent, at most [`client::MAX_CONCURRENT_CALLS`] at a time.
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
pub mod refs;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use client::Target;
use client::{Aws, all};
pub use refs::References;

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

impl LiveSnapshot {
    /// The file text: the fixed keys first, as in docs/inputs.md#state-snapshots, then the sections.
    pub fn text(&self) -> String {
        let mut out = String::from("{\n  \"ecsPreflightState\": 1,\n");
        out.push_str(&format!(
            "  \"accountId\": {},\n  \"region\": {}",
            Value::String(self.account_id.clone()),
            Value::String(self.region.clone())
        ));
        for key in ["iam", "ecr", "ec2", "ecs"] {
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
        ["iam", "ecr", "ec2", "ecs"]
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
    let (iam, registries, ec2) = tokio::join!(iam_future, ecr_future, ec2_future);
    let registries = registries?;

    let mut primary = serde_json::Map::new();
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
    let mut others = Vec::new();
    for ((account, reg), got) in registries {
        unknown.extend(got.unknown.into_iter().map(|(list, reason)| Unknown {
            part: Part::ecr_list(list).unwrap_or(Part::EcrRepositories),
            reason,
        }));
        let Some(section) = got.section else { continue };
        if account == caller && reg == region {
            primary.insert("ecr".into(), section);
        } else {
            let mut json = serde_json::Map::new();
            json.insert("ecr".into(), section);
            others.push(LiveSnapshot {
                account_id: account,
                region: reg,
                json: Value::Object(json),
            });
        }
    }
    let mut snapshots = vec![LiveSnapshot {
        account_id: caller.clone(),
        region,
        json: Value::Object(primary),
    }];
    snapshots.extend(others);
    Ok((caller, snapshots, unknown, refs))
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
            }
        }
    }
}
