//! The analysis of one task's network: for every subnet, and every service the task needs,
//! which path carries the traffic and what blocks it (aws-reference §3.3–§3.5).
//!
//! The order of decisions, per subnet and service:
//! 1. not carried by the task's subnets (Fargate ≤ 1.3.0 platform ENI, ECS Anywhere): not
//!    evaluated;
//! 2. another region or the dual-stack hostname: only the internet reaches it (NET013);
//! 3. an interface endpoint with private DNS, or an S3 gateway endpoint on the route table,
//!    takes the traffic whatever else exists: its security groups, DNS and policy are checked;
//! 4. else the internet path, with the task's egress to 0.0.0.0/0;
//! 5. else the missing piece is a problem (or unknown, when the path is).

use crate::net::cidr::Ipv4Cidr;
use crate::net::endpoints::{GatewayEndpointChoice, InterfaceEndpointChoice, interface_endpoint, s3_gateway_endpoint};
use crate::net::index::NetIndex;
use crate::net::needs::{Needs, ServiceNeed};
use crate::net::report::{
    AffectedSubnet, Collector, EgressDestination, EndpointPolicy, InternetPath, InternetVerdict, NetworkReport, Path,
    Problem, Subject, SubnetReport, Target, TargetReport,
};
use crate::net::routes::SubnetEgress;
use crate::net::security_groups::{Access, Direction, HttpsPeers};
use crate::net::services::{ServiceKind, s3_prefix_list_names};
use crate::net::task::{EniModel, PublicIp, TaskNetwork};
use crate::state::ec2::VpcEndpoint;
use crate::state::lookup::Lookup;

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
    let mut run = Run { index, eni_model: &eni_model, groups: &groups, internet_egress, collector: Collector::default() };

    let mut targets = Vec::with_capacity(needs.services.len() + needs.public_registries.len());
    for need in &needs.services {
        let paths = subnets.iter_mut().map(|s| run.service(s, need)).collect();
        targets.push(TargetReport { target: Target::Service(need.key.clone()), paths });
    }
    for host in &needs.public_registries {
        let paths = subnets.iter_mut().map(|s| run.public_registry(s, host)).collect();
        targets.push(TargetReport { target: Target::PublicRegistry(host.clone()), paths });
    }
    for subnet in &subnets {
        run.subnet_findings(subnet);
    }

    let Collector { findings, unknowns, policy_checks, .. } = run.collector;
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
        SubnetEgress::InternetGateway { internet_gateway_id, .. } => match public_ip {
            PublicIp::Assigned => InternetVerdict::Yes(InternetPath::InternetGateway {
                internet_gateway_id: internet_gateway_id.clone(),
            }),
            PublicIp::NotAssigned(why) => {
                InternetVerdict::PublicIpMissing { internet_gateway_id: internet_gateway_id.clone(), why: *why }
            }
            PublicIp::Unknown(reason) => InternetVerdict::Unknown(format!(
                "the default route goes to internet gateway {internet_gateway_id}, and whether the task gets a public IP is not known: {reason}"
            )),
        },
        SubnetEgress::NatGateway { nat_gateway_id, internet_gateway_id, .. } => InternetVerdict::Yes(InternetPath::NatGateway {
            nat_gateway_id: nat_gateway_id.clone(),
            internet_gateway_id: internet_gateway_id.clone(),
        }),
        SubnetEgress::NoInternet { reason, .. } => InternetVerdict::No(reason.clone()),
        SubnetEgress::Unverifiable { target, via_nat_gateway, .. } => {
            InternetVerdict::Unverifiable { target: target.clone(), via_nat_gateway: via_nat_gateway.clone() }
        }
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
            affected: AffectedSubnet { subnet_id: id.to_string(), route_table_id: egress.route_table_id().map(str::to_string) },
            unreachable_without_internet: false,
            unknown_because_of_internet: false,
            relies_on_endpoint_dns: false,
        }
    }

    fn has_internet(&self) -> bool {
        matches!(self.internet, InternetVerdict::Yes(_))
    }

    fn lacks_internet(&self) -> bool {
        matches!(self.internet, InternetVerdict::PublicIpMissing { .. } | InternetVerdict::No(_))
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
        let mut unresolved = None;
        if ids.is_empty() {
            // No group named: ECS uses the VPC's default security group (§6.2).
            match vpc_id.map(|vpc| (vpc, index.ec2.default_security_group(vpc))) {
                Some((_, Lookup::Found(group))) => ids.extend(group.group_id.clone()),
                Some((vpc, Lookup::Absent)) => {
                    unresolved = Some(format!("the task names no security group and the default group of {vpc} is not in the state"))
                }
                Some((_, Lookup::Unknown(reason))) => {
                    unresolved = Some(format!("the task names no security group, so the VPC default applies: {reason}"))
                }
                None => unresolved = Some("the task names no security group and its VPC is not known".into()),
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
        TaskGroups { ids, unresolved, egress }
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
                self.collector.unknown(Subject::Target(Target::Service(key.clone())), reason.clone(), &s.id);
                return Path::Unknown(reason);
            }
        }
        if key.region != self.index.region || key.dual_stack {
            let problem = Problem::NoEndpointPath { service: key.clone(), vpc_region: self.index.region.clone() };
            return self.internet_only(s, Target::Service(key.clone()), problem);
        }
        if key.kind.uses_gateway_endpoint() { self.s3(s, need) } else { self.interface(s, need) }
    }

    fn public_registry(&mut self, s: &mut SubnetState, host: &str) -> Path {
        if *self.eni_model == EniModel::External {
            return Path::NotEvaluated(self.not_carried_reason(ServiceKind::EcrDkr));
        }
        let problem = Problem::PublicRegistryUnreachable { host: host.to_string() };
        self.internet_only(s, Target::PublicRegistry(host.to_string()), problem)
    }

    fn not_carried_reason(&self, kind: ServiceKind) -> String {
        match self.eni_model {
            EniModel::External => "ECS Anywhere tasks use the on-premises network, which is not evaluated".into(),
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
            InternetVerdict::Unverifiable { target: route_target, via_nat_gateway: Some(nat) } => {
                format!("the internet path goes through NAT gateway {nat}, whose subnet routes to {route_target}, which the state cannot follow")
            }
            InternetVerdict::Unverifiable { target: route_target, via_nat_gateway: None } => {
                format!("the default route goes to {route_target}, which the state cannot follow")
            }
            InternetVerdict::Unknown(reason) => reason.clone(),
            // Only called when the internet path is undecided.
            other => format!("internet path: {other:?}"),
        };
        s.unknown_because_of_internet = true;
        self.collector.unknown(Subject::Target(target), reason.clone(), &s.id);
        Path::Unknown(reason)
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
        let problem = Problem::TaskEgressBlocked { destination, task_groups: self.groups.ids.clone(), partial };
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
        if s.has_internet() {
            if let InterfaceEndpointChoice::Unknown(reason) = choice {
                let reason = format!("an endpoint with private DNS might take this traffic instead of the internet path: {reason}");
                self.collector.unknown(Subject::Target(target), reason, &s.id);
            }
            self.check_internet_egress(s);
            return Path::Internet;
        }
        if !s.lacks_internet() {
            return self.internet_undecided(s, target);
        }
        s.relies_on_endpoint_dns = true;
        let vpc_id = s.vpc_id.clone().unwrap_or_default();
        let problem = match choice {
            InterfaceEndpointChoice::Missing => Problem::EndpointMissing { service: key.clone(), vpc_id },
            InterfaceEndpointChoice::NotAvailable { endpoint, state } => Problem::EndpointNotAvailable {
                service: key.clone(),
                endpoint_id: endpoint_id(endpoint),
                state,
            },
            InterfaceEndpointChoice::PrivateDnsDisabled(endpoint) => {
                Problem::PrivateDnsDisabled { service: key.clone(), endpoint_id: endpoint_id(endpoint) }
            }
            InterfaceEndpointChoice::Unknown(reason) => {
                self.collector.unknown(Subject::Target(target), reason.clone(), &s.id);
                return Path::Unknown(reason);
            }
            InterfaceEndpointChoice::Capturing(_) => unreachable_capturing(),
        };
        self.collector.problem(problem, &s.affected);
        s.unreachable_without_internet = true;
        Path::Unreachable
    }

    fn through_interface_endpoint(&mut self, s: &mut SubnetState, need: &ServiceNeed, endpoint: &VpcEndpoint) -> Path {
        let key = &need.key;
        let id = endpoint_id(endpoint);
        let endpoint_groups: Vec<String> = endpoint.groups.iter().flatten().filter_map(|g| g.group_id.clone()).collect();

        let index = self.index;
        let ingress = index.endpoint_ingress(endpoint);
        let access = self.groups.qualify(ingress.admits(&self.groups.ids, s.cidr.clone()));
        let partial = match access {
            Access::Allowed => None,
            Access::Denied => Some(false),
            Access::Partial => Some(true),
            Access::Unknown(reason) => {
                self.collector.unknown(Subject::EndpointIngress { endpoint_id: id.clone() }, reason, &s.id);
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
        let access = self.groups.egress.reaches_endpoint(&endpoint_groups, cidrs.into_owned());
        let destination =
            EgressDestination::InterfaceEndpoint { service: key.clone(), endpoint_id: id.clone(), endpoint_groups };
        self.egress_outcome(s, destination, access);

        s.relies_on_endpoint_dns = true;
        let policy = || EndpointPolicy::from_text(endpoint.policy_document.as_deref(), &id);
        self.collector.policy(&id, key, policy, &need.requests, &s.id);
        Path::InterfaceEndpoint(id)
    }

    fn s3(&mut self, s: &mut SubnetState, need: &ServiceNeed) -> Path {
        let key = &need.key;
        let choice = s3_choice(self.index, s);
        if let GatewayEndpointChoice::Attached { endpoint_id, endpoint, prefix_list_ids } = choice {
            return self.through_gateway_endpoint(s, need, endpoint_id, endpoint, prefix_list_ids);
        }
        let target = Target::Service(key.clone());
        if s.has_internet() {
            if let GatewayEndpointChoice::Unknown(reason) = choice {
                let reason = format!("an S3 gateway endpoint might take this traffic instead of the internet path: {reason}");
                self.collector.unknown(Subject::Target(target), reason, &s.id);
            }
            self.check_internet_egress(s);
            return Path::Internet;
        }
        if !s.lacks_internet() {
            return self.internet_undecided(s, target);
        }
        let vpc_id = s.vpc_id.clone().unwrap_or_default();
        let problem = match choice {
            GatewayEndpointChoice::NotAttached { elsewhere } if elsewhere.is_empty() => {
                Problem::EndpointMissing { service: key.clone(), vpc_id }
            }
            GatewayEndpointChoice::NotAttached { elsewhere } => {
                Problem::S3GatewayNotOnRouteTable { service: key.clone(), vpc_id, gateway_endpoint_ids: elsewhere }
            }
            GatewayEndpointChoice::NotAvailable { endpoint_id, state } => {
                Problem::EndpointNotAvailable { service: key.clone(), endpoint_id, state }
            }
            GatewayEndpointChoice::Unknown(reason) => {
                self.collector.unknown(Subject::Target(target), reason.clone(), &s.id);
                return Path::Unknown(reason);
            }
            GatewayEndpointChoice::Attached { .. } => unreachable_capturing(),
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
            if let Lookup::Found(list) = index.ec2.prefix_list_named(&name) {
                if let Some(id) = &list.prefix_list_id {
                    if !prefix_list_ids.contains(id) {
                        prefix_list_ids.push(id.clone());
                    }
                }
            }
        }
        let access = self.groups.egress.reaches_prefix_list(&prefix_list_ids, s3_prefix_list_cidrs(index, &prefix_list_ids));
        let destination = EgressDestination::S3PrefixList {
            region: key.region.clone(),
            endpoint_id: endpoint_id.clone(),
            prefix_list_ids,
        };
        self.egress_outcome(s, destination, access);

        let policy = || match endpoint {
            Some(endpoint) => EndpointPolicy::from_text(endpoint.policy_document.as_deref(), &endpoint_id),
            None => EndpointPolicy::Unknown(format!(
                "{endpoint_id} is not in ec2.VpcEndpoints (only a route to it is known)"
            )),
        };
        self.collector.policy(&endpoint_id, key, policy, &need.requests, &s.id);
        Path::GatewayEndpoint(endpoint_id)
    }

    /// Subnet-level findings, once every target has been evaluated.
    fn subnet_findings(&mut self, s: &SubnetState) {
        if s.unreachable_without_internet {
            if let InternetVerdict::PublicIpMissing { internet_gateway_id, why } = &s.internet {
                let problem = Problem::PublicIpDisabled { internet_gateway_id: internet_gateway_id.clone(), why: *why };
                self.collector.problem(problem, &s.affected);
            }
        }
        if s.unknown_because_of_internet {
            match &s.internet {
                InternetVerdict::Unverifiable { target, via_nat_gateway } => {
                    let problem =
                        Problem::EgressUnverifiable { target: target.clone(), via_nat_gateway: via_nat_gateway.clone() };
                    self.collector.problem(problem, &s.affected);
                }
                InternetVerdict::Unknown(reason) => self.collector.unknown(Subject::Internet, reason.clone(), &s.id),
                _ => {}
            }
        }
        if s.relies_on_endpoint_dns {
            if let Some(vpc_id) = &s.vpc_id {
                self.check_vpc_dns(s, vpc_id);
            }
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
                self.collector.unknown(Subject::VpcDns { vpc_id: vpc_id.to_string() }, reason, &s.id);
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
        Lookup::Found(choice) => s3_gateway_endpoint(&index.ec2, candidates, choice.table, &index.region),
        Lookup::Absent => GatewayEndpointChoice::Unknown(format!("no route table found for {}", s.id)),
        Lookup::Unknown(reason) => GatewayEndpointChoice::Unknown(reason),
    }
}

/// The CIDRs of the S3 prefix list, when the state has the entries of one of its ids.
fn s3_prefix_list_cidrs(index: &NetIndex, ids: &[String]) -> Result<Vec<Ipv4Cidr>, String> {
    for id in ids {
        if let Lookup::Found(list) = index.ec2.prefix_list(id) {
            if let Some(texts) = list.known_cidrs() {
                return texts
                    .into_iter()
                    .map(|text| Ipv4Cidr::parse(text).map_err(|e| format!("prefix list {id}: {e}")))
                    .collect();
            }
        }
    }
    Err("the entries of the S3 prefix list are not in the state".into())
}

fn endpoint_id(endpoint: &VpcEndpoint) -> String {
    endpoint.vpc_endpoint_id.clone().unwrap_or_else(|| "(endpoint without VpcEndpointId)".into())
}

/// The capturing case returns before the match that would need it.
fn unreachable_capturing() -> Problem {
    Problem::PublicRegistryUnreachable { host: String::from("(internal: capturing endpoint handled earlier)") }
}
