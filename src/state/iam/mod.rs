//! The `iam` section of a state snapshot: `aws iam get-account-authorization-details` output
//! (`RoleDetailList`, `Policies`; other keys ignored). Policy documents may be JSON objects (CLI
//! output) or URL-encoded strings (raw API / SDK output); both are kept as they came and parsed
//! by the IAM layer.

//!
//! The module is split along its seams: the section's types (here), the policy documents
//! ([`document`]: read once, from state files lazily, from templates with their unknown parts
//! widened) and the index of roles and policies ([`index`]).

mod document;
mod index;

pub use document::{LoadedPolicy, PolicyKind, PolicyOrigin, UNRESOLVED_KEY_PREFIX};
pub use index::{
    IamIndex, PolicyLink, RoleEntry, RoleLookup, RoleSource, arn_account, read_role, role_name_of,
};

use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamSection {
    /// None: roles not known. Some(empty): known, there are none. The roles themselves are
    /// read while the file is parsed ([`read_role`]), not kept here.
    pub role_detail_list: Option<Vec<serde::de::IgnoredAny>>,
    pub policies: Option<Vec<ManagedPolicyDetail>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    pub path: Option<String>,
    pub role_name: Option<String>,
    pub role_id: Option<String>,
    pub arn: Option<String>,
    /// The documents are read from the file's text (see [`LoadedPolicy`]).
    pub assume_role_policy_document: Option<serde::de::IgnoredAny>,
    pub role_policy_list: Option<Vec<InlinePolicy>>,
    pub attached_managed_policies: Option<Vec<AttachedPolicy>>,
    pub permissions_boundary: Option<PermissionsBoundary>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: Option<String>,
    pub policy_document: Option<serde::de::IgnoredAny>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: Option<String>,
    pub policy_arn: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionsBoundary {
    pub permissions_boundary_arn: Option<String>,
    pub permissions_boundary_type: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    pub policy_name: Option<String>,
    pub arn: Option<String>,
    pub path: Option<String>,
    pub default_version_id: Option<String>,
    pub policy_version_list: Option<Vec<PolicyVersion>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    pub document: Option<Value>,
    pub version_id: Option<String>,
    pub is_default_version: Option<bool>,
}
