//! Building the `ec2` section from what the readers found: the explicit defaults (main route
//! table, default security group, DNS attributes, endpoint policy), routes and rules attached
//! to their tables and groups.

use std::collections::{HashMap, HashSet};

use super::values::id_value;
use super::{DEFAULT_ENDPOINT_POLICY, Reader, TemplateNet};
use crate::base::known::Lookup;
use crate::model::Format;
use crate::parse::{Node, NodeKind};
use crate::state::ec2::{
    AttributeBooleanValue, IpPermission, IpRange, NatGateway, PrefixList, PrefixListEntry, Route,
    RouteTable, RouteTableAssociation, SecurityGroup, SecurityGroupIdentifier, Subnet,
    TemplateRouteTarget, UserIdGroupPair, Vpc, VpcAttribute, VpcEndpoint,
};
pub(super) struct EndpointProps {
    pub(super) vpc: Lookup<String>,
    pub(super) service: Lookup<String>,
    pub(super) kind: Lookup<String>,
    pub(super) private_dns: Lookup<bool>,
    pub(super) subnets: Lookup<Vec<String>>,
    pub(super) groups: Lookup<Vec<String>>,
    pub(super) route_tables: Lookup<Vec<String>>,
    pub(super) policy: Lookup<String>,
    pub(super) policy_default_when_unknown: bool,
}

impl Reader<'_> {
    pub(super) fn vpc(
        &mut self,
        id: &str,
        cidr: Lookup<String>,
        support: Lookup<bool>,
        support_default: bool,
        hostnames: Lookup<bool>,
        hostnames_default: bool,
    ) {
        let ec2 = &mut self.out.ec2;
        ec2.vpcs.get_or_insert_default().push(Vpc {
            vpc_id: Some(id.to_string()),
            cidr_block: cidr.clone().found(),
            state: Some("available".into()),
            ..Vpc::default()
        });
        let attribute = |value: Lookup<bool>, default: bool| match value {
            Lookup::Found(b) => Some(AttributeBooleanValue { value: Some(b) }),
            Lookup::Absent => Some(AttributeBooleanValue {
                value: Some(default),
            }),
            // Left out: the index says it is an expression that cannot be resolved.
            Lookup::Unknown(_) => None,
        };
        ec2.vpc_attributes
            .get_or_insert_default()
            .push(VpcAttribute {
                vpc_id: Some(id.to_string()),
                enable_dns_support: attribute(support, support_default),
                enable_dns_hostnames: attribute(hostnames, hostnames_default),
            });
        // The main route table every VPC gets: the local route only.
        let mut routes = Vec::new();
        if let Lookup::Found(cidr) = cidr {
            routes.push(Route {
                destination_cidr_block: Some(cidr),
                gateway_id: Some("local".into()),
                state: Some("active".into()),
                ..Route::default()
            });
        }
        let main = format!("{id}.MainRouteTable");
        ec2.route_tables.get_or_insert_default().push(RouteTable {
            route_table_id: Some(main.clone()),
            vpc_id: Some(id.to_string()),
            associations: Some(vec![RouteTableAssociation {
                main: Some(true),
                route_table_id: Some(main),
                ..RouteTableAssociation::default()
            }]),
            routes: Some(routes),
            owner_id: None,
        });
        // The default security group: all traffic in from itself, all traffic out.
        let default = format!("{id}.DefaultSecurityGroup");
        ec2.security_groups
            .get_or_insert_default()
            .push(SecurityGroup {
                group_id: Some(default.clone()),
                group_name: Some("default".into()),
                vpc_id: Some(id.to_string()),
                owner_id: None,
                description: Some("default VPC security group".into()),
                ip_permissions: Some(vec![IpPermission {
                    ip_protocol: Some("-1".into()),
                    user_id_group_pairs: vec![UserIdGroupPair {
                        group_id: Some(default),
                        ..UserIdGroupPair::default()
                    }],
                    ..IpPermission::default()
                }]),
                ip_permissions_egress: Some(vec![allow_all_egress()]),
            });
    }

    pub(super) fn subnet(
        &mut self,
        id: &str,
        vpc: Lookup<String>,
        cidr: Lookup<String>,
        zone: Lookup<String>,
        public_ip: Lookup<bool>,
    ) {
        self.out.ec2.subnets.get_or_insert_default().push(Subnet {
            subnet_id: Some(id.to_string()),
            vpc_id: vpc.found(),
            cidr_block: cidr.found(),
            availability_zone: zone.found(),
            map_public_ip_on_launch: public_ip.found(),
            state: Some("available".into()),
            ..Subnet::default()
        });
    }

    pub(super) fn route_table(&mut self, id: &str, vpc: Lookup<String>) {
        self.out
            .ec2
            .route_tables
            .get_or_insert_default()
            .push(RouteTable {
                route_table_id: Some(id.to_string()),
                vpc_id: vpc.found(),
                associations: Some(Vec::new()),
                routes: Some(Vec::new()),
                owner_id: None,
            });
    }

    /// A route from its destination and its target fields (`(API field name, value)`).
    pub(super) fn route(
        &self,
        cidr: Lookup<String>,
        ipv6: Lookup<String>,
        prefix_list: Lookup<String>,
        targets: &[(&str, Option<&Node>)],
    ) -> Route {
        let mut route = Route {
            destination_cidr_block: cidr.found(),
            destination_ipv6_cidr_block: ipv6.found(),
            destination_prefix_list_id: prefix_list.found(),
            state: Some("active".into()),
            ..Route::default()
        };
        for (field, node) in targets {
            let value = id_value(*node);
            let id = match value {
                Lookup::Absent => continue,
                Lookup::Unknown(why) => {
                    route.template_target = Some(TemplateRouteTarget::Unresolved(format!(
                        "its {field} is not known: {why}"
                    )));
                    break;
                }
                Lookup::Found(id) => id,
            };
            let referenced = node.is_some_and(|n| matches!(n.kind, NodeKind::ResourceRef { .. }));
            let kind = if referenced { self.kind_of(&id) } else { None };
            match *field {
                "GatewayId" | "VpcEndpointId" => {
                    route.gateway_id = Some(id.clone());
                    route.template_target = match kind {
                        Some("AWS::EC2::InternetGateway" | "aws_internet_gateway") => {
                            Some(TemplateRouteTarget::InternetGateway(id))
                        }
                        Some("AWS::EC2::VPNGateway" | "aws_vpn_gateway") => {
                            Some(TemplateRouteTarget::VirtualPrivateGateway(id))
                        }
                        Some("AWS::EC2::VPCEndpoint" | "aws_vpc_endpoint") => {
                            Some(TemplateRouteTarget::VpcEndpoint(id))
                        }
                        Some(other) => Some(TemplateRouteTarget::Unresolved(format!(
                            "it goes to `{id}`, a {other}, which is not a gateway this check knows"
                        ))),
                        None if *field == "VpcEndpointId" && !id.starts_with("vpce-") => {
                            Some(TemplateRouteTarget::VpcEndpoint(id))
                        }
                        None => None,
                    };
                }
                "NatGatewayId" => route.nat_gateway_id = Some(id),
                "TransitGatewayId" => route.transit_gateway_id = Some(id),
                "VpcPeeringConnectionId" => route.vpc_peering_connection_id = Some(id),
                "InstanceId" => route.instance_id = Some(id),
                "NetworkInterfaceId" => route.network_interface_id = Some(id),
                "EgressOnlyInternetGatewayId" => route.egress_only_internet_gateway_id = Some(id),
                "CarrierGatewayId" => route.carrier_gateway_id = Some(id),
                "LocalGatewayId" => route.local_gateway_id = Some(id),
                "CoreNetworkArn" => route.core_network_arn = Some(id),
                _ => {}
            }
            break;
        }
        route
    }

    pub(super) fn nat(&mut self, id: &str, subnet: Lookup<String>, connectivity: Lookup<String>) {
        let vpc = None;
        self.out
            .ec2
            .nat_gateways
            .get_or_insert_default()
            .push(NatGateway {
                nat_gateway_id: Some(id.to_string()),
                subnet_id: subnet.found(),
                vpc_id: vpc,
                state: Some("available".into()),
                connectivity_type: match connectivity {
                    Lookup::Found(c) => Some(c),
                    Lookup::Absent => Some("public".into()),
                    Lookup::Unknown(_) => None,
                },
            });
    }

    pub(super) fn endpoint(&mut self, id: &str, e: EndpointProps) {
        let kind = match e.kind {
            Lookup::Found(k) => Some(k),
            // CloudFormation and Terraform both default to a gateway endpoint.
            Lookup::Absent => Some("Gateway".to_string()),
            Lookup::Unknown(_) => None,
        };
        let interface = kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("Interface"));
        let vpc = e.vpc.found();
        let groups = match e.groups {
            Lookup::Found(list) if !list.is_empty() => Some(list),
            // No group: the VPC's default group, when the template defines the VPC.
            Lookup::Found(_) | Lookup::Absent => vpc
                .as_ref()
                .filter(|v| self.types.contains_key(v.as_str()))
                .map(|v| vec![format!("{v}.DefaultSecurityGroup")]),
            Lookup::Unknown(_) => None,
        };
        let policy = match e.policy {
            Lookup::Found(text) => Some(text),
            Lookup::Absent => Some(DEFAULT_ENDPOINT_POLICY.to_string()),
            Lookup::Unknown(why)
                if e.policy_default_when_unknown
                    && why.contains(crate::model::tfplan::NOT_CONFIGURED) =>
            {
                Some(DEFAULT_ENDPOINT_POLICY.to_string())
            }
            Lookup::Unknown(_) => None,
        };
        let empty_when_absent = |v: Lookup<Vec<String>>| match v {
            Lookup::Found(list) => Some(list),
            Lookup::Absent => Some(Vec::new()),
            Lookup::Unknown(_) => None,
        };
        self.out
            .ec2
            .vpc_endpoints
            .get_or_insert_default()
            .push(VpcEndpoint {
                vpc_endpoint_id: Some(id.to_string()),
                vpc_endpoint_type: kind,
                vpc_id: vpc,
                service_name: e.service.found(),
                state: Some("available".into()),
                policy_document: policy,
                route_table_ids: empty_when_absent(e.route_tables),
                subnet_ids: empty_when_absent(e.subnets),
                groups: if interface {
                    groups.map(|list| {
                        list.into_iter()
                            .map(|g| SecurityGroupIdentifier {
                                group_id: Some(g),
                                group_name: None,
                            })
                            .collect()
                    })
                } else {
                    Some(Vec::new())
                },
                private_dns_enabled: match e.private_dns {
                    Lookup::Found(b) => Some(b),
                    // Both CloudFormation and Terraform default to false.
                    Lookup::Absent => Some(false),
                    Lookup::Unknown(_) => None,
                },
                network_interface_ids: None,
                owner_id: None,
            });
    }

    pub(super) fn group(
        &mut self,
        id: &str,
        name: Lookup<String>,
        vpc: Lookup<String>,
        ingress: Lookup<Vec<IpPermission>>,
        egress: Lookup<Vec<IpPermission>>,
    ) {
        let rules = |v: Lookup<Vec<IpPermission>>| match v {
            Lookup::Found(list) => Some(list),
            Lookup::Absent => Some(Vec::new()),
            Lookup::Unknown(_) => None,
        };
        self.out
            .ec2
            .security_groups
            .get_or_insert_default()
            .push(SecurityGroup {
                group_id: Some(id.to_string()),
                group_name: name.found(),
                vpc_id: vpc.found(),
                owner_id: None,
                description: None,
                ip_permissions: rules(ingress),
                ip_permissions_egress: rules(egress),
            });
    }

    pub(super) fn prefix_list(
        &mut self,
        id: &str,
        name: Lookup<String>,
        family: Lookup<String>,
        entries: Option<Vec<PrefixListEntry>>,
    ) {
        self.out
            .ec2
            .prefix_lists
            .get_or_insert_default()
            .push(PrefixList {
                prefix_list_id: Some(id.to_string()),
                prefix_list_name: name.found(),
                address_family: family.found(),
                state: None,
                owner_id: None,
                entries,
                cidrs: None,
            });
    }

    /// Attaches the separate resources (routes, associations, rules) to their tables and groups.
    pub(super) fn finish(mut self, format: Format) -> TemplateNet {
        let ec2 = &mut self.out.ec2;
        let tables = ec2.route_tables.get_or_insert_default();
        let index: HashMap<String, usize> = tables
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((t.route_table_id.clone()?, i)))
            .collect();
        for (table, route) in self.routes {
            if let Some(&i) = index.get(&table) {
                tables[i].routes.get_or_insert_default().push(route);
            }
        }
        for (table, subnet) in self.associations {
            if let Some(&i) = index.get(&table) {
                tables[i]
                    .associations
                    .get_or_insert_default()
                    .push(RouteTableAssociation {
                        main: Some(false),
                        route_table_id: Some(table),
                        subnet_id: Some(subnet),
                        ..RouteTableAssociation::default()
                    });
            }
        }
        for (vpc, table) in self.main_associations {
            // The adopted table replaces the synthesized main table of the VPC.
            let synthesized = format!("{vpc}.MainRouteTable");
            for t in tables.iter_mut() {
                if t.route_table_id.as_deref() == Some(synthesized.as_str()) {
                    t.associations = Some(Vec::new());
                }
            }
            if let Some(&i) = index.get(&table) {
                let local = tables
                    .iter()
                    .find(|t| t.route_table_id.as_deref() == Some(synthesized.as_str()))
                    .and_then(|t| t.routes.clone())
                    .unwrap_or_default();
                let t = &mut tables[i];
                t.vpc_id.get_or_insert(vpc.clone());
                t.associations
                    .get_or_insert_default()
                    .push(RouteTableAssociation {
                        main: Some(true),
                        route_table_id: Some(table.clone()),
                        ..RouteTableAssociation::default()
                    });
                let routes = t.routes.get_or_insert_default();
                for route in local {
                    if !routes.contains(&route) {
                        routes.insert(0, route);
                    }
                }
            }
        }
        // Tables' local routes: a table's VPC CIDR.
        let cidrs: HashMap<String, String> = ec2
            .vpcs
            .iter()
            .flatten()
            .filter_map(|v| Some((v.vpc_id.clone()?, v.cidr_block.clone()?)))
            .collect();
        for t in ec2.route_tables.iter_mut().flatten() {
            let Some(cidr) = t.vpc_id.as_ref().and_then(|v| cidrs.get(v)) else {
                continue;
            };
            let routes = t.routes.get_or_insert_default();
            if !routes
                .iter()
                .any(|r| r.gateway_id.as_deref() == Some("local"))
            {
                routes.insert(
                    0,
                    Route {
                        destination_cidr_block: Some(cidr.clone()),
                        gateway_id: Some("local".into()),
                        state: Some("active".into()),
                        ..Route::default()
                    },
                );
            }
        }
        for endpoint in ec2.vpc_endpoints.iter_mut().flatten() {
            let Some(id) = endpoint.vpc_endpoint_id.clone() else {
                continue;
            };
            for (e, table) in &self.endpoint_route_tables {
                if *e == id {
                    let list = endpoint.route_table_ids.get_or_insert_default();
                    if !list.contains(table) {
                        list.push(table.clone());
                    }
                }
            }
        }
        let inline_egress: HashSet<&str> = self.inline_egress.iter().map(String::as_str).collect();
        // A NAT gateway's VPC is its subnet's.
        let subnet_vpcs: HashMap<String, String> = ec2
            .subnets
            .iter()
            .flatten()
            .filter_map(|s| Some((s.subnet_id.clone()?, s.vpc_id.clone()?)))
            .collect();
        for nat in ec2.nat_gateways.iter_mut().flatten() {
            if nat.vpc_id.is_none() {
                nat.vpc_id = nat
                    .subnet_id
                    .as_ref()
                    .and_then(|s| subnet_vpcs.get(s))
                    .cloned();
            }
        }
        for group in ec2.security_groups.iter_mut().flatten() {
            let Some(id) = group.group_id.clone() else {
                continue;
            };
            let default_group = id.ends_with(".DefaultSecurityGroup");
            for (g, rule) in &self.ingress {
                if *g == id
                    && let Some(list) = &mut group.ip_permissions
                {
                    list.push(rule.clone());
                }
            }
            let mut has_separate_egress = false;
            for (g, rule) in &self.egress {
                if *g == id {
                    has_separate_egress = true;
                    if let Some(list) = &mut group.ip_permissions_egress {
                        list.push(rule.clone());
                    }
                }
            }
            // CloudFormation keeps the default allow-all egress unless the group's own
            // `SecurityGroupEgress` lists rules (separate egress resources add to it).
            // Terraform removes it from every group it creates.
            let _ = has_separate_egress;
            let inline_egress = inline_egress.contains(id.as_str());
            if format == Format::CloudFormation
                && !default_group
                && !inline_egress
                && let Some(list) = &mut group.ip_permissions_egress
            {
                list.push(allow_all_egress());
            }
        }
        // Every list is present: the template knows its own resources.
        ec2.vpcs.get_or_insert_default();
        ec2.vpc_attributes.get_or_insert_default();
        ec2.subnets.get_or_insert_default();
        ec2.vpc_endpoints.get_or_insert_default();
        ec2.security_groups.get_or_insert_default();
        ec2.nat_gateways.get_or_insert_default();
        ec2.prefix_lists.get_or_insert_default();
        self.out
    }
}

fn allow_all_egress() -> IpPermission {
    IpPermission {
        ip_protocol: Some("-1".into()),
        ip_ranges: vec![IpRange {
            cidr_ip: Some("0.0.0.0/0".into()),
            description: None,
        }],
        ..IpPermission::default()
    }
}
