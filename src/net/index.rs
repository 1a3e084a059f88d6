//! Everything about a state's network that does not depend on the task, computed once per
//! state: where each subnet's default route leads, each subnet's CIDR, what each security
//! group lets through on 443, which endpoints serve which service. Many task definitions share
//! a network; with this index nothing is recomputed per task definition.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::base::known::Lookup;
use crate::net::cidr::Ipv4Cidr;
use crate::net::routes::{SubnetEgress, subnet_egress};
use crate::net::security_groups::{Direction, HttpsPeers};
use crate::net::services::ServiceKind;
use crate::state::ec2::{Ec2Index, Ec2State, VpcEndpoint};

const ALL_KINDS: [ServiceKind; 9] = [
    ServiceKind::EcrApi,
    ServiceKind::EcrDkr,
    ServiceKind::S3,
    ServiceKind::Logs,
    ServiceKind::SecretsManager,
    ServiceKind::Ssm,
    ServiceKind::EcsAgent,
    ServiceKind::EcsTelemetry,
    ServiceKind::Ecs,
];

/// The precomputed network view of one state (one account and region).
#[derive(Debug)]
pub struct NetIndex<'a> {
    pub ec2: Ec2Index<'a>,
    /// The state's region: the region of its VPCs and endpoints.
    pub region: String,
    egress: HashMap<&'a str, SubnetEgress>,
    subnet_cidrs: HashMap<&'a str, Result<Ipv4Cidr, String>>,
    ingress_peers: HashMap<&'a str, HttpsPeers>,
    egress_peers: HashMap<&'a str, HttpsPeers>,
    /// Endpoints of `region`, by VPC and service.
    endpoints_by_service: HashMap<&'a str, HashMap<ServiceKind, Vec<&'a VpcEndpoint>>>,
    /// Endpoints of a service that name no VPC: they might be in any VPC.
    endpoints_without_vpc: HashMap<ServiceKind, String>,
    /// VPCs with an endpoint whose service name is not known (an unresolved template
    /// expression): it might serve any service there.
    endpoints_unknown_service: HashMap<&'a str, String>,
    /// What an endpoint's security groups let in on 443, merged over its groups.
    endpoint_ingress: HashMap<&'a str, HttpsPeers>,
    /// The CIDRs of an endpoint's subnets (where its network interfaces are).
    endpoint_cidrs: HashMap<&'a str, Result<Vec<Ipv4Cidr>, String>>,
}

impl<'a> NetIndex<'a> {
    /// Builds the index. `state` is `None` when the snapshot has no `ec2` section: every
    /// answer is then unknown, with that reason.
    pub fn new(state: Option<&'a Ec2State>, region: &str) -> NetIndex<'a> {
        NetIndex::with_template(None, state, region)
    }

    /// Builds the index of a template's network layered over a state's (see
    /// [`Ec2Index::layered`]): both `None` makes every answer unknown.
    pub fn with_template(
        template: Option<&'a Ec2State>,
        state: Option<&'a Ec2State>,
        region: &str,
    ) -> NetIndex<'a> {
        let ec2 = match (template, state) {
            (None, None) => Ec2Index::default(),
            _ => Ec2Index::layered(template, state),
        };
        let mut index = NetIndex {
            ec2,
            region: region.to_string(),
            egress: HashMap::new(),
            subnet_cidrs: HashMap::new(),
            ingress_peers: HashMap::new(),
            egress_peers: HashMap::new(),
            endpoints_by_service: HashMap::new(),
            endpoints_without_vpc: HashMap::new(),
            endpoints_unknown_service: HashMap::new(),
            endpoint_ingress: HashMap::new(),
            endpoint_cidrs: HashMap::new(),
        };
        for layer in template.into_iter().chain(state) {
            index.add_layer(layer);
        }
        index
    }

    fn add_layer(&mut self, state: &'a Ec2State) {
        let index = self;
        for subnet in state.subnets.iter().flatten() {
            let Some(id) = subnet.subnet_id.as_deref() else {
                continue;
            };
            let cidr = match subnet.cidr_block.as_deref() {
                Some(text) => Ipv4Cidr::parse(text).map_err(|e| format!("{id}: {e}")),
                None => Err(format!("{id} has no CidrBlock in ec2.Subnets")),
            };
            index.subnet_cidrs.entry(id).or_insert(cidr);
        }
        // Every subnet the state knows of, or that a route table names.
        let subnet_ids = state
            .subnets
            .iter()
            .flatten()
            .filter_map(|s| s.subnet_id.as_deref())
            .chain(
                state
                    .route_tables
                    .iter()
                    .flatten()
                    .flat_map(|t| t.associations.iter().flatten())
                    .filter_map(|a| a.subnet_id.as_deref()),
            );
        for id in subnet_ids {
            if !index.egress.contains_key(id) {
                let egress = subnet_egress(&index.ec2, id);
                index.egress.insert(id, egress);
            }
        }
        for group in state.security_groups.iter().flatten() {
            let Some(id) = group.group_id.as_deref() else {
                continue;
            };
            if index.ingress_peers.contains_key(id) {
                continue;
            }
            index.ingress_peers.insert(
                id,
                HttpsPeers::of_group(&index.ec2, group, Direction::Ingress),
            );
            index.egress_peers.insert(
                id,
                HttpsPeers::of_group(&index.ec2, group, Direction::Egress),
            );
        }
        for endpoint in state.vpc_endpoints.iter().flatten() {
            index.add_endpoint(endpoint);
        }
    }

    fn add_endpoint(&mut self, endpoint: &'a VpcEndpoint) {
        let Some(name) = endpoint.service_name.as_deref() else {
            let id = endpoint.vpc_endpoint_id.as_deref().unwrap_or("an endpoint");
            let reason = format!("the service name of endpoint {id} is not known");
            match endpoint.vpc_id.as_deref() {
                Some(vpc) => {
                    self.endpoints_unknown_service.entry(vpc).or_insert(reason);
                }
                None => {
                    for kind in ALL_KINDS {
                        self.endpoints_without_vpc
                            .entry(kind)
                            .or_insert(reason.clone());
                    }
                }
            }
            return;
        };
        let Some(kind) = ALL_KINDS
            .into_iter()
            .find(|k| k.matches_service_name(name, &self.region))
        else {
            return;
        };
        match endpoint.vpc_id.as_deref() {
            Some(vpc) => self
                .endpoints_by_service
                .entry(vpc)
                .or_default()
                .entry(kind)
                .or_default()
                .push(endpoint),
            None => {
                let id = endpoint.vpc_endpoint_id.as_deref().unwrap_or("an endpoint");
                self.endpoints_without_vpc
                    .entry(kind)
                    .or_insert(format!("{id} ({name}) has no VpcId"));
            }
        }
        let Some(id) = endpoint.vpc_endpoint_id.as_deref() else {
            return;
        };
        if kind.uses_gateway_endpoint() || self.endpoint_ingress.contains_key(id) {
            return;
        }
        let ingress = self.merged_group_peers(endpoint, Direction::Ingress);
        self.endpoint_ingress.insert(id, ingress);
        let cidrs = self.endpoint_subnet_cidrs(endpoint);
        self.endpoint_cidrs.insert(id, cidrs);
    }

    fn merged_group_peers(&self, endpoint: &VpcEndpoint, direction: Direction) -> HttpsPeers {
        let id = endpoint.vpc_endpoint_id.as_deref().unwrap_or("an endpoint");
        let Some(groups) = &endpoint.groups else {
            return HttpsPeers {
                unreadable: vec![format!("{id} has no Groups in the state")],
                ..HttpsPeers::default()
            };
        };
        if groups.is_empty() {
            // AWS always attaches at least one group (the VPC default); an empty list is a
            // partial or synthetic state, not a known "nothing allowed".
            return HttpsPeers {
                unreadable: vec![format!("{id} lists no security groups")],
                ..HttpsPeers::default()
            };
        }
        let mut missing = HttpsPeers::default();
        let mut found = Vec::new();
        for group in groups {
            match group.group_id.as_deref() {
                Some(group_id) => match self.group_peers(group_id, direction) {
                    Ok(peers) => found.push(peers),
                    Err(reason) => missing.unreadable.push(reason),
                },
                None => missing
                    .unreadable
                    .push(format!("a security group of {id} has no GroupId")),
            }
        }
        found.push(&missing);
        HttpsPeers::merge(found)
    }

    fn endpoint_subnet_cidrs(&self, endpoint: &VpcEndpoint) -> Result<Vec<Ipv4Cidr>, String> {
        let id = endpoint.vpc_endpoint_id.as_deref().unwrap_or("an endpoint");
        let subnets = endpoint
            .subnet_ids
            .as_ref()
            .ok_or_else(|| format!("{id} has no SubnetIds in the state"))?;
        subnets
            .iter()
            .map(|subnet| self.subnet_cidr(subnet))
            .collect()
    }

    /// Where a subnet's default route leads (precomputed for every subnet of the state).
    pub fn subnet_egress(&self, subnet_id: &str) -> SubnetEgress {
        match self.egress.get(subnet_id) {
            Some(egress) => egress.clone(),
            None => subnet_egress(&self.ec2, subnet_id),
        }
    }

    /// A subnet's IPv4 CIDR, or why it is not known.
    pub fn subnet_cidr(&self, subnet_id: &str) -> Result<Ipv4Cidr, String> {
        if let Some(cidr) = self.subnet_cidrs.get(subnet_id) {
            return cidr.clone();
        }
        match self.ec2.subnet(subnet_id) {
            Lookup::Unknown(reason) => Err(reason),
            _ => Err(format!("{subnet_id} is not in ec2.Subnets")),
        }
    }

    /// What a security group lets through on 443 in one direction.
    pub fn group_peers(&self, group_id: &str, direction: Direction) -> Result<&HttpsPeers, String> {
        let map = match direction {
            Direction::Ingress => &self.ingress_peers,
            Direction::Egress => &self.egress_peers,
        };
        if let Some(peers) = map.get(group_id) {
            return Ok(peers);
        }
        match self.ec2.security_group(group_id) {
            Lookup::Unknown(reason) => Err(reason),
            _ => Err(format!(
                "security group {group_id} is not in ec2.SecurityGroups"
            )),
        }
    }

    /// The endpoints of a service (in the index's region) in a VPC, or why they are not known.
    pub fn endpoints_for(
        &self,
        vpc_id: &str,
        kind: ServiceKind,
    ) -> Result<&[&'a VpcEndpoint], String> {
        if let Lookup::Unknown(reason) = self.ec2.vpc_endpoints_in(vpc_id) {
            return Err(reason);
        }
        if let Some(reason) = self.endpoints_without_vpc.get(&kind) {
            return Err(reason.clone());
        }
        if let Some(reason) = self.endpoints_unknown_service.get(vpc_id) {
            return Err(reason.clone());
        }
        let endpoints = self
            .endpoints_by_service
            .get(vpc_id)
            .and_then(|by_kind| by_kind.get(&kind));
        Ok(endpoints.map(Vec::as_slice).unwrap_or(&[]))
    }

    /// What an interface endpoint's security groups let in on 443.
    pub fn endpoint_ingress(&self, endpoint: &VpcEndpoint) -> Cow<'_, HttpsPeers> {
        match endpoint
            .vpc_endpoint_id
            .as_deref()
            .and_then(|id| self.endpoint_ingress.get(id))
        {
            Some(peers) => Cow::Borrowed(peers),
            None => Cow::Owned(self.merged_group_peers(endpoint, Direction::Ingress)),
        }
    }

    /// The CIDRs of an interface endpoint's subnets.
    pub fn endpoint_cidrs(&self, endpoint: &VpcEndpoint) -> Cow<'_, Result<Vec<Ipv4Cidr>, String>> {
        match endpoint
            .vpc_endpoint_id
            .as_deref()
            .and_then(|id| self.endpoint_cidrs.get(id))
        {
            Some(cidrs) => Cow::Borrowed(cidrs),
            None => Cow::Owned(self.endpoint_subnet_cidrs(endpoint)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_ec2_section_makes_everything_unknown() {
        let index = NetIndex::new(None, "us-east-1");
        assert!(matches!(
            index.subnet_egress("subnet-1"),
            SubnetEgress::Unknown { .. }
        ));
        assert!(index.subnet_cidr("subnet-1").is_err());
        assert!(index.group_peers("sg-1", Direction::Egress).is_err());
        assert!(index.endpoints_for("vpc-1", ServiceKind::EcrDkr).is_err());
    }

    #[test]
    fn endpoints_by_service_and_region() {
        let state: Ec2State = serde_json::from_str(
            r#"{"VpcEndpoints": [
                {"VpcEndpointId": "vpce-1", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.ecr.dkr", "Groups": [{"GroupId": "sg-e"}], "SubnetIds": ["subnet-a"]},
                {"VpcEndpointId": "vpce-2", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.eu-west-1.ecr.dkr"},
                {"VpcEndpointId": "vpce-3", "VpcId": "vpc-2", "ServiceName": "com.amazonaws.us-east-1.logs"},
                {"VpcEndpointId": "vpce-4", "ServiceName": "com.amazonaws.us-east-1.ssm"}],
              "Subnets": [{"SubnetId": "subnet-a", "CidrBlock": "10.0.1.0/24"}],
              "SecurityGroups": [{"GroupId": "sg-e", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}]}"#,
        )
        .unwrap();
        let index = NetIndex::new(Some(&state), "us-east-1");
        let dkr = index.endpoints_for("vpc-1", ServiceKind::EcrDkr).unwrap();
        assert_eq!(dkr.len(), 1, "the eu-west-1 endpoint is not this region's");
        assert!(
            index
                .endpoints_for("vpc-1", ServiceKind::Logs)
                .unwrap()
                .is_empty()
        );
        assert!(
            index.endpoints_for("vpc-1", ServiceKind::Ssm).is_err(),
            "an ssm endpoint without VpcId"
        );
        let cidrs = index.endpoint_cidrs(dkr[0]).into_owned().unwrap();
        assert_eq!(cidrs[0].to_string(), "10.0.1.0/24");
        assert!(!index.endpoint_ingress(dkr[0]).ranges.is_empty());
    }
}
