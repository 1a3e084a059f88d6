//! CloudFormation resources whose shape has no Terraform twin: route tables and routes,
//! security groups with inline or separate rules.

use super::Reader;
use super::values::{id_value, int_value, set_unresolved, text_value};
use crate::base::known::Lookup;
use crate::model::Resource;
use crate::parse::{Node, NodeKind};
use crate::state::ec2::{IpPermission, IpRange, Ipv6Range, PrefixListIdRef, UserIdGroupPair};

impl Reader<'_> {
    pub(super) fn cfn(&mut self, r: &Resource) {
        let p = &r.properties;
        match r.kind.as_str() {
            "AWS::EC2::RouteTable" => {
                self.declare(r);
                self.route_table(&r.id, id_value(p.get("VpcId")));
            }
            "AWS::EC2::Route" => {
                self.declare(r);
                let table = id_value(p.get("RouteTableId"));
                let route = self.route(
                    text_value(p.get("DestinationCidrBlock")),
                    text_value(p.get("DestinationIpv6CidrBlock")),
                    id_value(p.get("DestinationPrefixListId")),
                    &[
                        ("GatewayId", p.get("GatewayId")),
                        ("NatGatewayId", p.get("NatGatewayId")),
                        ("TransitGatewayId", p.get("TransitGatewayId")),
                        ("VpcPeeringConnectionId", p.get("VpcPeeringConnectionId")),
                        ("InstanceId", p.get("InstanceId")),
                        ("NetworkInterfaceId", p.get("NetworkInterfaceId")),
                        ("VpcEndpointId", p.get("VpcEndpointId")),
                        (
                            "EgressOnlyInternetGatewayId",
                            p.get("EgressOnlyInternetGatewayId"),
                        ),
                        ("CarrierGatewayId", p.get("CarrierGatewayId")),
                        ("LocalGatewayId", p.get("LocalGatewayId")),
                        ("CoreNetworkArn", p.get("CoreNetworkArn")),
                    ],
                );
                if let Lookup::Found(table) = table {
                    self.routes.push((table, route));
                }
            }
            "AWS::EC2::SecurityGroup" => {
                self.declare(r);
                let ingress = self.cfn_rules(p.get("SecurityGroupIngress"), "Source");
                let egress = self.cfn_rules(p.get("SecurityGroupEgress"), "Destination");
                if !matches!(&egress, Lookup::Found(list) if list.is_empty())
                    && egress != Lookup::Absent
                {
                    self.inline_egress.push(r.id.clone());
                }
                self.group(
                    &r.id,
                    text_value(p.get("GroupName")),
                    id_value(p.get("VpcId")),
                    ingress,
                    egress,
                );
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                self.declare(r);
                let (peer, list) = if r.kind.ends_with("Ingress") {
                    ("Source", true)
                } else {
                    ("Destination", false)
                };
                if let Lookup::Found(group) = id_value(p.get("GroupId")) {
                    let rule = self.cfn_rule(p, peer);
                    if list {
                        self.ingress.push((group, rule));
                    } else {
                        self.egress.push((group, rule));
                    }
                }
            }
            _ => {}
        }
    }

    fn cfn_rules(&self, node: Option<&Node>, peer: &str) -> Lookup<Vec<IpPermission>> {
        let Some(node) = node else {
            return Lookup::Absent;
        };
        match &node.kind {
            NodeKind::Array(items) => {
                Lookup::Found(items.iter().map(|rule| self.cfn_rule(rule, peer)).collect())
            }
            NodeKind::Unresolved(why) => Lookup::Unknown(why.clone()),
            _ => Lookup::Unknown(format!("the rules are {}, not a list", node.type_name())),
        }
    }

    /// One CloudFormation rule (inline or a separate resource): `peer` is `Source` for
    /// ingress, `Destination` for egress.
    fn cfn_rule(&self, rule: &Node, peer: &str) -> IpPermission {
        let mut permission = IpPermission::default();
        let protocol = text_value(rule.get("IpProtocol"));
        permission.ip_protocol = protocol.clone().found();
        set_unresolved(&mut permission, protocol, "protocol");
        let from = int_value(rule.get("FromPort"));
        let to = int_value(rule.get("ToPort"));
        permission.from_port = from.clone().found();
        permission.to_port = to.clone().found();
        set_unresolved(&mut permission, from, "port");
        set_unresolved(&mut permission, to, "port");
        let cidr = text_value(rule.get("CidrIp"));
        if let Lookup::Found(c) = &cidr {
            permission.ip_ranges.push(IpRange {
                cidr_ip: Some(c.clone()),
                description: None,
            });
        }
        set_unresolved(&mut permission, cidr, "CidrIp");
        if let Lookup::Found(c) = text_value(rule.get("CidrIpv6")) {
            permission.ipv6_ranges.push(Ipv6Range {
                cidr_ipv6: Some(c),
                description: None,
            });
        }
        let group = id_value(rule.get(&format!("{peer}SecurityGroupId")));
        if let Lookup::Found(g) = &group {
            permission.user_id_group_pairs.push(UserIdGroupPair {
                group_id: Some(g.clone()),
                ..UserIdGroupPair::default()
            });
        }
        set_unresolved(&mut permission, group, "security group");
        // A group named by name only (default VPC, EC2-Classic): its id is not known here.
        if let Lookup::Found(name) = text_value(rule.get(&format!("{peer}SecurityGroupName"))) {
            permission.unresolved.get_or_insert(format!(
                "a rule names security group `{name}` by name, whose id is not known here"
            ));
        }
        let list = id_value(rule.get(&format!("{peer}PrefixListId")));
        if let Lookup::Found(l) = &list {
            permission.prefix_list_ids.push(PrefixListIdRef {
                prefix_list_id: Some(l.clone()),
                description: None,
            });
        }
        set_unresolved(&mut permission, list, "prefix list");
        permission
    }
}
