//! The result of the network analysis of one task: per subnet the internet verdict, per needed
//! service the path in each subnet, the problems found (each with every subnet it affects, so
//! that a rule can report one diagnostic per task definition and cause), the endpoint
//! policies a caller must evaluate, and everything unknown with its reason.

use std::collections::HashMap;
use std::fmt;

use crate::net::needs::{Request, ServiceKey};
use crate::net::routes::{NoInternet, RouteTarget};
use crate::net::services::ServiceKind;
use crate::net::task::{EniModel, NoPublicIp, PublicIp};

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkReport {
    /// The region of the VPC (the deployment region).
    pub region: String,
    pub public_ip: PublicIp,
    pub eni_model: EniModel,
    /// The task's security groups; the VPC default group when the task names none and the
    /// state has it.
    pub task_security_groups: Vec<String>,
    /// One per distinct subnet of the task, in its order.
    pub subnets: Vec<SubnetReport>,
    /// One per needed service and per public registry, in the order of the needs.
    pub targets: Vec<TargetReport>,
    pub findings: Vec<Finding>,
    /// One per endpoint and service whose traffic it carries.
    pub policy_checks: Vec<EndpointPolicyCheck>,
    pub unknowns: Vec<UnknownItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubnetReport {
    pub subnet_id: String,
    pub vpc_id: Option<String>,
    pub cidr: Option<String>,
    pub availability_zone: Option<String>,
    pub route_table_id: Option<String>,
    pub internet: InternetVerdict,
}

/// Whether the task has an internet path from a subnet (docs/network.md#the-internet-path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InternetVerdict {
    Yes(InternetPath),
    /// Default route to an internet gateway, but the task gets no public IP (NET002).
    PublicIpMissing {
        internet_gateway_id: String,
        why: NoPublicIp,
    },
    No(NoInternet),
    /// The default route continues where the state cannot follow (NET014).
    Unverifiable {
        target: RouteTarget,
        via_nat_gateway: Option<String>,
    },
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InternetPath {
    InternetGateway {
        internet_gateway_id: String,
    },
    NatGateway {
        nat_gateway_id: String,
        internet_gateway_id: String,
    },
}

/// Something the task must reach.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Service(ServiceKey),
    /// A registry host reachable only over the internet.
    PublicRegistry(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Service(key) => key.fmt(f),
            Target::PublicRegistry(host) => f.write_str(host),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetReport {
    pub target: Target,
    /// One per subnet, in the order of [`NetworkReport::subnets`].
    pub paths: Vec<Path>,
}

/// How a target is reached from one subnet. Problems on the path (security groups, DNS,
/// policy) are in the findings, not here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Path {
    Internet,
    InterfaceEndpoint(String),
    GatewayEndpoint(String),
    /// No path: the findings say why.
    Unreachable,
    Unknown(String),
    /// Not carried by the task's subnets (Fargate ≤ 1.3.0 platform ENI, ECS Anywhere).
    NotEvaluated(String),
}

/// A subnet a finding applies to, with its route table (for route-table fixes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffectedSubnet {
    pub subnet_id: String,
    pub route_table_id: Option<String>,
}

/// One problem and every subnet where it occurs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub problem: Problem,
    pub subnets: Vec<AffectedSubnet>,
}

/// Where the task's outbound 443 must go.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EgressDestination {
    Internet,
    InterfaceEndpoint {
        service: ServiceKey,
        endpoint_id: String,
        endpoint_groups: Vec<String>,
    },
    S3PrefixList {
        region: String,
        endpoint_id: String,
        prefix_list_ids: Vec<String>,
    },
}

/// A problem. Each maps to one NET rule ([`Problem::code`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// The default route goes to an internet gateway and the task gets no public IP, and some
    /// needed service has no other path from the subnet (NET002).
    PublicIpDisabled {
        internet_gateway_id: String,
        why: NoPublicIp,
    },
    /// No internet path and no endpoint for the service in the VPC (NET003–NET007; for S3:
    /// no S3 gateway endpoint in the VPC at all).
    EndpointMissing { service: ServiceKey, vpc_id: String },
    /// No internet path, and the VPC's S3 gateway endpoints are not on the subnet's route
    /// table (NET005).
    S3GatewayNotOnRouteTable {
        service: ServiceKey,
        vpc_id: String,
        gateway_endpoint_ids: Vec<String>,
    },
    /// No internet path and the service's endpoint is not `available` (NET003–NET007).
    EndpointNotAvailable {
        service: ServiceKey,
        endpoint_id: String,
        state: String,
    },
    /// No internet path and the endpoint has private DNS off (NET008).
    PrivateDnsDisabled {
        service: ServiceKey,
        endpoint_id: String,
    },
    /// The endpoint's security groups do not let TCP 443 in from the task (NET009). `partial`:
    /// part of the subnet's addresses are allowed.
    EndpointIngressBlocked {
        service: ServiceKey,
        endpoint_id: String,
        endpoint_groups: Vec<String>,
        partial: bool,
    },
    /// The task's security groups do not let TCP 443 out to the path in use (NET010).
    TaskEgressBlocked {
        destination: EgressDestination,
        task_groups: Vec<String>,
        partial: bool,
    },
    /// A non-ECR registry and no internet path (NET012).
    PublicRegistryUnreachable { host: String },
    /// The service is in another region (or uses the dual-stack hostnames) and there is no
    /// internet path: VPC endpoints cannot carry it (NET013 for ECR and its layers; NET006 /
    /// NET007 for logs and secrets).
    NoEndpointPath {
        service: ServiceKey,
        vpc_region: String,
    },
    /// The default route leads where the state cannot follow, and a needed service depends on
    /// it (NET014).
    EgressUnverifiable {
        target: RouteTarget,
        via_nat_gateway: Option<String>,
    },
    /// A needed endpoint relies on private DNS and the VPC has a DNS attribute off (NET015).
    VpcDnsDisabled {
        vpc_id: String,
        dns_support: Option<bool>,
        dns_hostnames: Option<bool>,
    },
}

/// What the network analysis decides, one kind per verdict it can reach. The rules layer maps
/// each to its rule (`rules::net::rule_of`); the analysis itself knows no rule codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetCheck {
    /// The subnet's internet path needs a public IP the task does not get.
    PublicIpDisabled,
    EcrApiUnreachable,
    EcrDkrUnreachable,
    S3LayersUnreachable,
    LogsUnreachable,
    SecretsUnreachable,
    EndpointPrivateDnsDisabled,
    EndpointSgBlocksHttps,
    TaskEgressBlocksHttps,
    EndpointPolicyDenies,
    PublicRegistryUnreachable,
    CrossRegionOverEndpoints,
    EgressUnverifiable,
    VpcDnsDisabled,
}

impl NetCheck {
    pub const ALL: [NetCheck; 14] = [
        NetCheck::PublicIpDisabled,
        NetCheck::EcrApiUnreachable,
        NetCheck::EcrDkrUnreachable,
        NetCheck::S3LayersUnreachable,
        NetCheck::LogsUnreachable,
        NetCheck::SecretsUnreachable,
        NetCheck::EndpointPrivateDnsDisabled,
        NetCheck::EndpointSgBlocksHttps,
        NetCheck::TaskEgressBlocksHttps,
        NetCheck::EndpointPolicyDenies,
        NetCheck::PublicRegistryUnreachable,
        NetCheck::CrossRegionOverEndpoints,
        NetCheck::EgressUnverifiable,
        NetCheck::VpcDnsDisabled,
    ];
}

impl Problem {
    /// What this problem is a verdict of. For services with no check of their own (the ECS
    /// agent endpoints of EC2 container instances), the closest: the ECR API's.
    pub fn check(&self) -> NetCheck {
        match self {
            Problem::PublicIpDisabled { .. } => NetCheck::PublicIpDisabled,
            Problem::EndpointMissing { service, .. }
            | Problem::EndpointNotAvailable { service, .. } => missing_service_check(service.kind),
            Problem::S3GatewayNotOnRouteTable { .. } => NetCheck::S3LayersUnreachable,
            Problem::PrivateDnsDisabled { .. } => NetCheck::EndpointPrivateDnsDisabled,
            Problem::EndpointIngressBlocked { .. } => NetCheck::EndpointSgBlocksHttps,
            Problem::TaskEgressBlocked { .. } => NetCheck::TaskEgressBlocksHttps,
            Problem::PublicRegistryUnreachable { .. } => NetCheck::PublicRegistryUnreachable,
            // NET013 is about private ECR images; logs or secrets in another region are the
            // service's own "unreachable" rule.
            Problem::NoEndpointPath { service, .. } => match service.kind {
                ServiceKind::EcrApi | ServiceKind::EcrDkr | ServiceKind::S3 => {
                    NetCheck::CrossRegionOverEndpoints
                }
                kind => missing_service_check(kind),
            },
            Problem::EgressUnverifiable { .. } => NetCheck::EgressUnverifiable,
            Problem::VpcDnsDisabled { .. } => NetCheck::VpcDnsDisabled,
        }
    }

    /// The problems that NET002 suppresses for its subnets (NET003–NET007, NET012).
    pub fn suppressed_by_public_ip_disabled(&self) -> bool {
        matches!(
            self,
            Problem::EndpointMissing { .. }
                | Problem::EndpointNotAvailable { .. }
                | Problem::S3GatewayNotOnRouteTable { .. }
                | Problem::PublicRegistryUnreachable { .. }
        )
    }
}

/// The check "no internet and no endpoint" of a service.
pub fn missing_service_check(kind: ServiceKind) -> NetCheck {
    match kind {
        ServiceKind::EcrApi => NetCheck::EcrApiUnreachable,
        ServiceKind::EcrDkr => NetCheck::EcrDkrUnreachable,
        ServiceKind::S3 => NetCheck::S3LayersUnreachable,
        ServiceKind::Logs => NetCheck::LogsUnreachable,
        ServiceKind::SecretsManager | ServiceKind::Ssm => NetCheck::SecretsUnreachable,
        ServiceKind::EcsAgent | ServiceKind::EcsTelemetry | ServiceKind::Ecs => {
            NetCheck::EcrApiUnreachable
        }
    }
}

/// An endpoint policy the caller must evaluate (NET011): the requests of `service` that go
/// through `endpoint_id` must all be allowed by it (for the execution role as principal).
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointPolicyCheck {
    pub endpoint_id: String,
    pub service: ServiceKey,
    pub policy: EndpointPolicy,
    pub requests: Vec<Request>,
    /// The subnets whose traffic goes through the endpoint.
    pub subnets: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EndpointPolicy {
    /// The `PolicyDocument` string and its parsed JSON.
    Document {
        text: String,
        json: serde_json::Value,
    },
    /// The `PolicyDocument` string is not JSON.
    Malformed { text: String, error: String },
    /// No policy in the state (the endpoint or its `PolicyDocument` is absent).
    Unknown(String),
}

impl EndpointPolicy {
    pub fn from_text(text: Option<&str>, endpoint_id: &str) -> EndpointPolicy {
        let Some(text) = text else {
            return EndpointPolicy::Unknown(format!(
                "{endpoint_id} has no PolicyDocument in the state"
            ));
        };
        match serde_json::from_str(text) {
            Ok(json) => EndpointPolicy::Document {
                text: text.to_string(),
                json,
            },
            Err(error) => EndpointPolicy::Malformed {
                text: text.to_string(),
                error: error.to_string(),
            },
        }
    }
}

/// What an unknown is about, so the caller can name the rules it skipped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Whether the subnet has an internet path (NET002, NET014, and every rule that depends
    /// on the path).
    Internet,
    /// The path to a service or registry (its NET003–NET007, NET012, NET013 rule).
    Target(Target),
    /// The endpoint's security groups (NET009).
    EndpointIngress { endpoint_id: String },
    /// The task's outbound rules (NET010).
    TaskEgress,
    /// The VPC's DNS attributes (NET015).
    VpcDns { vpc_id: String },
}

impl Subject {
    /// The checks this unknown leaves undecided.
    pub fn checks(&self) -> Vec<NetCheck> {
        match self {
            Subject::Internet => vec![NetCheck::PublicIpDisabled, NetCheck::EgressUnverifiable],
            Subject::Target(Target::Service(key)) => vec![
                missing_service_check(key.kind),
                NetCheck::CrossRegionOverEndpoints,
            ],
            Subject::Target(Target::PublicRegistry(_)) => vec![NetCheck::PublicRegistryUnreachable],
            Subject::EndpointIngress { .. } => vec![NetCheck::EndpointSgBlocksHttps],
            Subject::TaskEgress => vec![NetCheck::TaskEgressBlocksHttps],
            Subject::VpcDns { .. } => vec![NetCheck::VpcDnsDisabled],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownItem {
    pub subject: Subject,
    pub reason: String,
    pub subnets: Vec<String>,
}

impl NetworkReport {
    /// The subnets where NET002 fires.
    pub fn public_ip_disabled_subnets(&self) -> Vec<&str> {
        self.findings
            .iter()
            .filter(|f| matches!(f.problem, Problem::PublicIpDisabled { .. }))
            .flat_map(|f| f.subnets.iter().map(|s| s.subnet_id.as_str()))
            .collect()
    }

    /// The findings with NET002's suppression applied: NET003–NET007 and NET012 findings lose
    /// the subnets where NET002 fires, and are dropped when none is left.
    pub fn findings_after_suppression(&self) -> Vec<Finding> {
        let suppressed = self.public_ip_disabled_subnets();
        self.findings
            .iter()
            .filter_map(|finding| {
                if !finding.problem.suppressed_by_public_ip_disabled() {
                    return Some(finding.clone());
                }
                let subnets: Vec<AffectedSubnet> = finding
                    .subnets
                    .iter()
                    .filter(|s| !suppressed.contains(&s.subnet_id.as_str()))
                    .cloned()
                    .collect();
                (!subnets.is_empty()).then(|| Finding {
                    problem: finding.problem.clone(),
                    subnets,
                })
            })
            .collect()
    }

    /// The subnet report of a subnet.
    pub fn subnet(&self, subnet_id: &str) -> Option<&SubnetReport> {
        self.subnets.iter().find(|s| s.subnet_id == subnet_id)
    }

    /// The path to a target from a subnet.
    pub fn path(&self, target: &Target, subnet_id: &str) -> Option<&Path> {
        let position = self.subnets.iter().position(|s| s.subnet_id == subnet_id)?;
        self.targets
            .iter()
            .find(|t| &t.target == target)?
            .paths
            .get(position)
    }
}

/// Collects findings, unknowns and policy checks, merging the subnets of equal ones.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    pub findings: Vec<Finding>,
    finding_index: HashMap<Problem, usize>,
    pub unknowns: Vec<UnknownItem>,
    unknown_index: HashMap<(Subject, String), usize>,
    pub policy_checks: Vec<EndpointPolicyCheck>,
    policy_index: HashMap<(String, ServiceKey), usize>,
}

impl Collector {
    pub fn problem(&mut self, problem: Problem, subnet: &AffectedSubnet) {
        let index = match self.finding_index.get(&problem) {
            Some(&i) => i,
            None => {
                self.findings.push(Finding {
                    problem: problem.clone(),
                    subnets: Vec::new(),
                });
                self.finding_index.insert(problem, self.findings.len() - 1);
                self.findings.len() - 1
            }
        };
        let subnets = &mut self.findings[index].subnets;
        if !subnets.contains(subnet) {
            subnets.push(subnet.clone());
        }
    }

    pub fn unknown(&mut self, subject: Subject, reason: String, subnet_id: &str) {
        let key = (subject, reason);
        let index = match self.unknown_index.get(&key) {
            Some(&i) => i,
            None => {
                self.unknowns.push(UnknownItem {
                    subject: key.0.clone(),
                    reason: key.1.clone(),
                    subnets: Vec::new(),
                });
                self.unknown_index.insert(key, self.unknowns.len() - 1);
                self.unknowns.len() - 1
            }
        };
        let subnets = &mut self.unknowns[index].subnets;
        if !subnets.iter().any(|s| s == subnet_id) {
            subnets.push(subnet_id.to_string());
        }
    }

    /// Records that `subnet_id`'s traffic for `service` goes through an endpoint; the policy
    /// is parsed once per endpoint and service.
    pub fn policy(
        &mut self,
        endpoint_id: &str,
        service: &ServiceKey,
        policy: impl FnOnce() -> EndpointPolicy,
        requests: &[Request],
        subnet_id: &str,
    ) {
        let key = (endpoint_id.to_string(), service.clone());
        let index = match self.policy_index.get(&key) {
            Some(&i) => i,
            None => {
                self.policy_checks.push(EndpointPolicyCheck {
                    endpoint_id: endpoint_id.to_string(),
                    service: service.clone(),
                    policy: policy(),
                    requests: requests.to_vec(),
                    subnets: Vec::new(),
                });
                self.policy_index.insert(key, self.policy_checks.len() - 1);
                self.policy_checks.len() - 1
            }
        };
        let subnets = &mut self.policy_checks[index].subnets;
        if !subnets.iter().any(|s| s == subnet_id) {
            subnets.push(subnet_id.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: ServiceKind) -> ServiceKey {
        ServiceKey {
            kind,
            region: "us-east-1".into(),
            dual_stack: false,
        }
    }

    fn subnet(id: &str) -> AffectedSubnet {
        AffectedSubnet {
            subnet_id: id.into(),
            route_table_id: None,
        }
    }

    #[test]
    fn collector_merges_subnets_of_equal_problems() {
        let mut collector = Collector::default();
        let missing = Problem::EndpointMissing {
            service: key(ServiceKind::EcrDkr),
            vpc_id: "vpc-1".into(),
        };
        collector.problem(missing.clone(), &subnet("a"));
        collector.problem(missing.clone(), &subnet("b"));
        collector.problem(missing, &subnet("a"));
        collector.problem(
            Problem::PublicRegistryUnreachable {
                host: "quay.io".into(),
            },
            &subnet("a"),
        );
        assert_eq!(collector.findings.len(), 2);
        assert_eq!(collector.findings[0].subnets, [subnet("a"), subnet("b")]);
        collector.unknown(Subject::TaskEgress, "x".into(), "a");
        collector.unknown(Subject::TaskEgress, "x".into(), "b");
        collector.unknown(Subject::TaskEgress, "y".into(), "b");
        assert_eq!(collector.unknowns.len(), 2);
        assert_eq!(collector.unknowns[0].subnets, ["a", "b"]);
    }

    #[test]
    fn policy_parsed_once_and_malformed_kept() {
        let mut collector = Collector::default();
        let mut parsed = 0;
        for subnet in ["a", "b"] {
            collector.policy(
                "vpce-1",
                &key(ServiceKind::S3),
                || {
                    parsed += 1;
                    EndpointPolicy::from_text(Some("{\"Statement\": []}"), "vpce-1")
                },
                &[],
                subnet,
            );
        }
        assert_eq!(parsed, 1);
        assert_eq!(collector.policy_checks[0].subnets, ["a", "b"]);
        assert!(matches!(
            EndpointPolicy::from_text(Some("{"), "vpce-1"),
            EndpointPolicy::Malformed { .. }
        ));
        assert!(matches!(
            EndpointPolicy::from_text(None, "vpce-1"),
            EndpointPolicy::Unknown(_)
        ));
    }

    #[test]
    fn checks() {
        assert_eq!(
            Problem::EndpointMissing {
                service: key(ServiceKind::Ssm),
                vpc_id: "v".into()
            }
            .check(),
            NetCheck::SecretsUnreachable
        );
        assert_eq!(
            Problem::EndpointMissing {
                service: key(ServiceKind::S3),
                vpc_id: "v".into()
            }
            .check(),
            NetCheck::S3LayersUnreachable
        );
        assert_eq!(
            Subject::Target(Target::PublicRegistry("quay.io".into())).checks(),
            [NetCheck::PublicRegistryUnreachable]
        );
    }
}
