//! Terraform resources whose shape has no CloudFormation twin: route tables with inline
//! routes, the adopted default route table and security group, main route table and endpoint
//! associations, security group rules in their three forms.

use super::Reader;
use super::values::{
    bool_value, id_list, id_value, int_value, set_unresolved, text_list, text_value,
};
use crate::base::known::Lookup;
use crate::model::Resource;
use crate::parse::{Node, NodeKind};
use crate::state::ec2::{
    IpPermission, IpRange, PrefixListIdRef, Route, TemplateRouteTarget, UserIdGroupPair,
};

impl Reader<'_> {
    pub(super) fn terraform(&mut self, r: &Resource) {
        let p = &r.properties;
        match r.kind.as_str() {
            "aws_route_table" | "aws_default_route_table" => {
                self.declare(r);
                let vpc = if r.kind == "aws_default_route_table" {
                    // The VPC's main table, adopted: the table id is the VPC's default one. An
                    // update plan knows the VPC's id itself.
                    match p.get("vpc_id").and_then(Node::as_str) {
                        Some(vpc) => Lookup::Found(vpc.to_string()),
                        // `default_route_table_id = aws_vpc.x.default_route_table_id`: the
                        // reference resolves to the VPC.
                        None => id_value(p.get("default_route_table_id")),
                    }
                } else {
                    id_value(p.get("vpc_id"))
                };
                self.route_table(&r.id, vpc.clone());
                if r.kind == "aws_default_route_table"
                    && let Lookup::Found(vpc) = vpc
                {
                    self.main_associations.push((vpc, r.id.clone()));
                }
                match p.get("route") {
                    // Not in the configuration: the configuration is the source of truth for
                    // the tables it defines, so the table has only its local route after apply.
                    Some(routes)
                        if matches!(&routes.kind, NodeKind::Unresolved(why)
                            if why.contains(crate::model::tfplan::NOT_CONFIGURED)) => {}
                    Some(routes) if routes.is_unknown() => {
                        // The inline routes are not known: a default route may be among them.
                        let why = match &routes.kind {
                            NodeKind::Unresolved(why) => why.clone(),
                            _ => "the routes are known only after apply".into(),
                        };
                        let mut route = Route {
                            destination_cidr_block: Some("0.0.0.0/0".into()),
                            ..Route::default()
                        };
                        route.template_target = Some(TemplateRouteTarget::Unresolved(why));
                        self.routes.push((r.id.clone(), route));
                    }
                    Some(routes) => {
                        for item in routes.items() {
                            let route = self.terraform_route(item, "cidr_block");
                            self.routes.push((r.id.clone(), route));
                        }
                    }
                    None => {}
                }
            }
            "aws_route" => {
                self.declare(r);
                let route = self.terraform_route(p, "destination_cidr_block");
                if let Lookup::Found(table) = id_value(p.get("route_table_id")) {
                    self.routes.push((table, route));
                }
            }
            "aws_main_route_table_association" => {
                self.declare(r);
                if let (Lookup::Found(vpc), Lookup::Found(table)) =
                    (id_value(p.get("vpc_id")), id_value(p.get("route_table_id")))
                {
                    self.main_associations.push((vpc, table));
                }
            }
            "aws_vpc_endpoint_route_table_association" => {
                self.declare(r);
                if let (Lookup::Found(endpoint), Lookup::Found(table)) = (
                    id_value(p.get("vpc_endpoint_id")),
                    id_value(p.get("route_table_id")),
                ) {
                    self.endpoint_route_tables.push((endpoint, table));
                }
            }
            "aws_security_group" | "aws_default_security_group" => {
                self.declare(r);
                let ingress = self.terraform_rules(p.get("ingress"), &r.id);
                let egress = self.terraform_rules(p.get("egress"), &r.id);
                let name = if r.kind == "aws_default_security_group" {
                    Lookup::Found("default".to_string())
                } else {
                    text_value(p.get("name"))
                };
                self.group(&r.id, name, id_value(p.get("vpc_id")), ingress, egress);
            }
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                self.declare(r);
                let Lookup::Found(group) = id_value(p.get("security_group_id")) else {
                    return;
                };
                let mut permission = IpPermission::default();
                let protocol = text_value(p.get("ip_protocol"));
                permission.ip_protocol = protocol.clone().found();
                set_unresolved(&mut permission, protocol, "protocol");
                let all = permission.ip_protocol.as_deref() == Some("-1");
                let (from, to) = (int_value(p.get("from_port")), int_value(p.get("to_port")));
                if !all {
                    permission.from_port = from.clone().found();
                    permission.to_port = to.clone().found();
                    set_unresolved(&mut permission, from, "port");
                    set_unresolved(&mut permission, to, "port");
                }
                let cidr = text_value(p.get("cidr_ipv4"));
                if let Lookup::Found(c) = &cidr {
                    permission.ip_ranges.push(IpRange {
                        cidr_ip: Some(c.clone()),
                        description: None,
                    });
                }
                set_unresolved(&mut permission, cidr, "CIDR");
                let peer = id_value(p.get("referenced_security_group_id"));
                if let Lookup::Found(g) = &peer {
                    permission.user_id_group_pairs.push(UserIdGroupPair {
                        group_id: Some(g.clone()),
                        ..UserIdGroupPair::default()
                    });
                }
                set_unresolved(&mut permission, peer, "security group");
                let list = id_value(p.get("prefix_list_id"));
                if let Lookup::Found(l) = &list {
                    permission.prefix_list_ids.push(PrefixListIdRef {
                        prefix_list_id: Some(l.clone()),
                        description: None,
                    });
                }
                set_unresolved(&mut permission, list, "prefix list");
                if r.kind.ends_with("ingress_rule") {
                    self.ingress.push((group, permission));
                } else {
                    self.egress.push((group, permission));
                }
            }
            "aws_security_group_rule" => {
                self.declare(r);
                let Lookup::Found(group) = id_value(p.get("security_group_id")) else {
                    return;
                };
                let permission = self.terraform_rule(p, &group, "source_security_group_id");
                match text_value(p.get("type")) {
                    Lookup::Found(t) if t == "ingress" => self.ingress.push((group, permission)),
                    Lookup::Found(t) if t == "egress" => self.egress.push((group, permission)),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// A route of a Terraform route table (inline `route` block, destination `cidr_block`) or
    /// an `aws_route` resource (`destination_cidr_block`).
    fn terraform_route(&self, p: &Node, destination: &str) -> Route {
        self.route(
            text_value(p.get(destination)),
            text_value(
                p.get("ipv6_cidr_block")
                    .or_else(|| p.get("destination_ipv6_cidr_block")),
            ),
            id_value(
                p.get("destination_prefix_list_id")
                    .or_else(|| p.get("prefix_list_id")),
            ),
            &[
                ("GatewayId", p.get("gateway_id")),
                ("NatGatewayId", p.get("nat_gateway_id")),
                ("TransitGatewayId", p.get("transit_gateway_id")),
                ("VpcPeeringConnectionId", p.get("vpc_peering_connection_id")),
                ("NetworkInterfaceId", p.get("network_interface_id")),
                ("VpcEndpointId", p.get("vpc_endpoint_id")),
                (
                    "EgressOnlyInternetGatewayId",
                    p.get("egress_only_gateway_id"),
                ),
                ("CarrierGatewayId", p.get("carrier_gateway_id")),
                ("LocalGatewayId", p.get("local_gateway_id")),
                ("CoreNetworkArn", p.get("core_network_arn")),
            ],
        )
    }

    fn terraform_rules(&self, node: Option<&Node>, group: &str) -> Lookup<Vec<IpPermission>> {
        let Some(node) = node else {
            return Lookup::Absent;
        };
        match &node.kind {
            NodeKind::Array(items) => Lookup::Found(
                items
                    .iter()
                    .map(|rule| self.terraform_rule(rule, group, "security_groups"))
                    .collect(),
            ),
            // Not in the configuration: Terraform creates the group without rules (it removes
            // the default egress rule); separate rule resources add theirs.
            NodeKind::Unresolved(why) if why.contains(crate::model::tfplan::NOT_CONFIGURED) => {
                Lookup::Found(Vec::new())
            }
            NodeKind::Unresolved(why) => Lookup::Unknown(why.clone()),
            NodeKind::Null => Lookup::Absent,
            _ => Lookup::Unknown(format!("the rules are {}, not a list", node.type_name())),
        }
    }

    /// An `ingress`/`egress` block or an `aws_security_group_rule`: protocol, ports, CIDR
    /// blocks, prefix lists, referenced groups (`groups_key`) and `self`.
    fn terraform_rule(&self, p: &Node, group: &str, groups_key: &str) -> IpPermission {
        let mut permission = IpPermission::default();
        let protocol = text_value(p.get("protocol"));
        let protocol = match protocol {
            // Terraform accepts names and "all"/"-1".
            Lookup::Found(s) if s == "all" || s == "-1" => Lookup::Found("-1".to_string()),
            other => other,
        };
        permission.ip_protocol = protocol.clone().found();
        set_unresolved(&mut permission, protocol, "protocol");
        let (from, to) = (int_value(p.get("from_port")), int_value(p.get("to_port")));
        permission.from_port = from.clone().found();
        permission.to_port = to.clone().found();
        set_unresolved(&mut permission, from, "port");
        set_unresolved(&mut permission, to, "port");
        let cidrs = text_list(p.get("cidr_blocks"));
        if let Lookup::Found(list) = &cidrs {
            permission.ip_ranges.extend(list.iter().map(|c| IpRange {
                cidr_ip: Some(c.clone()),
                description: None,
            }));
        }
        set_unresolved(&mut permission, cidrs, "CIDR blocks");
        let lists = id_list(p.get("prefix_list_ids"));
        if let Lookup::Found(list) = &lists {
            permission
                .prefix_list_ids
                .extend(list.iter().map(|l| PrefixListIdRef {
                    prefix_list_id: Some(l.clone()),
                    description: None,
                }));
        }
        set_unresolved(&mut permission, lists, "prefix lists");
        let groups = id_list(p.get(groups_key));
        if let Lookup::Found(list) = &groups {
            permission
                .user_id_group_pairs
                .extend(list.iter().map(|g| UserIdGroupPair {
                    group_id: Some(g.clone()),
                    ..UserIdGroupPair::default()
                }));
        }
        set_unresolved(&mut permission, groups, "security groups");
        if bool_value(p.get("self")) == Lookup::Found(true) {
            permission.user_id_group_pairs.push(UserIdGroupPair {
                group_id: Some(group.to_string()),
                ..UserIdGroupPair::default()
            });
        }
        permission
    }
}
