//! The `iam` section: the referenced roles of the caller's account, in the shape of
//! `aws iam get-account-authorization-details` (`RoleDetailList`, `Policies`).
//!
//! Per role: GetRole, ListRolePolicies + GetRolePolicy, ListAttachedRolePolicies; then, once
//! per distinct managed policy (attached or permissions boundary) over all roles, GetPolicy +
//! GetPolicyVersion of its default version. Documents come URL-encoded and are decoded.
//!
//! A role that does not exist (`NoSuchEntity`) is left out: known absent. Any other failure
//! makes the whole section unknown: a role listed without, say, its attached policies would
//! read as a role that has none.

use std::collections::BTreeSet;

use serde_json::Value;

use super::client::{Aws, all, describe, is};
use super::json::{Obj, iam_document};

const NOT_FOUND: &[&str] = &["NoSuchEntity", "NoSuchEntityException"];

/// Reads the roles (by name) and the managed policies they use.
pub async fn collect(aws: &Aws, role_names: &BTreeSet<String>) -> Result<Value, String> {
    let roles = all(role_names
        .iter()
        .map(|name| {
            let aws = aws.clone();
            let name = name.clone();
            async move { role(&aws, &name).await }
        })
        .collect())
    .await?;
    let mut details = Vec::new();
    let mut policy_arns = BTreeSet::new();
    for r in roles {
        if let Some(r) = r? {
            policy_arns.extend(r.policy_arns.iter().cloned());
            details.push(r.detail);
        }
    }
    let policies = all(policy_arns
        .into_iter()
        .map(|arn| {
            let aws = aws.clone();
            async move { managed_policy(&aws, &arn).await }
        })
        .collect())
    .await?;
    let mut policy_details = Vec::new();
    for p in policies {
        if let Some(p) = p? {
            policy_details.push(p);
        }
    }
    Ok(Obj::new()
        .value("RoleDetailList", Some(Value::Array(details)))
        .value("Policies", Some(Value::Array(policy_details)))
        .build())
}

struct RoleOut {
    detail: Value,
    /// Attached managed policies and the permissions boundary.
    policy_arns: Vec<String>,
}

async fn role(aws: &Aws, name: &str) -> Result<Option<RoleOut>, String> {
    let got = {
        let _p = aws.permit().await;
        aws.iam.get_role().role_name(name).send().await
    };
    let role = match got {
        Ok(out) => match out.role {
            Some(r) => r,
            None => return Ok(None),
        },
        Err(e) if is(&e, NOT_FOUND) => return Ok(None),
        Err(e) => return Err(describe(&format!("iam:GetRole({name})"), &e)),
    };

    let mut inline_names = Vec::new();
    {
        let _p = aws.permit().await;
        let mut pages = aws
            .iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => inline_names.extend(p.policy_names),
                Err(e) => return Err(describe(&format!("iam:ListRolePolicies({name})"), &e)),
            }
        }
    }
    let mut inline = Vec::new();
    for policy in &inline_names {
        let _p = aws.permit().await;
        match aws
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
        {
            Ok(out) => inline.push(
                Obj::new()
                    .str("PolicyName", Some(out.policy_name()))
                    .value("PolicyDocument", Some(iam_document(out.policy_document())))
                    .build(),
            ),
            // Deleted between the list and the get.
            Err(e) if is(&e, NOT_FOUND) => {}
            Err(e) => {
                return Err(describe(
                    &format!("iam:GetRolePolicy({name}, {policy})"),
                    &e,
                ));
            }
        }
    }

    let mut attached = Vec::new();
    {
        let _p = aws.permit().await;
        let mut pages = aws
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => attached.extend(p.attached_policies.unwrap_or_default()),
                Err(e) => {
                    return Err(describe(
                        &format!("iam:ListAttachedRolePolicies({name})"),
                        &e,
                    ));
                }
            }
        }
    }

    let mut policy_arns: Vec<String> = attached
        .iter()
        .filter_map(|a| a.policy_arn().map(str::to_string))
        .collect();
    let boundary = role.permissions_boundary().map(|b| {
        if let Some(arn) = b.permissions_boundary_arn() {
            policy_arns.push(arn.to_string());
        }
        Obj::new()
            .str(
                "PermissionsBoundaryType",
                b.permissions_boundary_type().map(|t| t.as_str()),
            )
            .str("PermissionsBoundaryArn", b.permissions_boundary_arn())
            .build()
    });
    let detail = Obj::new()
        .str("Path", Some(role.path()))
        .str("RoleName", Some(role.role_name()))
        .str("RoleId", Some(role.role_id()))
        .str("Arn", Some(role.arn()))
        .time("CreateDate", Some(role.create_date()))
        .value(
            "AssumeRolePolicyDocument",
            role.assume_role_policy_document().map(iam_document),
        )
        .value("RolePolicyList", Some(Value::Array(inline)))
        .list("AttachedManagedPolicies", &attached, |a| {
            Obj::new()
                .str("PolicyName", a.policy_name())
                .str("PolicyArn", a.policy_arn())
                .build()
        })
        .value("PermissionsBoundary", boundary)
        .list("Tags", role.tags(), |t| {
            Obj::new()
                .str("Key", Some(t.key()))
                .str("Value", Some(t.value()))
                .build()
        })
        .build();
    Ok(Some(RoleOut {
        detail,
        policy_arns,
    }))
}

/// A managed policy with its default version's document (the only one that counts).
async fn managed_policy(aws: &Aws, arn: &str) -> Result<Option<Value>, String> {
    let got = {
        let _p = aws.permit().await;
        aws.iam.get_policy().policy_arn(arn).send().await
    };
    let policy = match got {
        Ok(out) => match out.policy {
            Some(p) => p,
            None => return Ok(None),
        },
        Err(e) if is(&e, NOT_FOUND) => return Ok(None),
        Err(e) => return Err(describe(&format!("iam:GetPolicy({arn})"), &e)),
    };
    let Some(version_id) = policy.default_version_id() else {
        return Ok(None);
    };
    let got = {
        let _p = aws.permit().await;
        aws.iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version_id)
            .send()
            .await
    };
    let version = match got {
        Ok(out) => match out.policy_version {
            Some(v) => v,
            None => return Ok(None),
        },
        Err(e) if is(&e, NOT_FOUND) => return Ok(None),
        Err(e) => {
            return Err(describe(
                &format!("iam:GetPolicyVersion({arn}, {version_id})"),
                &e,
            ));
        }
    };
    let version_json = Obj::new()
        .value("Document", version.document().map(iam_document))
        .str("VersionId", version.version_id())
        .bool("IsDefaultVersion", Some(true))
        .time("CreateDate", version.create_date())
        .build();
    Ok(Some(
        Obj::new()
            .str("PolicyName", policy.policy_name())
            .str("PolicyId", policy.policy_id())
            .str("Arn", policy.arn().or(Some(arn)))
            .str("Path", policy.path())
            .str("DefaultVersionId", Some(version_id))
            .value("PolicyVersionList", Some(Value::Array(vec![version_json])))
            .build(),
    ))
}
