//! The analysis of one task's network: for every subnet, and every service the task needs,
//! which path carries the traffic and what blocks it (docs/network.md#interface-endpoints).
//!
//! The order of decisions, per subnet and service:
//! 1. not carried by the task's subnets (Fargate ≤ 1.3.0 platform ENI, ECS Anywhere): not
//!    evaluated;
//! 2. another region or the dual-stack hostname: only the internet reaches it (NET013);
//! 3. an interface endpoint with private DNS, or an S3 gateway endpoint on the route table,
//!    takes the traffic whatever else exists: its security groups, DNS and policy are checked;
//! 4. else the internet path, with the task's egress to 0.0.0.0/0;
//! 5. else the missing piece is a problem (or unknown, when the path is).

use crate::base::known::Lookup;
use crate::net::cidr::Ipv4Cidr;
use crate::net::endpoints::{
    GatewayEndpointChoice, InterfaceEndpointChoice, interface_endpoint, s3_gateway_endpoint,
};
use crate::net::index::NetIndex;
use crate::net::needs::{Needs, ServiceNeed};
use crate::net::report::{
    AffectedSubnet, Collector, EgressDestination, EndpointPolicy, InternetPath, InternetVerdict,
    NetworkReport, Path, Problem, Subject, SubnetReport, Target, TargetReport,
};
use crate::net::routes::SubnetEgress;
use crate::net::security_groups::{Access, Direction, HttpsPeers};
use crate::net::services::{ServiceKind, s3_prefix_list_names};
use crate::net::task::{EniModel, PublicIp, TaskNetwork};
use crate::state::ec2::VpcEndpoint;

/// Analyses the network of one task. Pure: reads the index, the task's network and its needs.
pub fn analyze(index: &NetIndex, task: &TaskNetwork, needs: &Needs) -> NetworkReport {
    let public_ip = task.public_ip();
    let eni_model = task.eni_model();
    let mut subnets: Vec<SubnetState> = Vec::new();
    for id in &task.subnets {
        if !subnets.iter().any(|s| &s.id == id) {
            subnets.push(SubnetState::new(index, id, &public_ip));
        }
    }
    let task_vpc = subnets.iter().find_map(|s| s.vpc_id.clone());
    let groups = TaskGroups::resolve(index, task, task_vpc.as_deref());
    let internet_egress = groups.egress.reaches_internet();
    let mut run = Run {
        index,
        eni_model: &eni_model,
        groups: &groups,
        internet_egress,
        collector: Collector::default(),
    };

    let mut targets = Vec::with_capacity(needs.services.len() + needs.public_registries.len());
    for need in &needs.services {
        let paths = subnets.iter_mut().map(|s| run.service(s, need)).collect();
        targets.push(TargetReport {
            target: Target::Service(need.key.clone()),
            paths,
        });
    }
    for host in &needs.public_registries {
        let paths = subnets
            .iter_mut()
            .map(|s| run.public_registry(s, host))
            .collect();
        targets.push(TargetReport {
            target: Target::PublicRegistry(host.clone()),
            paths,
        });
    }
    for subnet in &subnets {
        run.subnet_findings(subnet);
    }

    let Collector {
        findings,
        unknowns,
        policy_checks,
        ..
    } = run.collector;
    NetworkReport {
        region: index.region.clone(),
        public_ip,
        eni_model,
        task_security_groups: groups.ids,
        subnets: subnets.into_iter().map(SubnetState::into_report).collect(),
        targets,
        findings,
        policy_checks,
        unknowns,
    }
}

/// The internet verdict of a subnet for a task with this public IP.
pub fn internet_verdict(egress: &SubnetEgress, public_ip: &PublicIp) -> InternetVerdict {
    match egress {
        SubnetEgress::InternetGateway {
            internet_gateway_id,
            ..
        } => match public_ip {
            PublicIp::Assigned => InternetVerdict::Yes(InternetPath::InternetGateway {
                internet_gateway_id: internet_gateway_id.clone(),
            }),
            PublicIp::NotAssigned(why) => InternetVerdict::PublicIpMissing {
                internet_gateway_id: internet_gateway_id.clone(),
                why: *why,
            },
            PublicIp::Unknown(reason) => InternetVerdict::Unknown(format!(
                "the default route goes to internet gateway {internet_gateway_id}, and whether the task gets a public IP is not known: {reason}"
            )),
        },
        SubnetEgress::NatGateway {
            nat_gateway_id,
            internet_gateway_id,
            ..
        } => InternetVerdict::Yes(InternetPath::NatGateway {
            nat_gateway_id: nat_gateway_id.clone(),
            internet_gateway_id: internet_gateway_id.clone(),
        }),
        SubnetEgress::NoInternet { reason, .. } => InternetVerdict::No(reason.clone()),
        SubnetEgress::Unverifiable {
            target,
            via_nat_gateway,
            ..
        } => InternetVerdict::Unverifiable {
            target: target.clone(),
            via_nat_gateway: via_nat_gateway.clone(),
        },
        SubnetEgress::Unknown { reason, .. } => InternetVerdict::Unknown(reason.clone()),
    }
}

/// One subnet of the task while it is being analysed.
struct SubnetState {
    id: String,
    vpc_id: Option<String>,
    cidr: Result<Ipv4Cidr, String>,
    availability_zone: Option<String>,
    internet: InternetVerdict,
    affected: AffectedSubnet,
    /// A needed target has no path because there is no internet path.
    unreachable_without_internet: bool,
    /// A needed target is unknown because the internet path is.
    unknown_because_of_internet: bool,
    /// A needed service goes (or would go) through an interface endpoint's private DNS.
    relies_on_endpoint_dns: bool,
}

impl SubnetState {
    fn new(index: &NetIndex, id: &str, public_ip: &PublicIp) -> SubnetState {
        let egress = index.subnet_egress(id);
        let subnet = index.ec2.subnet(id).found();
        let table = index.ec2.route_table_for_subnet(id).found();
        let vpc_id = subnet
            .and_then(|s| s.vpc_id.clone())
            .or_else(|| table.and_then(|t| t.table.vpc_id.clone()));
        SubnetState {
            id: id.to_string(),
            vpc_id,
            cidr: index.subnet_cidr(id),
            availability_zone: subnet.and_then(|s| s.availability_zone.clone()),
            internet: internet_verdict(&egress, public_ip),
            affected: AffectedSubnet {
                subnet_id: id.to_string(),
                route_table_id: egress.route_table_id().map(str::to_string),
            },
            unreachable_without_internet: false,
            unknown_because_of_internet: false,
            relies_on_endpoint_dns: false,
        }
    }

    fn has_internet(&self) -> bool {
        matches!(self.internet, InternetVerdict::Yes(_))
    }

    fn lacks_internet(&self) -> bool {
        matches!(
            self.internet,
            InternetVerdict::PublicIpMissing { .. } | InternetVerdict::No(_)
        )
    }

    fn into_report(self) -> SubnetReport {
        SubnetReport {
            subnet_id: self.id,
            vpc_id: self.vpc_id,
            cidr: self.cidr.ok().map(|c| c.to_string()),
            availability_zone: self.availability_zone,
            route_table_id: self.affected.route_table_id,
            internet: self.internet,
        }
    }
}

/// The task's security groups and what they let out on 443.
struct TaskGroups {
    ids: Vec<String>,
    /// Why the groups themselves are not known (no group named, default group not found).
    unresolved: Option<String>,
    egress: HttpsPeers,
}

impl TaskGroups {
    fn resolve(index: &NetIndex, task: &TaskNetwork, vpc_id: Option<&str>) -> TaskGroups {
        let mut ids = task.security_groups.clone();
        ids.dedup();
        let mut unresolved = task.security_groups_unknown.clone();
        if unresolved.is_some() {
            ids.clear();
        } else if ids.is_empty() {
            // No group named: ECS uses the VPC's default security group
            // (docs/network.md#where-the-task-runs).
            match vpc_id.map(|vpc| (vpc, index.ec2.default_security_group(vpc))) {
                Some((_, Lookup::Found(group))) => ids.extend(group.group_id.clone()),
                Some((vpc, Lookup::Absent)) => {
                    unresolved = Some(format!(
                        "the task names no security group and the default group of {vpc} is not in the state"
                    ))
                }
                Some((_, Lookup::Unknown(reason))) => {
                    unresolved = Some(format!(
                        "the task names no security group, so the VPC default applies: {reason}"
                    ))
                }
                None => {
                    unresolved =
                        Some("the task names no security group and its VPC is not known".into())
                }
            }
        }
        let mut missing = HttpsPeers::default();
        missing.unreadable.extend(unresolved.clone());
        let mut found = Vec::new();
        for id in &ids {
            match index.group_peers(id, Direction::Egress) {
                Ok(peers) => found.push(peers),
                Err(reason) => missing.unreadable.push(reason),
            }
        }
        found.push(&missing);
        let egress = HttpsPeers::merge(found);
        TaskGroups {
            ids,
            unresolved,
            egress,
        }
    }

    /// A group reference can only be matched when the task's groups are known.
    fn qualify(&self, access: Access) -> Access {
        match (&self.unresolved, access) {
            (Some(reason), Access::Denied | Access::Partial) => Access::Unknown(reason.clone()),
            (_, access) => access,
        }
    }
}

struct Run<'r, 'a> {
    index: &'r NetIndex<'a>,
    eni_model: &'r EniModel,
    groups: &'r TaskGroups,
    /// The task's egress to 0.0.0.0/0, the same for every subnet.
    internet_egress: Access,
    collector: Collector,
}

impl Run<'_, '_> {
    fn service(&mut self, s: &mut SubnetState, need: &ServiceNeed) -> Path {
        let key = &need.key;
        match self.eni_model.carried_by_task_subnets(key.kind) {
            Ok(true) => {}
            Ok(false) => return Path::NotEvaluated(self.not_carried_reason(key.kind)),
            Err(reason) => {
                self.collector.unknown(
                    Subject::Target(Target::Service(key.clone())),
                    reason.clone(),
                    &s.id,
                );
                return Path::Unknown(reason);
            }
        }
        if key.region != self.index.region || key.dual_stack {
            let problem = Problem::NoEndpointPath {
                service: key.clone(),
                vpc_region: self.index.region.clone(),
            };
            return self.internet_only(s, Target::Service(key.clone()), problem);
        }
        if key.kind.uses_gateway_endpoint() {
            self.s3(s, need)
        } else {
            self.interface(s, need)
        }
    }

    fn public_registry(&mut self, s: &mut SubnetState, host: &str) -> Path {
        if *self.eni_model == EniModel::External {
            return Path::NotEvaluated(self.not_carried_reason(ServiceKind::EcrDkr));
        }
        let problem = Problem::PublicRegistryUnreachable {
            host: host.to_string(),
        };
        self.internet_only(s, Target::PublicRegistry(host.to_string()), problem)
    }

    fn not_carried_reason(&self, kind: ServiceKind) -> String {
        match self.eni_model {
            EniModel::External => {
                "ECS Anywhere tasks use the on-premises network, which is not evaluated".into()
            }
            _ => format!(
                "on Fargate platform versions before 1.4.0, {kind} is reached through the AWS-owned platform interface, not the task's subnets"
            ),
        }
    }

    /// A target that only the internet reaches.
    fn internet_only(&mut self, s: &mut SubnetState, target: Target, problem: Problem) -> Path {
        if s.has_internet() {
            self.check_internet_egress(s);
            Path::Internet
        } else if s.lacks_internet() {
            self.collector.problem(problem, &s.affected);
            s.unreachable_without_internet = true;
            Path::Unreachable
        } else {
            self.internet_undecided(s, target)
        }
    }

    fn internet_undecided(&mut self, s: &mut SubnetState, target: Target) -> Path {
        let reason = match &s.internet {
            InternetVerdict::Unverifiable {
                target: route_target,
                via_nat_gateway: Some(nat),
            } => {
                format!(
                    "the internet path goes through NAT gateway {nat}, whose subnet routes to {route_target}, which the state cannot follow"
                )
            }
            InternetVerdict::Unverifiable {
                target: route_target,
                via_nat_gateway: None,
            } => {
                format!("the default route goes to {route_target}, which the state cannot follow")
            }
            InternetVerdict::Unknown(reason) => reason.clone(),
            // Only called when the internet path is undecided.
            other => format!("internet path: {other:?}"),
        };
        s.unknown_because_of_internet = true;
        self.collector
            .unknown(Subject::Target(target), reason.clone(), &s.id);
        Path::Unknown(reason)
    }

    /// Where no endpoint takes the traffic for certain: an internet path is used (noting an
    /// endpoint that might capture it instead), an undecided one leaves the need undecided.
    /// None when the subnet has no internet path, so the endpoint decides.
    fn internet_first(
        &mut self,
        s: &mut SubnetState,
        target: Target,
        maybe_captured: Option<String>,
    ) -> Option<Path> {
        if s.has_internet() {
            if let Some(reason) = maybe_captured {
                self.collector
                    .unknown(Subject::Target(target), reason, &s.id);
            }
            self.check_internet_egress(s);
            return Some(Path::Internet);
        }
        if !s.lacks_internet() {
            return Some(self.internet_undecided(s, target));
        }
        None
    }

    fn check_internet_egress(&mut self, s: &SubnetState) {
        let destination = EgressDestination::Internet;
        let access = self.internet_egress.clone();
        self.egress_outcome(s, destination, access);
    }

    fn egress_outcome(&mut self, s: &SubnetState, destination: EgressDestination, access: Access) {
        let partial = match access {
            Access::Allowed => return,
            Access::Denied => false,
            Access::Partial => true,
            Access::Unknown(reason) => {
                self.collector.unknown(Subject::TaskEgress, reason, &s.id);
                return;
            }
        };
        let problem = Problem::TaskEgressBlocked {
            destination,
            task_groups: self.groups.ids.clone(),
            partial,
        };
        self.collector.problem(problem, &s.affected);
    }

    fn interface(&mut self, s: &mut SubnetState, need: &ServiceNeed) -> Path {
        let key = &need.key;
        let index = self.index;
        let choice = match &s.vpc_id {
            None => InterfaceEndpointChoice::Unknown(format!("the VPC of {} is not known", s.id)),
            Some(vpc) => match index.endpoints_for(vpc, key.kind) {
                Ok(candidates) => interface_endpoint(candidates),
                Err(reason) => InterfaceEndpointChoice::Unknown(reason),
            },
        };
        if let InterfaceEndpointChoice::Capturing(endpoint) = choice {
            return self.through_interface_endpoint(s, need, endpoint);
        }
        let target = Target::Service(key.clone());
        let captured = match &choice {
            InterfaceEndpointChoice::Unknown(reason) => Some(format!(
                "an endpoint with private DNS might take this traffic instead of the internet path: {reason}"
            )),
            _ => None,
        };
        if let Some(path) = self.internet_first(s, target.clone(), captured) {
            return path;
        }
        s.relies_on_endpoint_dns = true;
        let vpc_id = s.vpc_id.clone().unwrap_or_default();
        let problem = match choice {
            InterfaceEndpointChoice::Missing => Problem::EndpointMissing {
                service: key.clone(),
                vpc_id,
            },
            InterfaceEndpointChoice::NotAvailable { endpoint, state } => {
                Problem::EndpointNotAvailable {
                    service: key.clone(),
                    endpoint_id: endpoint_id(endpoint),
                    state,
                }
            }
            InterfaceEndpointChoice::PrivateDnsDisabled(endpoint) => Problem::PrivateDnsDisabled {
                service: key.clone(),
                endpoint_id: endpoint_id(endpoint),
            },
            InterfaceEndpointChoice::Unknown(reason) => {
                self.collector
                    .unknown(Subject::Target(target), reason.clone(), &s.id);
                return Path::Unknown(reason);
            }
            InterfaceEndpointChoice::Capturing(endpoint) => {
                return self.through_interface_endpoint(s, need, endpoint);
            }
        };
        self.collector.problem(problem, &s.affected);
        s.unreachable_without_internet = true;
        Path::Unreachable
    }

    fn through_interface_endpoint(
        &mut self,
        s: &mut SubnetState,
        need: &ServiceNeed,
        endpoint: &VpcEndpoint,
    ) -> Path {
        let key = &need.key;
        let id = endpoint_id(endpoint);
        let endpoint_groups: Vec<String> = endpoint
            .groups
            .iter()
            .flatten()
            .filter_map(|g| g.group_id.clone())
            .collect();

        let index = self.index;
        let ingress = index.endpoint_ingress(endpoint);
        let access = self
            .groups
            .qualify(ingress.admits(&self.groups.ids, s.cidr.clone()));
        let partial = match access {
            Access::Allowed => None,
            Access::Denied => Some(false),
            Access::Partial => Some(true),
            Access::Unknown(reason) => {
                self.collector.unknown(
                    Subject::EndpointIngress {
                        endpoint_id: id.clone(),
                    },
                    reason,
                    &s.id,
                );
                None
            }
        };
        if let Some(partial) = partial {
            let problem = Problem::EndpointIngressBlocked {
                service: key.clone(),
                endpoint_id: id.clone(),
                endpoint_groups: endpoint_groups.clone(),
                partial,
            };
            self.collector.problem(problem, &s.affected);
        }

        let cidrs = index.endpoint_cidrs(endpoint);
        let access = self
            .groups
            .egress
            .reaches_endpoint(&endpoint_groups, cidrs.into_owned());
        let destination = EgressDestination::InterfaceEndpoint {
            service: key.clone(),
            endpoint_id: id.clone(),
            endpoint_groups,
        };
        self.egress_outcome(s, destination, access);

        s.relies_on_endpoint_dns = true;
        let policy = || EndpointPolicy::from_text(endpoint.policy_document.as_deref(), &id);
        self.collector
            .policy(&id, key, policy, &need.requests, &s.id);
        Path::InterfaceEndpoint(id)
    }

    fn s3(&mut self, s: &mut SubnetState, need: &ServiceNeed) -> Path {
        let key = &need.key;
        let choice = s3_choice(self.index, s);
        if let GatewayEndpointChoice::Attached {
            endpoint_id,
            endpoint,
            prefix_list_ids,
        } = choice
        {
            return self.through_gateway_endpoint(s, need, endpoint_id, endpoint, prefix_list_ids);
        }
        let target = Target::Service(key.clone());
        let captured = match &choice {
            GatewayEndpointChoice::Unknown(reason) => Some(format!(
                "an S3 gateway endpoint might take this traffic instead of the internet path: {reason}"
            )),
            _ => None,
        };
        if let Some(path) = self.internet_first(s, target.clone(), captured) {
            return path;
        }
        let vpc_id = s.vpc_id.clone().unwrap_or_default();
        let problem = match choice {
            GatewayEndpointChoice::NotAttached { elsewhere } if elsewhere.is_empty() => {
                Problem::EndpointMissing {
                    service: key.clone(),
                    vpc_id,
                }
            }
            GatewayEndpointChoice::NotAttached { elsewhere } => Problem::S3GatewayNotOnRouteTable {
                service: key.clone(),
                vpc_id,
                gateway_endpoint_ids: elsewhere,
            },
            GatewayEndpointChoice::NotAvailable { endpoint_id, state } => {
                Problem::EndpointNotAvailable {
                    service: key.clone(),
                    endpoint_id,
                    state,
                }
            }
            GatewayEndpointChoice::Unknown(reason) => {
                self.collector
                    .unknown(Subject::Target(target), reason.clone(), &s.id);
                return Path::Unknown(reason);
            }
            GatewayEndpointChoice::Attached {
                endpoint_id,
                endpoint,
                prefix_list_ids,
            } => {
                return self.through_gateway_endpoint(
                    s,
                    need,
                    endpoint_id,
                    endpoint,
                    prefix_list_ids,
                );
            }
        };
        self.collector.problem(problem, &s.affected);
        s.unreachable_without_internet = true;
        Path::Unreachable
    }

    fn through_gateway_endpoint(
        &mut self,
        s: &mut SubnetState,
        need: &ServiceNeed,
        endpoint_id: String,
        endpoint: Option<&VpcEndpoint>,
        mut prefix_list_ids: Vec<String>,
    ) -> Path {
        let index = self.index;
        let key = &need.key;
        for name in s3_prefix_list_names(&index.region) {
            if let Lookup::Found(list) = index.ec2.prefix_list_named(&name)
                && let Some(id) = &list.prefix_list_id
                && !prefix_list_ids.contains(id)
            {
                prefix_list_ids.push(id.clone());
            }
        }
        let access = self.groups.egress.reaches_prefix_list(
            &prefix_list_ids,
            s3_prefix_list_cidrs(index, &prefix_list_ids),
        );
        let destination = EgressDestination::S3PrefixList {
            region: key.region.clone(),
            endpoint_id: endpoint_id.clone(),
            prefix_list_ids,
        };
        self.egress_outcome(s, destination, access);

        let policy = || match endpoint {
            Some(endpoint) => {
                EndpointPolicy::from_text(endpoint.policy_document.as_deref(), &endpoint_id)
            }
            None => EndpointPolicy::Unknown(format!(
                "{endpoint_id} is not in ec2.VpcEndpoints (only a route to it is known)"
            )),
        };
        self.collector
            .policy(&endpoint_id, key, policy, &need.requests, &s.id);
        Path::GatewayEndpoint(endpoint_id)
    }

    /// Subnet-level findings, once every target has been evaluated.
    fn subnet_findings(&mut self, s: &SubnetState) {
        if s.unreachable_without_internet
            && let InternetVerdict::PublicIpMissing {
                internet_gateway_id,
                why,
            } = &s.internet
        {
            let problem = Problem::PublicIpDisabled {
                internet_gateway_id: internet_gateway_id.clone(),
                why: *why,
            };
            self.collector.problem(problem, &s.affected);
        }
        if s.unknown_because_of_internet {
            match &s.internet {
                InternetVerdict::Unverifiable {
                    target,
                    via_nat_gateway,
                } => {
                    let problem = Problem::EgressUnverifiable {
                        target: target.clone(),
                        via_nat_gateway: via_nat_gateway.clone(),
                    };
                    self.collector.problem(problem, &s.affected);
                }
                InternetVerdict::Unknown(reason) => {
                    self.collector
                        .unknown(Subject::Internet, reason.clone(), &s.id)
                }
                _ => {}
            }
        }
        if s.relies_on_endpoint_dns
            && let Some(vpc_id) = &s.vpc_id
        {
            self.check_vpc_dns(s, vpc_id);
        }
    }

    fn check_vpc_dns(&mut self, s: &SubnetState, vpc_id: &str) {
        let support = self.index.ec2.dns_support(vpc_id);
        let hostnames = self.index.ec2.dns_hostnames(vpc_id);
        if support == Lookup::Found(false) || hostnames == Lookup::Found(false) {
            let problem = Problem::VpcDnsDisabled {
                vpc_id: vpc_id.to_string(),
                dns_support: support.found(),
                dns_hostnames: hostnames.found(),
            };
            self.collector.problem(problem, &s.affected);
            return;
        }
        for lookup in [support, hostnames] {
            if let Lookup::Unknown(reason) = lookup {
                self.collector.unknown(
                    Subject::VpcDns {
                        vpc_id: vpc_id.to_string(),
                    },
                    reason,
                    &s.id,
                );
            }
        }
    }
}

/// The S3 gateway endpoint situation of a subnet's route table.
fn s3_choice<'a>(index: &NetIndex<'a>, s: &SubnetState) -> GatewayEndpointChoice<'a> {
    let Some(vpc) = &s.vpc_id else {
        return GatewayEndpointChoice::Unknown(format!("the VPC of {} is not known", s.id));
    };
    let candidates = match index.endpoints_for(vpc, ServiceKind::S3) {
        Ok(candidates) => candidates,
        Err(reason) => return GatewayEndpointChoice::Unknown(reason),
    };
    match index.ec2.route_table_for_subnet(&s.id) {
        Lookup::Found(choice) => {
            s3_gateway_endpoint(&index.ec2, candidates, choice.table, &index.region)
        }
        Lookup::Absent => {
            GatewayEndpointChoice::Unknown(format!("no route table found for {}", s.id))
        }
        Lookup::Unknown(reason) => GatewayEndpointChoice::Unknown(reason),
    }
}

/// The CIDRs of the S3 prefix list, when the state has the entries of one of its ids.
fn s3_prefix_list_cidrs(index: &NetIndex, ids: &[String]) -> Result<Vec<Ipv4Cidr>, String> {
    for id in ids {
        if let Lookup::Found(list) = index.ec2.prefix_list(id)
            && let Some(texts) = list.known_cidrs()
        {
            return texts
                .into_iter()
                .map(|text| Ipv4Cidr::parse(text).map_err(|e| format!("prefix list {id}: {e}")))
                .collect();
        }
    }
    Err("the entries of the S3 prefix list are not in the state".into())
}

fn endpoint_id(endpoint: &VpcEndpoint) -> String {
    endpoint
        .vpc_endpoint_id
        .clone()
        .unwrap_or_else(|| "(endpoint without VpcEndpointId)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::help::suggested_fix;
    use crate::net::needs::ServiceKey;
    use crate::net::report::{Finding, NetCheck};
    use crate::net::routes::{NoInternet, RouteTarget};
    use crate::net::task::{AssignPublicIp, LaunchType, NoPublicIp, OsFamily};
    use crate::state::ec2::Ec2State;
    use serde_json::{Value, json};

    const REGION: &str = "us-east-1";

    fn rtb(id: &str, subnet: Option<&str>, default_route: Value) -> Value {
        let associations = match subnet {
            Some(subnet) => json!([{"SubnetId": subnet, "RouteTableId": id, "Main": false}]),
            None => json!([]),
        };
        let mut routes = vec![
            json!({"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}),
        ];
        if !default_route.is_null() {
            routes.push(default_route);
        }
        json!({"RouteTableId": id, "VpcId": "vpc-1", "Associations": associations, "Routes": routes})
    }

    fn subnet(id: &str, cidr: &str, zone: &str) -> Value {
        json!({"SubnetId": id, "VpcId": "vpc-1", "CidrBlock": cidr, "AvailabilityZone": zone})
    }

    fn interface(id: &str, service: &str, private_dns: bool) -> Value {
        json!({"VpcEndpointId": id, "VpcEndpointType": "Interface", "VpcId": "vpc-1",
               "ServiceName": format!("com.amazonaws.us-east-1.{service}"), "State": "available",
               "PrivateDnsEnabled": private_dns, "Groups": [{"GroupId": "sg-endpoint", "GroupName": "endpoints"}],
               "SubnetIds": ["subnet-priv"],
               "PolicyDocument": "{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}"})
    }

    /// One VPC with a subnet per row of docs/network.md#the-internet-path; ECR endpoints with
    /// private DNS, an S3 gateway endpoint on rtb-priv only, a logs endpoint without private DNS,
    /// no secretsmanager.
    fn base() -> Value {
        json!({
          "Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}],
          "VpcAttributes": [{"VpcId": "vpc-1", "EnableDnsSupport": {"Value": true}},
                            {"VpcId": "vpc-1", "EnableDnsHostnames": {"Value": true}}],
          "Subnets": [
            subnet("subnet-pub", "10.0.0.0/24", "us-east-1a"),
            subnet("subnet-nat", "10.0.1.0/24", "us-east-1a"),
            subnet("subnet-priv", "10.0.2.0/24", "us-east-1b"),
            subnet("subnet-main", "10.0.3.0/24", "us-east-1c"),
            subnet("subnet-tgw", "10.0.4.0/24", "us-east-1a"),
            subnet("subnet-pcx", "10.0.5.0/24", "us-east-1a"),
            subnet("subnet-black", "10.0.6.0/24", "us-east-1a"),
            subnet("subnet-pnat", "10.0.7.0/24", "us-east-1a"),
            subnet("subnet-gone", "10.0.8.0/24", "us-east-1a"),
            subnet("subnet-priv2", "10.0.9.0/24", "us-east-1c")
          ],
          "RouteTables": [
            {"RouteTableId": "rtb-main", "VpcId": "vpc-1", "Associations": [{"Main": true, "RouteTableId": "rtb-main"}],
             "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}]},
            rtb("rtb-pub", Some("subnet-pub"), json!({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"})),
            rtb("rtb-nat", Some("subnet-nat"), json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"})),
            rtb("rtb-priv", Some("subnet-priv"), json!({"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3", "State": "active"})),
            rtb("rtb-tgw", Some("subnet-tgw"), json!({"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1", "State": "active"})),
            rtb("rtb-pcx", Some("subnet-pcx"), json!({"DestinationCidrBlock": "0.0.0.0/0", "VpcPeeringConnectionId": "pcx-1", "State": "active"})),
            rtb("rtb-black", Some("subnet-black"), json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-old", "State": "blackhole"})),
            rtb("rtb-pnat", Some("subnet-pnat"), json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-private", "State": "active"})),
            rtb("rtb-gone", Some("subnet-gone"), json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-unlisted", "State": "active"})),
            rtb("rtb-priv2", Some("subnet-priv2"), Value::Null)
          ],
          "NatGateways": [
            {"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "VpcId": "vpc-1", "State": "available", "ConnectivityType": "public"},
            {"NatGatewayId": "nat-private", "SubnetId": "subnet-priv", "VpcId": "vpc-1", "State": "available", "ConnectivityType": "private"}
          ],
          "VpcEndpoints": [
            interface("vpce-api", "ecr.api", true),
            interface("vpce-dkr", "ecr.dkr", true),
            interface("vpce-logs", "logs", false),
            {"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3",
             "State": "available", "RouteTableIds": ["rtb-priv"], "SubnetIds": [], "Groups": [], "PrivateDnsEnabled": false,
             "PolicyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*\"}]}"}
          ],
          "SecurityGroups": [
            {"GroupId": "sg-task", "GroupName": "task", "VpcId": "vpc-1", "IpPermissions": [],
             "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
            {"GroupId": "sg-endpoint", "GroupName": "endpoints", "VpcId": "vpc-1",
             "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": "sg-task"}]}],
             "IpPermissionsEgress": []},
            {"GroupId": "sg-default", "GroupName": "default", "VpcId": "vpc-1",
             "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-default"}]}],
             "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
            {"GroupId": "sg-locked", "GroupName": "locked", "VpcId": "vpc-1", "IpPermissions": [], "IpPermissionsEgress": []},
            {"GroupId": "sg-internal", "GroupName": "internal", "VpcId": "vpc-1", "IpPermissions": [],
             "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}
          ],
          "PrefixLists": [{"PrefixListId": "pl-s3", "PrefixListName": "com.amazonaws.us-east-1.s3", "AddressFamily": "IPv4"}]
        })
    }

    fn state(value: Value) -> Ec2State {
        serde_json::from_value(value).unwrap()
    }

    fn task(subnets: &[&str], groups: &[&str], assign: AssignPublicIp) -> TaskNetwork {
        TaskNetwork {
            subnets: subnets.iter().map(|s| s.to_string()).collect(),
            security_groups: groups.iter().map(|s| s.to_string()).collect(),
            security_groups_unknown: None,
            assign_public_ip: assign,
            launch_type: LaunchType::Fargate,
            platform_version: None,
            os_family: OsFamily::Linux,
        }
    }

    fn ecr_needs(region: &str) -> Needs {
        let mut needs = Needs::new();
        needs.add_private_ecr_image(region, "111122223333", "web", false);
        needs
    }

    fn key(kind: ServiceKind) -> ServiceKey {
        ServiceKey {
            kind,
            region: REGION.into(),
            dual_stack: false,
        }
    }

    fn run(state: &Ec2State, task: &TaskNetwork, needs: &Needs) -> NetworkReport {
        let index = NetIndex::new(Some(state), REGION);
        analyze(&index, task, needs)
    }

    fn codes(report: &NetworkReport) -> Vec<NetCheck> {
        let mut codes: Vec<NetCheck> = report.findings.iter().map(|f| f.problem.check()).collect();
        codes.sort();
        codes
    }

    fn subnets_of(finding: &Finding) -> Vec<&str> {
        finding
            .subnets
            .iter()
            .map(|s| s.subnet_id.as_str())
            .collect()
    }

    fn find(report: &NetworkReport, code: NetCheck) -> &Finding {
        report
            .findings
            .iter()
            .find(|f| f.problem.check() == code)
            .unwrap_or_else(|| panic!("no {code:?} in {report:#?}"))
    }

    #[test]
    fn public_subnet_with_public_ip_reaches_everything_over_the_internet_or_endpoints() {
        let state = state(base());
        let mut needs = ecr_needs(REGION);
        needs.add_public_registry("registry-1.docker.io");
        let report = run(
            &state,
            &task(&["subnet-pub"], &["sg-task"], AssignPublicIp::Enabled),
            &needs,
        );
        assert_eq!(
            report.subnets[0].internet,
            InternetVerdict::Yes(InternetPath::InternetGateway {
                internet_gateway_id: "igw-1".into()
            })
        );
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        // The ECR endpoints have private DNS: they take the traffic even here
        // (docs/network.md#interface-endpoints).
        let api = Target::Service(key(ServiceKind::EcrApi));
        assert_eq!(
            report.path(&api, "subnet-pub"),
            Some(&Path::InterfaceEndpoint("vpce-api".into()))
        );
        // S3 gateway is on another route table: layers go over the internet.
        assert_eq!(
            report.path(&Target::Service(key(ServiceKind::S3)), "subnet-pub"),
            Some(&Path::Internet)
        );
        assert_eq!(
            report.path(
                &Target::PublicRegistry("registry-1.docker.io".into()),
                "subnet-pub"
            ),
            Some(&Path::Internet)
        );
    }

    #[test]
    fn public_ip_disabled_fires_net002_and_suppresses_missing_pieces() {
        let state = state(base());
        let mut needs = ecr_needs(REGION);
        needs.add_public_registry("ghcr.io");
        let report = run(
            &state,
            &task(
                &["subnet-pub", "subnet-priv"],
                &["sg-task"],
                AssignPublicIp::Disabled,
            ),
            &needs,
        );
        assert_eq!(
            report.subnets[0].internet,
            InternetVerdict::PublicIpMissing {
                internet_gateway_id: "igw-1".into(),
                why: NoPublicIp::AssignPublicIpDisabled
            }
        );
        let net002 = find(&report, NetCheck::PublicIpDisabled);
        assert_eq!(subnets_of(net002), ["subnet-pub"]);
        // S3 has no path from subnet-pub (gateway on rtb-priv only); ghcr.io from neither.
        assert_eq!(
            subnets_of(find(&report, NetCheck::S3LayersUnreachable)),
            ["subnet-pub"]
        );
        assert_eq!(
            subnets_of(find(&report, NetCheck::PublicRegistryUnreachable)),
            ["subnet-pub", "subnet-priv"]
        );
        assert_eq!(report.public_ip_disabled_subnets(), ["subnet-pub"]);
        let after: Vec<(NetCheck, Vec<String>)> = report
            .findings_after_suppression()
            .iter()
            .map(|f| {
                (
                    f.problem.check(),
                    f.subnets.iter().map(|s| s.subnet_id.clone()).collect(),
                )
            })
            .collect();
        assert!(
            after.contains(&(
                NetCheck::PublicRegistryUnreachable,
                vec!["subnet-priv".to_string()]
            )),
            "{after:?}"
        );
        assert!(
            !after
                .iter()
                .any(|(code, _)| *code == NetCheck::S3LayersUnreachable),
            "{after:?}"
        );
        assert!(
            after
                .iter()
                .any(|(code, _)| *code == NetCheck::PublicIpDisabled)
        );
        let fix = suggested_fix(&NetIndex::new(Some(&state), REGION), &report, net002).unwrap();
        assert!(fix.cli.contains("assignPublicIp=ENABLED"), "{}", fix.cli);
    }

    #[test]
    fn no_net002_when_endpoints_serve_everything() {
        let state = state(base());
        // subnet-pub has an IGW route; point the S3 gateway at its route table too.
        let mut value = base();
        value["VpcEndpoints"][3]["RouteTableIds"] = json!(["rtb-priv", "rtb-pub"]);
        let with_gateway = self::state(value);
        let report = run(
            &with_gateway,
            &task(&["subnet-pub"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        assert_eq!(
            report.path(&Target::Service(key(ServiceKind::S3)), "subnet-pub"),
            Some(&Path::GatewayEndpoint("vpce-s3".into()))
        );
        let _ = state;
    }

    #[test]
    fn public_ip_unknown_behind_an_internet_gateway() {
        let state = state(base());
        let mut network = task(&["subnet-pub"], &["sg-task"], AssignPublicIp::Enabled);
        network.launch_type = LaunchType::Unknown;
        let mut needs = Needs::new();
        needs.add_public_registry("registry-1.docker.io");
        let report = run(&state, &network, &needs);
        assert!(
            matches!(&report.subnets[0].internet, InternetVerdict::Unknown(r) if r.contains("igw-1"))
        );
        assert!(report.findings.is_empty());
        assert!(
            report
                .unknowns
                .iter()
                .any(|u| u.subject == Subject::Internet)
        );
        // DISABLED decides whatever the launch type.
        network.assign_public_ip = AssignPublicIp::Disabled;
        let report = run(&state, &network, &needs);
        assert_eq!(
            codes(&report),
            [
                NetCheck::PublicIpDisabled,
                NetCheck::PublicRegistryUnreachable
            ]
        );
    }

    #[test]
    fn ec2_launch_type_never_has_a_public_ip() {
        let state = state(base());
        let mut network = task(&["subnet-pub"], &["sg-task"], AssignPublicIp::Enabled);
        network.launch_type = LaunchType::Ec2;
        let report = run(&state, &network, &ecr_needs(REGION));
        match &find(&report, NetCheck::PublicIpDisabled).problem {
            Problem::PublicIpDisabled { why, .. } => assert_eq!(*why, NoPublicIp::Ec2LaunchType),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nat_subnet_uses_nat_and_endpoints_that_capture() {
        let state = state(base());
        let mut needs = ecr_needs(REGION);
        needs.add_service(ServiceKind::Logs, REGION, false, vec![]);
        needs.add_service(ServiceKind::SecretsManager, REGION, false, vec![]);
        let report = run(
            &state,
            &task(&["subnet-nat"], &["sg-task"], AssignPublicIp::Disabled),
            &needs,
        );
        assert_eq!(
            report.subnets[0].internet,
            InternetVerdict::Yes(InternetPath::NatGateway {
                nat_gateway_id: "nat-1".into(),
                internet_gateway_id: "igw-1".into()
            })
        );
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        // logs endpoint has private DNS off: traffic uses the NAT; secretsmanager has none.
        assert_eq!(
            report.path(&Target::Service(key(ServiceKind::Logs)), "subnet-nat"),
            Some(&Path::Internet)
        );
        assert_eq!(
            report.path(
                &Target::Service(key(ServiceKind::SecretsManager)),
                "subnet-nat"
            ),
            Some(&Path::Internet)
        );
        assert_eq!(
            report.path(&Target::Service(key(ServiceKind::EcrDkr)), "subnet-nat"),
            Some(&Path::InterfaceEndpoint("vpce-dkr".into()))
        );
    }

    #[test]
    fn capturing_endpoint_security_groups_checked_even_with_nat() {
        let state = state(base());
        // A task group the endpoint does not let in, and whose egress is inside the VPC only.
        let report = run(
            &state,
            &task(&["subnet-nat"], &["sg-internal"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        let net009 = find(&report, NetCheck::EndpointSgBlocksHttps);
        match &net009.problem {
            Problem::EndpointIngressBlocked {
                endpoint_groups,
                partial,
                ..
            } => {
                assert_eq!(endpoint_groups, &["sg-endpoint"]);
                assert!(!partial);
            }
            other => panic!("{other:?}"),
        }
        // Two endpoints (api, dkr) share the group: two findings the rule groups by groups.
        let blocked = report
            .findings
            .iter()
            .filter(|f| f.problem.check() == NetCheck::EndpointSgBlocksHttps)
            .count();
        assert_eq!(blocked, 2);
        // sg-internal lets 443 out to 10.0.0.0/16 only: the endpoints (in 10.0.2.0/24) are
        // reachable, the internet (S3 over NAT) is not.
        let egress: Vec<&Problem> = report
            .findings
            .iter()
            .filter(|f| f.problem.check() == NetCheck::TaskEgressBlocksHttps)
            .map(|f| &f.problem)
            .collect();
        assert_eq!(egress.len(), 1, "{egress:#?}");
        assert!(matches!(
            egress[0],
            Problem::TaskEgressBlocked {
                destination: EgressDestination::Internet,
                ..
            }
        ));
        let index = NetIndex::new(Some(&state), REGION);
        let fix = suggested_fix(&index, &report, net009).unwrap();
        assert!(
            fix.cli.contains("--group-id sg-endpoint") && fix.cli.contains("GroupId=sg-internal"),
            "{}",
            fix.cli
        );
    }

    #[test]
    fn private_subnet_missing_pieces() {
        let state = state(base());
        let mut needs = ecr_needs(REGION);
        needs.add_service(ServiceKind::Logs, REGION, false, vec![]);
        needs.add_service(ServiceKind::SecretsManager, REGION, false, vec![]);
        needs.add_service(ServiceKind::Ssm, REGION, false, vec![]);
        let report = run(
            &state,
            &task(
                &["subnet-priv", "subnet-main"],
                &["sg-task"],
                AssignPublicIp::Disabled,
            ),
            &needs,
        );
        // subnet-main has no association: the main table (local only) applies.
        assert_eq!(
            report
                .subnet("subnet-main")
                .unwrap()
                .route_table_id
                .as_deref(),
            Some("rtb-main")
        );
        assert_eq!(
            report.subnet("subnet-main").unwrap().internet,
            InternetVerdict::No(NoInternet::NoDefaultRoute)
        );
        assert_eq!(
            codes(&report),
            [
                NetCheck::S3LayersUnreachable,
                NetCheck::SecretsUnreachable,
                NetCheck::SecretsUnreachable,
                NetCheck::EndpointPrivateDnsDisabled
            ]
        );
        match &find(&report, NetCheck::EndpointPrivateDnsDisabled).problem {
            Problem::PrivateDnsDisabled {
                endpoint_id,
                service,
            } => {
                assert_eq!(endpoint_id, "vpce-logs");
                assert_eq!(service.kind, ServiceKind::Logs);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            subnets_of(find(&report, NetCheck::EndpointPrivateDnsDisabled)),
            ["subnet-priv", "subnet-main"]
        );
        // S3 gateway exists but is not on rtb-main.
        let net005 = find(&report, NetCheck::S3LayersUnreachable);
        assert_eq!(subnets_of(net005), ["subnet-main"]);
        match &net005.problem {
            Problem::S3GatewayNotOnRouteTable {
                gateway_endpoint_ids,
                ..
            } => assert_eq!(gateway_endpoint_ids, &["vpce-s3"]),
            other => panic!("{other:?}"),
        }
        let index = NetIndex::new(Some(&state), REGION);
        let fix = suggested_fix(&index, &report, net005).unwrap();
        assert_eq!(
            fix.cli,
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-s3 --add-route-table-ids rtb-main\n"
        );
        // The missing secretsmanager endpoint: reuse the group of the ECR endpoints, one subnet per zone.
        let missing = report
            .findings
            .iter()
            .find(|f| matches!(&f.problem, Problem::EndpointMissing { service, .. } if service.kind == ServiceKind::SecretsManager))
            .unwrap();
        assert_eq!(subnets_of(missing), ["subnet-priv", "subnet-main"]);
        let fix = suggested_fix(&index, &report, missing).unwrap();
        assert!(
            fix.cli
                .contains("--service-name com.amazonaws.us-east-1.secretsmanager"),
            "{}",
            fix.cli
        );
        assert!(
            fix.cli.contains("--subnet-ids subnet-priv subnet-main"),
            "{}",
            fix.cli
        );
        assert!(
            fix.cli.contains("--security-group-ids sg-endpoint"),
            "{}",
            fix.cli
        );
        // Policy checks: the S3 gateway with the layer bucket request, each ECR endpoint.
        let s3 = report
            .policy_checks
            .iter()
            .find(|p| p.endpoint_id == "vpce-s3")
            .unwrap();
        assert_eq!(
            s3.requests[0].resource,
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"
        );
        assert_eq!(s3.subnets, ["subnet-priv"]);
        assert!(
            matches!(&s3.policy, EndpointPolicy::Document { json, .. } if json["Statement"][0]["Action"] == "s3:GetObject")
        );
        let dkr = report
            .policy_checks
            .iter()
            .find(|p| p.endpoint_id == "vpce-dkr")
            .unwrap();
        assert_eq!(dkr.requests.len(), 2);
        assert_eq!(dkr.subnets, ["subnet-priv", "subnet-main"]);
    }

    #[test]
    fn endpoint_missing_entirely_and_not_available() {
        let mut value = base();
        value["VpcEndpoints"] = json!([
            {"VpcEndpointId": "vpce-dkr", "VpcEndpointType": "Interface", "VpcId": "vpc-1",
             "ServiceName": "com.amazonaws.us-east-1.ecr.dkr", "State": "pendingAcceptance", "PrivateDnsEnabled": true,
             "Groups": [{"GroupId": "sg-endpoint"}], "SubnetIds": ["subnet-priv"]}
        ]);
        let state = state(value);
        let report = run(
            &state,
            &task(&["subnet-priv2"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert_eq!(
            codes(&report),
            [
                NetCheck::EcrApiUnreachable,
                NetCheck::EcrDkrUnreachable,
                NetCheck::S3LayersUnreachable
            ]
        );
        match &find(&report, NetCheck::EcrDkrUnreachable).problem {
            Problem::EndpointNotAvailable {
                endpoint_id, state, ..
            } => {
                assert_eq!(
                    (endpoint_id.as_str(), state.as_str()),
                    ("vpce-dkr", "pendingAcceptance")
                )
            }
            other => panic!("{other:?}"),
        }
        let net005 = find(&report, NetCheck::S3LayersUnreachable);
        assert!(matches!(net005.problem, Problem::EndpointMissing { .. }));
        let index = NetIndex::new(Some(&state), REGION);
        let fix = suggested_fix(&index, &report, net005).unwrap();
        assert!(
            fix.cli.contains("--vpc-endpoint-type Gateway")
                && fix.cli.contains("--route-table-ids rtb-priv2"),
            "{}",
            fix.cli
        );
        // No endpoint to reuse: the fix creates a group letting sg-task in.
        // The pending endpoint's group already lets the task in: the fix reuses it.
        let net003 = find(&report, NetCheck::EcrApiUnreachable);
        let fix = suggested_fix(&index, &report, net003).unwrap();
        assert!(
            fix.cli.contains("--security-group-ids sg-endpoint"),
            "{}",
            fix.cli
        );
        assert!(fix.cli.contains("--subnet-ids subnet-priv2"), "{}", fix.cli);
    }

    #[test]
    fn known_empty_endpoint_list_is_missing_absent_list_is_unknown() {
        let mut value = base();
        value["VpcEndpoints"] = json!([]);
        let empty = state(value);
        let report = run(
            &empty,
            &task(&["subnet-priv2"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert_eq!(
            codes(&report),
            [
                NetCheck::EcrApiUnreachable,
                NetCheck::EcrDkrUnreachable,
                NetCheck::S3LayersUnreachable
            ]
        );
        // No endpoint group to reuse: the fix creates one that lets sg-task in.
        let fix = suggested_fix(
            &NetIndex::new(Some(&empty), REGION),
            &report,
            find(&report, NetCheck::EcrDkrUnreachable),
        )
        .unwrap();
        assert!(
            fix.cli.contains("create-security-group") && fix.cli.contains("GroupId=sg-task"),
            "{}",
            fix.cli
        );

        let mut value = base();
        value.as_object_mut().unwrap().remove("VpcEndpoints");
        let state = state(value);
        let report = run(
            &state,
            &task(&["subnet-priv2"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        assert_eq!(report.unknowns.len(), 3, "{:#?}", report.unknowns);
        assert!(
            report
                .unknowns
                .iter()
                .all(|u| u.reason.contains("ec2.VpcEndpoints"))
        );
        // With a NAT the internet carries the traffic; that an endpoint might capture it is noted.
        let report = run(
            &state,
            &task(&["subnet-nat"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(report.findings.is_empty());
        assert_eq!(
            report.path(&Target::Service(key(ServiceKind::EcrDkr)), "subnet-nat"),
            Some(&Path::Internet)
        );
        assert!(
            report
                .unknowns
                .iter()
                .any(|u| u.reason.contains("might take this traffic"))
        );
    }

    #[test]
    fn vpc_dns_attributes() {
        let mut value = base();
        value["VpcAttributes"][1]["EnableDnsHostnames"]["Value"] = json!(false);
        let state = state(value);
        let report = run(
            &state,
            &task(&["subnet-priv"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        let net015 = find(&report, NetCheck::VpcDnsDisabled);
        assert_eq!(
            net015.problem,
            Problem::VpcDnsDisabled {
                vpc_id: "vpc-1".into(),
                dns_support: Some(true),
                dns_hostnames: Some(false)
            }
        );
        let fix = suggested_fix(&NetIndex::new(Some(&state), REGION), &report, net015).unwrap();
        assert!(
            fix.cli.contains("--enable-dns-hostnames") && !fix.cli.contains("--enable-dns-support")
        );

        // Over the internet only (no capturing endpoint for the need), DNS does not matter.
        let mut needs = Needs::new();
        needs.add_public_registry("quay.io");
        let report = run(
            &state,
            &task(&["subnet-nat"], &["sg-task"], AssignPublicIp::Disabled),
            &needs,
        );
        assert!(report.findings.is_empty());

        let mut value = base();
        value.as_object_mut().unwrap().remove("VpcAttributes");
        let report = run(
            &self::state(value),
            &task(&["subnet-priv"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(
            report
                .unknowns
                .iter()
                .any(|u| matches!(u.subject, Subject::VpcDns { .. }))
        );
    }

    #[test]
    fn endpoint_ingress_by_cidr_partial_and_overlapping() {
        let mut value = base();
        // The endpoint group lets in half of subnet-priv (10.0.2.0/25) and all of 10.0.9.0/24.
        value["SecurityGroups"][1]["IpPermissions"] = json!([
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": "10.0.2.0/25"}, {"CidrIp": "10.0.8.0/23"}]}
        ]);
        let state = state(value);
        let report = run(
            &state,
            &task(
                &["subnet-priv", "subnet-priv2"],
                &["sg-task"],
                AssignPublicIp::Disabled,
            ),
            &ecr_needs(REGION),
        );
        let blocked: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.problem.check() == NetCheck::EndpointSgBlocksHttps)
            .collect();
        assert_eq!(blocked.len(), 2, "{:#?}", report.findings);
        for finding in blocked {
            assert!(matches!(
                finding.problem,
                Problem::EndpointIngressBlocked { partial: true, .. }
            ));
            assert_eq!(
                subnets_of(finding),
                ["subnet-priv"],
                "10.0.9.0/24 is inside 10.0.8.0/23"
            );
        }
    }

    #[test]
    fn malformed_subnet_cidr_is_unknown_unless_a_group_decides() {
        let mut value = base();
        value["Subnets"][2]["CidrBlock"] = json!("10.0.2.0/240");
        value["SecurityGroups"][1]["IpPermissions"] = json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]);
        let report = run(
            &state(value.clone()),
            &task(&["subnet-priv"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(
            !report
                .findings
                .iter()
                .any(|f| f.problem.check() == NetCheck::EndpointSgBlocksHttps)
        );
        let unknown = report
            .unknowns
            .iter()
            .find(|u| matches!(u.subject, Subject::EndpointIngress { .. }))
            .unwrap();
        assert!(
            unknown.reason.contains("10.0.2.0/240"),
            "{}",
            unknown.reason
        );
        assert_eq!(report.subnet("subnet-priv").unwrap().cidr, None);
        // A group reference decides without the CIDR.
        value["SecurityGroups"][1]["IpPermissions"] =
            json!([{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-task"}]}]);
        let report = run(
            &state(value),
            &task(&["subnet-priv"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(
            report
                .unknowns
                .iter()
                .all(|u| !matches!(u.subject, Subject::EndpointIngress { .. }))
        );
    }

    #[test]
    fn task_egress_to_endpoint_and_s3_prefix_list() {
        let state = state(base());
        let report = run(
            &state,
            &task(&["subnet-priv"], &["sg-locked"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        let destinations: Vec<&EgressDestination> = report
            .findings
            .iter()
            .filter_map(|f| match &f.problem {
                Problem::TaskEgressBlocked {
                    destination,
                    task_groups,
                    partial: false,
                } => {
                    assert_eq!(task_groups, &["sg-locked"]);
                    Some(destination)
                }
                _ => None,
            })
            .collect();
        assert_eq!(destinations.len(), 3, "{destinations:#?}");
        assert!(destinations.iter().any(|d| matches!(d, EgressDestination::S3PrefixList { prefix_list_ids, .. } if prefix_list_ids == &["pl-s3"])));
        let index = NetIndex::new(Some(&state), REGION);
        let s3 = report
            .findings
            .iter()
            .find(|f| {
                matches!(
                    &f.problem,
                    Problem::TaskEgressBlocked {
                        destination: EgressDestination::S3PrefixList { .. },
                        ..
                    }
                )
            })
            .unwrap();
        let fix = suggested_fix(&index, &report, s3).unwrap();
        assert!(
            fix.cli.contains("PrefixListIds=[{PrefixListId=pl-s3}]"),
            "{}",
            fix.cli
        );

        // Egress to the S3 prefix list by id, to the endpoint group by reference: all allowed.
        let mut value = base();
        value["SecurityGroups"][3]["IpPermissionsEgress"] = json!([
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "PrefixListIds": [{"PrefixListId": "pl-s3"}], "UserIdGroupPairs": [{"GroupId": "sg-endpoint"}]}
        ]);
        value["SecurityGroups"][1]["IpPermissions"][0]["UserIdGroupPairs"] =
            json!([{"GroupId": "sg-locked"}]);
        let report = run(
            &self::state(value),
            &task(&["subnet-priv"], &["sg-locked"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
    }

    #[test]
    fn default_security_group_when_task_names_none() {
        let state = state(base());
        let report = run(
            &state,
            &task(&["subnet-priv"], &[], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert_eq!(report.task_security_groups, ["sg-default"]);
        // sg-endpoint lets in sg-task only; the default group is not let in.
        assert_eq!(
            report
                .findings
                .iter()
                .filter(|f| f.problem.check() == NetCheck::EndpointSgBlocksHttps)
                .count(),
            2
        );

        let mut value = base();
        value["SecurityGroups"].as_array_mut().unwrap().remove(2);
        let report = run(
            &self::state(value),
            &task(&["subnet-priv"], &[], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(report.task_security_groups.is_empty());
        assert!(
            !report
                .findings
                .iter()
                .any(|f| f.problem.check() == NetCheck::EndpointSgBlocksHttps),
            "{:#?}",
            report.findings
        );
        assert!(
            report
                .unknowns
                .iter()
                .any(|u| u.reason.contains("default security group")),
            "{:#?}",
            report.unknowns
        );
    }

    #[test]
    fn unverifiable_routes_report_net014_only_when_relied_on() {
        let state = state(base());
        let report = run(
            &state,
            &task(&["subnet-tgw"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        // ecr.api and ecr.dkr go through their endpoints; S3 depends on the transit gateway.
        assert_eq!(codes(&report), [NetCheck::EgressUnverifiable]);
        assert_eq!(
            find(&report, NetCheck::EgressUnverifiable).problem,
            Problem::EgressUnverifiable {
                target: RouteTarget::TransitGateway("tgw-1".into()),
                via_nat_gateway: None
            }
        );
        assert!(matches!(
            report.path(&Target::Service(key(ServiceKind::S3)), "subnet-tgw"),
            Some(Path::Unknown(_))
        ));
        let mut needs = Needs::new();
        needs.add_service(ServiceKind::EcrDkr, REGION, false, vec![]);
        let report = run(
            &state,
            &task(&["subnet-tgw"], &["sg-task"], AssignPublicIp::Disabled),
            &needs,
        );
        assert!(
            report.findings.is_empty(),
            "served by the endpoint: the TGW does not matter"
        );
    }

    #[test]
    fn no_internet_rows_in_analysis() {
        let state = state(base());
        let mut needs = Needs::new();
        needs.add_public_registry("public.ecr.aws");
        let report = run(
            &state,
            &task(
                &["subnet-pcx", "subnet-black", "subnet-pnat", "subnet-gone"],
                &["sg-task"],
                AssignPublicIp::Enabled,
            ),
            &needs,
        );
        assert!(matches!(
            report.subnets[0].internet,
            InternetVerdict::No(NoInternet::VpcPeering(_))
        ));
        assert!(matches!(
            report.subnets[1].internet,
            InternetVerdict::No(NoInternet::Blackhole(_))
        ));
        assert!(matches!(
            report.subnets[2].internet,
            InternetVerdict::No(NoInternet::PrivateNatGateway(_))
        ));
        // A NAT gateway missing from the state: unknown, with the reason, never a failure.
        assert!(
            matches!(&report.subnets[3].internet, InternetVerdict::Unknown(r) if r.contains("nat-unlisted"))
        );
        assert_eq!(
            subnets_of(find(&report, NetCheck::PublicRegistryUnreachable)),
            ["subnet-pcx", "subnet-black", "subnet-pnat"]
        );
        assert!(
            report
                .unknowns
                .iter()
                .any(|u| u.subject == Subject::Internet && u.subnets == ["subnet-gone"])
        );
        assert!(
            report
                .unknowns
                .iter()
                .any(|u| u.subject
                    == Subject::Target(Target::PublicRegistry("public.ecr.aws".into())))
        );
    }

    #[test]
    fn cross_region_and_dual_stack_need_the_internet() {
        let state = state(base());
        let mut needs = ecr_needs("us-west-2");
        needs.add_private_ecr_image(REGION, "111122223333", "web", true);
        let report = run(
            &state,
            &task(&["subnet-priv"], &["sg-task"], AssignPublicIp::Disabled),
            &needs,
        );
        let net013: Vec<&ServiceKey> = report
            .findings
            .iter()
            .filter_map(|f| match &f.problem {
                Problem::NoEndpointPath {
                    service,
                    vpc_region,
                } => {
                    assert_eq!(vpc_region, REGION);
                    Some(service)
                }
                _ => None,
            })
            .collect();
        // us-west-2: ecr.api, ecr.dkr, s3; dual-stack us-east-1: ecr.api, ecr.dkr (S3 is the
        // shared same-region need, served by the gateway).
        assert_eq!(net013.len(), 5, "{net013:#?}");
        assert!(
            net013
                .iter()
                .any(|k| k.region == "us-west-2" && k.kind == ServiceKind::S3)
        );
        assert!(
            net013
                .iter()
                .any(|k| k.dual_stack && k.kind == ServiceKind::EcrDkr)
        );
        // No policy check for another region's S3 bucket.
        assert!(
            report
                .policy_checks
                .iter()
                .all(|p| p.service.region == REGION)
        );
        // With a NAT: over the internet, no finding.
        let report = run(
            &state,
            &task(&["subnet-nat"], &["sg-task"], AssignPublicIp::Disabled),
            &needs,
        );
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        let west = Target::Service(ServiceKey {
            kind: ServiceKind::EcrDkr,
            region: "us-west-2".into(),
            dual_stack: false,
        });
        assert_eq!(report.path(&west, "subnet-nat"), Some(&Path::Internet));
    }

    #[test]
    fn fargate_1_3_platform_interface_and_external() {
        let mut value = base();
        value["VpcEndpoints"].as_array_mut().unwrap().remove(0);
        let state = state(value);
        let mut network = task(&["subnet-priv2"], &["sg-task"], AssignPublicIp::Disabled);
        let report = run(&state, &network, &ecr_needs(REGION));
        assert_eq!(
            codes(&report),
            [NetCheck::EcrApiUnreachable, NetCheck::S3LayersUnreachable],
            "1.4.0: the missing ecr.api endpoint matters"
        );
        network.platform_version = Some("1.3.0".into());
        let report = run(&state, &network, &ecr_needs(REGION));
        assert!(matches!(
            report.path(&Target::Service(key(ServiceKind::EcrApi)), "subnet-priv2"),
            Some(Path::NotEvaluated(_))
        ));
        assert_eq!(
            codes(&report),
            [NetCheck::S3LayersUnreachable],
            "ecr.api is not checked on 1.3.0"
        );
        network.launch_type = LaunchType::External;
        let mut needs = ecr_needs(REGION);
        needs.add_public_registry("quay.io");
        let report = run(&state, &network, &needs);
        assert!(report.findings.is_empty());
        assert!(
            report
                .targets
                .iter()
                .all(|t| t.paths.iter().all(|p| matches!(p, Path::NotEvaluated(_))))
        );
    }

    #[test]
    fn unknown_subnet_and_absent_state() {
        let state = state(base());
        let report = run(
            &state,
            &task(&["subnet-nope"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        assert!(report.findings.is_empty());
        assert!(matches!(
            &report.subnets[0].internet,
            InternetVerdict::Unknown(_)
        ));
        assert!(
            report
                .unknowns
                .iter()
                .any(|u| u.subject == Subject::Internet)
        );

        let index = NetIndex::new(None, REGION);
        let report = analyze(
            &index,
            &task(
                &["subnet-a", "subnet-a"],
                &["sg-1"],
                AssignPublicIp::Enabled,
            ),
            &ecr_needs(REGION),
        );
        assert_eq!(
            report.subnets.len(),
            1,
            "duplicate subnets are evaluated once"
        );
        assert!(report.findings.is_empty());
        assert!(!report.unknowns.is_empty());
    }

    #[test]
    fn gateway_route_to_endpoint_not_in_state() {
        let mut value = base();
        value["VpcEndpoints"].as_array_mut().unwrap().remove(3);
        let state = state(value);
        let report = run(
            &state,
            &task(&["subnet-priv"], &["sg-task"], AssignPublicIp::Disabled),
            &ecr_needs(REGION),
        );
        // The route to vpce-s3 for the S3 prefix list shows a gateway endpoint; its policy is unknown.
        assert_eq!(
            report.path(&Target::Service(key(ServiceKind::S3)), "subnet-priv"),
            Some(&Path::GatewayEndpoint("vpce-s3".into()))
        );
        let check = report
            .policy_checks
            .iter()
            .find(|p| p.endpoint_id == "vpce-s3")
            .unwrap();
        assert!(matches!(check.policy, EndpointPolicy::Unknown(_)));
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
    }

    #[test]
    fn five_thousand_subnets() {
        let mut value = base();
        let mut subnets = Vec::new();
        let mut tables = Vec::new();
        let mut ids = Vec::new();
        for i in 0..5000u32 {
            let id = format!("subnet-{i}");
            let cidr = format!("10.{}.{}.0/24", 16 + i / 256, i % 256);
            subnets.push(subnet(&id, &cidr, "us-east-1a"));
            let route = match i % 4 {
                0 => json!({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}),
                1 => json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}),
                2 => json!({"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1"}),
                _ => Value::Null,
            };
            tables.push(rtb(&format!("rtb-{i}"), Some(&id), route));
            ids.push(id);
        }
        value["Subnets"].as_array_mut().unwrap().extend(subnets);
        value["RouteTables"].as_array_mut().unwrap().extend(tables);
        let state = state(value);
        let index = NetIndex::new(Some(&state), REGION);
        let network = TaskNetwork {
            subnets: ids,
            ..task(&[], &["sg-task"], AssignPublicIp::Disabled)
        };
        let report = analyze(&index, &network, &ecr_needs(REGION));
        assert_eq!(report.subnets.len(), 5000);
        assert_eq!(
            subnets_of(find(&report, NetCheck::PublicIpDisabled)).len(),
            1250
        );
        assert_eq!(
            subnets_of(find(&report, NetCheck::EgressUnverifiable)).len(),
            1250
        );
    }
}
