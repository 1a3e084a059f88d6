//! The `ssm` section of one account and region: exactly the referenced parameters, with
//! DescribeParameters filtered by name (`Name Equals`, up to 50 values a call, the API's
//! limit), written as `aws ssm describe-parameters` items. Metadata only: GetParameter(s) is
//! never called, and its permission is not in the read-only policy.
//!
//! A name that DescribeParameters does not return does not exist: known absent. Any failure
//! makes the whole section unknown.

use std::collections::BTreeSet;

use aws_sdk_ssm::types::{ParameterMetadata, ParameterStringFilter};
use serde_json::Value;

use super::client::{Aws, all, describe};
use super::json::Obj;

/// The API's limit on the values of one filter.
const NAMES_PER_CALL: usize = 50;

pub struct Collected {
    /// `{"parameters": [...]}`, or None when unknown.
    pub section: Option<Value>,
    pub unknown: Vec<String>,
}

pub async fn collect(
    aws: &Aws,
    account: &str,
    region: &str,
    names: &BTreeSet<String>,
) -> Collected {
    let client = aws.ssm(region);
    // A path name is spelled with its leading `/`; an ARN drops it (`parameter/app/db`), and a
    // root-level name may or may not have one (`/db` and `db` are different parameters). Both
    // spellings are asked for; the state lookup accepts either.
    let mut spellings = BTreeSet::new();
    for name in names {
        spellings.insert(name.clone());
        match name.strip_prefix('/') {
            Some(rest) => spellings.insert(rest.to_string()),
            None => spellings.insert(format!("/{name}")),
        };
    }
    let spellings: Vec<String> = spellings.into_iter().collect();
    let batches = all(spellings
        .chunks(NAMES_PER_CALL)
        .map(|batch| {
            let (aws, client, batch) = (aws.clone(), client.clone(), batch.to_vec());
            async move {
                let filter = ParameterStringFilter::builder()
                    .key("Name")
                    .option("Equals")
                    .set_values(Some(batch))
                    .build()
                    .map_err(|e| format!("ssm:DescribeParameters: {e}"))?;
                let _p = aws.permit().await;
                let mut pages = client
                    .describe_parameters()
                    .parameter_filters(filter)
                    .max_results(50)
                    .into_paginator()
                    .send();
                let mut found = Vec::new();
                while let Some(page) = pages.next().await {
                    match page {
                        Ok(p) => found.extend(p.parameters.unwrap_or_default()),
                        Err(e) => return Err(describe("ssm:DescribeParameters", &e)),
                    }
                }
                Ok(found)
            }
        })
        .collect())
    .await;
    let mut parameters = Vec::new();
    let mut errors = Vec::new();
    match batches {
        Ok(batches) => {
            for b in batches {
                match b {
                    Ok(found) => parameters.extend(found),
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
                "SSM parameters of account {account} region {region} unknown: {}",
                errors.join("; ")
            )],
        };
    }
    parameters.sort_by(|a, b| a.name().cmp(&b.name()));
    parameters.dedup_by(|a, b| a.name() == b.name());
    Collected {
        section: Some(
            Obj::new()
                .list("parameters", &parameters, parameter)
                .build(),
        ),
        unknown: Vec::new(),
    }
}

fn parameter(p: &ParameterMetadata) -> Value {
    Obj::new()
        .str("Name", p.name())
        .str("ARN", p.arn())
        .str("Type", p.r#type().map(|t| t.as_str()))
        .str("KeyId", p.key_id())
        .time("LastModifiedDate", p.last_modified_date())
        .int("Version", Some(p.version()))
        .str("Tier", p.tier().map(|t| t.as_str()))
        .str("DataType", p.data_type())
        .build()
}
