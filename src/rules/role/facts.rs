//! What every ROLE rule needs to know about one task definition, worked out once: the
//! deployment account, region and launch type, and the execution and task roles with their
//! policies (from the template being checked, layered over the state files).

use crate::base::known::Lookup;
use crate::diag::CURRENT_FILE;
use crate::diag::FileId;
use crate::model::placeholder::placeholder;
use crate::model::resolve::partition_of_region;
use crate::model::{Origin, TaskDefinition};
use crate::net::placement::{self, ServiceConfig};
use crate::net::task::{LaunchType, OsFamily};
use crate::parse::{Node, NodeKind};
use crate::rules::Context;
use crate::state::ecs::task_definition_family;
use crate::state::iam::{
    LoadedPolicy, PolicyLink, RoleEntry, RoleLookup, RoleSource, arn_account, role_name_of,
};
use crate::state::template::iam::TemplateIamIndex;

/// A policy of a role: a loaded document (which may itself be unreadable), or one that is
/// known to be there but not what it says.
#[derive(Clone, Debug)]
pub enum Pol<'a> {
    Loaded(&'a LoadedPolicy),
    Unknown { name: String, reason: String },
}

impl<'a> Pol<'a> {
    pub fn doc(&self) -> crate::iam::PolicyDoc<'a> {
        match self {
            Pol::Loaded(p) => p.doc(),
            Pol::Unknown { name, reason } => crate::iam::PolicyDoc::Unknown {
                name: name.clone(),
                reason: reason.clone(),
            },
        }
    }

    pub fn loaded(&self) -> Option<&'a LoadedPolicy> {
        match self {
            Pol::Loaded(p) => Some(p),
            Pol::Unknown { .. } => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Pol::Loaded(p) => &p.name,
            Pol::Unknown { name, .. } => name,
        }
    }
}

/// A role with every policy that applies to it.
#[derive(Debug)]
pub struct RoleView<'a> {
    pub entry: &'a RoleEntry,
    /// The role's account.
    pub account: String,
    pub identity: Vec<Pol<'a>>,
    pub boundary: Option<Pol<'a>>,
    /// `aws:CurrentTime` / `aws:EpochTime`, in seconds since the epoch.
    pub now: u64,
}

impl<'a> RoleView<'a> {
    pub fn label(&self) -> &str {
        &self.entry.label
    }

    pub fn policy_set(&self) -> crate::iam::PolicySet<'a> {
        crate::iam::PolicySet {
            identity: self.identity.iter().map(Pol::doc).collect(),
            boundary: self.boundary.as_ref().map(Pol::doc),
            resource: None,
        }
    }
}

/// What the role field of the task definition leads to.
#[derive(Debug)]
pub enum RoleRef<'a> {
    /// The field is absent.
    None,
    Found(RoleView<'a>),
    /// State for the role's account lists its roles, and this one is not there.
    NotFound {
        arn: String,
        file: FileId,
        list: crate::span::Span,
        same_name: Option<&'a RoleEntry>,
    },
    Unknown(String),
}

/// Everything the ROLE rules share about one task definition.
pub struct Facts<'a> {
    pub account: Option<String>,
    pub region: Option<String>,
    pub partition: String,
    pub launch: LaunchType,
    /// Where the launch type came from, for messages.
    pub launch_source: String,
    pub exec_node: Option<&'a Node>,
    pub exec: RoleRef<'a>,
    pub task_role: RoleRef<'a>,
    pub template: &'a TemplateIamIndex,
}

impl<'a> Facts<'a> {
    pub fn new(task: &'a TaskDefinition, cx: &Context<'a>) -> Facts<'a> {
        let template = cx.template.iam.get(cx.document, cx.file, cx.settings);
        // An empty string is no role (the deploy tools drop it).
        let present = |n: &&Node| n.as_str() != Some("");
        let exec_node = task.get("executionRoleArn").filter(present);
        let task_node = task.get("taskRoleArn").filter(present);
        let account = task_account(cx, exec_node, task_node);
        let region = cx.settings.region.clone();
        let partition = partition_of_region(region.as_deref().unwrap_or("us-east-1")).to_string();
        let (launch, launch_source) = launch_type(task, cx);
        let exec = resolve_role(exec_node, cx, template, account.as_deref());
        let task_role = resolve_role(task_node, cx, template, account.as_deref());
        Facts {
            account,
            region,
            partition,
            launch,
            launch_source,
            exec_node,
            exec,
            task_role,
            template,
        }
    }
}

/// The task's account: `--account` / config, else the account in the task definition's role
/// ARNs, else the only state file's.
fn task_account(cx: &Context, exec: Option<&Node>, task: Option<&Node>) -> Option<String> {
    if cx.settings.account.is_some() && cx.settings.account_source.is_none() {
        return cx.settings.account.clone();
    }
    [exec, task]
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .find_map(|s| arn_account(s).map(str::to_string))
        .or_else(|| cx.settings.account.clone())
}

fn resolve_role<'a>(
    node: Option<&'a Node>,
    cx: &Context<'a>,
    template: &'a TemplateIamIndex,
    account: Option<&str>,
) -> RoleRef<'a> {
    let Some(node) = node else {
        return RoleRef::None;
    };
    let state = &cx.state.iam;
    let found = |entry: &'a RoleEntry| RoleRef::Found(role_view(entry, cx, template, account));
    match &node.kind {
        NodeKind::ResourceRef { id, .. } => match template.role_by_id(id) {
            Some(entry) => found(entry),
            None => RoleRef::Unknown(format!(
                "the role comes from `{id}`, which is not an IAM role of this template"
            )),
        },
        NodeKind::Unresolved(why) => {
            RoleRef::Unknown(format!("the role is known only at deploy time: {why}"))
        }
        NodeKind::String(s) => {
            if let Some(why) = placeholder(s) {
                return RoleRef::Unknown(format!("the role ARN is a placeholder: {why}"));
            }
            if s.starts_with("arn:") {
                if role_name_of(s).is_none() || !s.contains(":iam::") {
                    return RoleRef::Unknown(format!("`{s}` is not an IAM role ARN"));
                }
                let account_ok = arn_account(s)
                    .is_some_and(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
                if !account_ok {
                    return RoleRef::Unknown(format!(
                        "`{s}` does not name a 12-digit account (a placeholder?)"
                    ));
                }
                if let Some(entry) = template.role_by_arn(s) {
                    return found(entry);
                }
                match state.role_by_arn(s) {
                    RoleLookup::Found(entry) => found(entry),
                    RoleLookup::NotFound {
                        file,
                        list,
                        same_name,
                    } => RoleRef::NotFound {
                        arn: s.clone(),
                        file,
                        list,
                        same_name,
                    },
                    RoleLookup::Unknown(why) => RoleRef::Unknown(why),
                }
            } else {
                // A role name (taskRoleArn accepts one): the task's account.
                if let Some(entry) = template.role_by_name(s) {
                    return found(entry);
                }
                let Some(account) = account else {
                    return RoleRef::Unknown(format!(
                        "the role `{s}` is given by name and the deployment account is not known (pass --account)"
                    ));
                };
                match state.role_by_name(account, s) {
                    RoleLookup::Found(entry) => found(entry),
                    RoleLookup::NotFound { file, list, .. } => RoleRef::NotFound {
                        arn: s.clone(),
                        file,
                        list,
                        same_name: None,
                    },
                    RoleLookup::Unknown(why) => RoleRef::Unknown(why),
                }
            }
        }
        _ => RoleRef::Unknown(format!("the role is {}, not an ARN", node.type_name())),
    }
}

/// A role with its policies resolved: managed policies by ARN from the state, else the
/// shipped AWS managed policies, else unknown; plus what the template attaches to it.
fn role_view<'a>(
    entry: &'a RoleEntry,
    cx: &Context<'a>,
    template: &'a TemplateIamIndex,
    account: Option<&str>,
) -> RoleView<'a> {
    let resolve = |link: &'a PolicyLink| -> Pol<'a> {
        match link {
            PolicyLink::Arn(arn) if arn.contains("${") => Pol::Unknown {
                name: arn.clone(),
                reason: "the ARN contains a `${…}` variable that nothing substitutes (in CloudFormation, only `!Sub` does): IAM would refuse it".into(),
            },
            PolicyLink::Arn(arn) => match cx.state.iam.managed_policy(arn) {
                Some(p) => Pol::Loaded(p),
                None => Pol::Unknown {
                    name: arn.clone(),
                    reason: "this attached managed policy is not in the state's `Policies` and is not one of the AWS managed policies shipped with ecs-preflight".into(),
                },
            },
            PolicyLink::Template(i) => match template.managed.get(*i) {
                Some(p) => Pol::Loaded(p),
                None => Pol::Unknown {
                    name: "managed policy".into(),
                    reason: "internal error: template policy index".into(),
                },
            },
            PolicyLink::Unknown { name, reason } => Pol::Unknown {
                name: name.clone(),
                reason: reason.clone(),
            },
        }
    };
    let mut identity: Vec<Pol<'a>> = entry.inline.iter().map(Pol::Loaded).collect();
    if !entry.inline_known {
        identity.push(Pol::Unknown {
            name: format!("inline policies of `{}`", entry.label),
            reason: "the state does not list them (`RolePolicyList` is missing)".into(),
        });
    }
    identity.extend(entry.attached.iter().map(&resolve));
    if !entry.attached_known {
        identity.push(Pol::Unknown {
            name: format!("attached policies of `{}`", entry.label),
            reason: "the state does not list them (`AttachedManagedPolicies` is missing)".into(),
        });
    }
    if entry.source == RoleSource::StateFile {
        if let Some(name) = &entry.name {
            identity.extend(template.extra_inline_for(name).iter().map(Pol::Loaded));
            identity.extend(template.extra_attached_for(name).iter().map(&resolve));
        }
        for (policy, why) in &template.floating {
            identity.push(Pol::Unknown {
                name: policy.clone(),
                reason: format!("the template attaches it to a role named at deploy time ({why})"),
            });
        }
    }
    let boundary = entry.boundary.as_ref().map(&resolve);
    let role_account = entry
        .account
        .clone()
        .or_else(|| account.map(str::to_string))
        .unwrap_or_default();
    let now = match cx.settings.now {
        Some(t) => u64::try_from(t.micros() / 1_000_000).unwrap_or(0),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    RoleView {
        entry,
        account: role_account,
        identity,
        boundary,
        now,
    }
}

/// The launch type: `--launch-type`, else the service's (a `--service` file, the template's
/// service that runs this task definition, the state's services of the same family), else the
/// only entry of `requiresCompatibilities`, else unknown. The same sources, in the same order,
/// as the NET rules' placement (`net::placement`), so both families agree.
fn launch_type(task: &TaskDefinition, cx: &Context) -> (LaunchType, String) {
    let family = task.get_str("family").unwrap_or(&task.label);
    let config = service_config(task, family, cx);
    let compatibilities = task.compatibilities();
    let placement = placement::resolve(
        &cx.settings.network,
        config,
        compatibilities.as_deref(),
        OsFamily::Unknown,
    );
    (
        placement.network.launch_type,
        placement.launch_type_from.unwrap_or_default(),
    )
}

/// The first service configuration that applies to the task (after the command line).
fn service_config(task: &TaskDefinition, family: &str, cx: &Context) -> Option<ServiceConfig> {
    if let Some(f) = cx.service_file {
        let configs = placement::service_file_configs(&f.root, f.file, "the --service file");
        if let Some((_, config)) = configs
            .into_iter()
            .find(|(f, _)| f.as_deref().is_none_or(|f| f == family))
        {
            return Some(config);
        }
    }
    let own_id = match &task.origin {
        Origin::CloudFormation { logical_id } => Some(logical_id.as_str()),
        Origin::TerraformPlan { address } => Some(address.as_str()),
        Origin::Native => None,
    };
    for service in &cx.template.net.services {
        let runs_it = match &service.task_definition {
            Lookup::Found(id) => {
                Some(id.as_str()) == own_id || task_definition_family(id) == Some(family)
            }
            _ => false,
        };
        if runs_it {
            return Some(placement::template_service_config(service, CURRENT_FILE));
        }
    }
    // The state file of the deployment region (and account, when known).
    let region = cx.settings.region.as_deref()?;
    let snapshot = match cx.settings.account.as_deref() {
        Some(account) => cx.state.snapshot(account, region),
        None => {
            let mut in_region = cx.state.snapshots.iter().filter(|s| s.region == region);
            match (in_region.next(), in_region.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }?;
    let ecs = snapshot.ecs.as_ref()?;
    let index = *placement::state_services_by_family(ecs).get(family)?;
    placement::state_service_config(ecs, index, snapshot.file, "the state file", &snapshot.root)
}
