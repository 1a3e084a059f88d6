//! The `logs` section of one account and region: exactly the referenced log groups, one
//! DescribeLogGroups with the name as `logGroupNamePrefix` each (paged until the name itself
//! is seen: the prefix also matches longer names), written as `aws logs describe-log-groups`
//! items.
//!
//! A name that is not returned does not exist: known absent. Any failure makes the whole
//! section unknown.

use std::collections::BTreeSet;

use aws_sdk_cloudwatchlogs::types::LogGroup;
use serde_json::Value;

use super::client::{Aws, all, describe};
use super::json::Obj;

pub struct Collected {
    /// `{"logGroups": [...]}`, or None when unknown.
    pub section: Option<Value>,
    pub unknown: Vec<String>,
}

pub async fn collect(
    aws: &Aws,
    account: &str,
    region: &str,
    names: &BTreeSet<String>,
) -> Collected {
    let client = aws.logs(region);
    let answers = all(names
        .iter()
        .map(|name| {
            let (aws, client, name) = (aws.clone(), client.clone(), name.clone());
            async move {
                let _p = aws.permit().await;
                let mut pages = client
                    .describe_log_groups()
                    .log_group_name_prefix(&name)
                    .limit(50)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    match page {
                        Ok(p) => {
                            if let Some(g) = p
                                .log_groups
                                .unwrap_or_default()
                                .into_iter()
                                .find(|g| g.log_group_name() == Some(name.as_str()))
                            {
                                return Ok(Some(g));
                            }
                        }
                        Err(e) => {
                            return Err(describe(&format!("logs:DescribeLogGroups({name})"), &e));
                        }
                    }
                }
                Ok(None)
            }
        })
        .collect())
    .await;
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    match answers {
        Ok(answers) => {
            for a in answers {
                match a {
                    Ok(Some(g)) => groups.push(g),
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        Err(e) => errors.push(e),
    }
    if !errors.is_empty() {
        return Collected {
            section: None,
            unknown: vec![format!(
                "log groups of account {account} region {region} unknown: {}",
                errors.join("; ")
            )],
        };
    }
    Collected {
        section: Some(Obj::new().list("logGroups", &groups, log_group).build()),
        unknown: Vec::new(),
    }
}

fn log_group(g: &LogGroup) -> Value {
    Obj::new()
        .str("logGroupName", g.log_group_name())
        .int("creationTime", g.creation_time())
        .int("retentionInDays", g.retention_in_days().map(i64::from))
        .str("arn", g.arn())
        .str("kmsKeyId", g.kms_key_id())
        .build()
}
