//! Route-table analysis: where a subnet's default route (`0.0.0.0/0`) leads
//! (docs/network.md#the-internet-path). This part does not depend on the task, so it is computed
//! once per subnet.

use std::fmt;

use crate::base::known::Lookup;
use crate::net::cidr::Ipv4Cidr;
use crate::state::ec2::{Ec2Index, NatGateway, Route, RouteTable, TemplateRouteTarget};

/// The target of a route.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteTarget {
    InternetGateway(String),
    NatGateway(String),
    /// A NAT instance or appliance.
    Instance(String),
    NetworkInterface(String),
    TransitGateway(String),
    VirtualPrivateGateway(String),
    VpcPeering(String),
    /// `vpce-…` as a `GatewayId`: a gateway endpoint (prefix-list routes) or a Gateway Load
    /// Balancer endpoint (inspection appliances, on a default route).
    VpcEndpoint(String),
    EgressOnlyInternetGateway(String),
    LocalGateway(String),
    CarrierGateway(String),
    CoreNetwork(String),
    /// `GatewayId: local`, the VPC itself.
    Local,
    /// A `GatewayId` with a prefix not listed above.
    OtherGateway(String),
    /// No target field at all.
    Missing,
    /// A template route whose target is an expression that cannot be resolved; why.
    Unresolved(String),
}

impl RouteTarget {
    pub fn of(route: &Route) -> RouteTarget {
        match &route.template_target {
            Some(TemplateRouteTarget::InternetGateway(id)) => {
                return RouteTarget::InternetGateway(id.clone());
            }
            Some(TemplateRouteTarget::VirtualPrivateGateway(id)) => {
                return RouteTarget::VirtualPrivateGateway(id.clone());
            }
            Some(TemplateRouteTarget::VpcEndpoint(id)) => {
                return RouteTarget::VpcEndpoint(id.clone());
            }
            Some(TemplateRouteTarget::Unresolved(why)) => {
                return RouteTarget::Unresolved(why.clone());
            }
            None => {}
        }
        let owned = |s: &String| s.clone();
        if let Some(id) = route.nat_gateway_id.as_ref() {
            return RouteTarget::NatGateway(owned(id));
        }
        if let Some(id) = route.transit_gateway_id.as_ref() {
            return RouteTarget::TransitGateway(owned(id));
        }
        if let Some(id) = route.vpc_peering_connection_id.as_ref() {
            return RouteTarget::VpcPeering(owned(id));
        }
        if let Some(id) = route.core_network_arn.as_ref() {
            return RouteTarget::CoreNetwork(owned(id));
        }
        if let Some(id) = route.gateway_id.as_ref() {
            return match id.as_str() {
                "local" => RouteTarget::Local,
                g if g.starts_with("igw-") => RouteTarget::InternetGateway(owned(id)),
                g if g.starts_with("vgw-") => RouteTarget::VirtualPrivateGateway(owned(id)),
                g if g.starts_with("vpce-") => RouteTarget::VpcEndpoint(owned(id)),
                _ => RouteTarget::OtherGateway(owned(id)),
            };
        }
        // A NAT instance route lists both the instance and its interface: the instance names it.
        if let Some(id) = route.instance_id.as_ref() {
            return RouteTarget::Instance(owned(id));
        }
        if let Some(id) = route.network_interface_id.as_ref() {
            return RouteTarget::NetworkInterface(owned(id));
        }
        if let Some(id) = route.egress_only_internet_gateway_id.as_ref() {
            return RouteTarget::EgressOnlyInternetGateway(owned(id));
        }
        if let Some(id) = route.local_gateway_id.as_ref() {
            return RouteTarget::LocalGateway(owned(id));
        }
        if let Some(id) = route.carrier_gateway_id.as_ref() {
            return RouteTarget::CarrierGateway(owned(id));
        }
        RouteTarget::Missing
    }

    /// The id of the target, for messages and fixes.
    pub fn id(&self) -> &str {
        match self {
            RouteTarget::InternetGateway(id)
            | RouteTarget::NatGateway(id)
            | RouteTarget::Instance(id)
            | RouteTarget::NetworkInterface(id)
            | RouteTarget::TransitGateway(id)
            | RouteTarget::VirtualPrivateGateway(id)
            | RouteTarget::VpcPeering(id)
            | RouteTarget::VpcEndpoint(id)
            | RouteTarget::EgressOnlyInternetGateway(id)
            | RouteTarget::LocalGateway(id)
            | RouteTarget::CarrierGateway(id)
            | RouteTarget::CoreNetwork(id)
            | RouteTarget::OtherGateway(id) => id,
            RouteTarget::Local => "local",
            RouteTarget::Missing | RouteTarget::Unresolved(_) => "",
        }
    }
}

impl fmt::Display for RouteTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            RouteTarget::InternetGateway(_) => "internet gateway",
            RouteTarget::NatGateway(_) => "NAT gateway",
            RouteTarget::Instance(_) => "instance",
            RouteTarget::NetworkInterface(_) => "network interface",
            RouteTarget::TransitGateway(_) => "transit gateway",
            RouteTarget::VirtualPrivateGateway(_) => "virtual private gateway",
            RouteTarget::VpcPeering(_) => "VPC peering connection",
            RouteTarget::VpcEndpoint(_) => "VPC endpoint",
            RouteTarget::EgressOnlyInternetGateway(_) => "egress-only internet gateway",
            RouteTarget::LocalGateway(_) => "local gateway",
            RouteTarget::CarrierGateway(_) => "carrier gateway",
            RouteTarget::CoreNetwork(_) => "core network",
            RouteTarget::OtherGateway(_) => "gateway",
            RouteTarget::Local => return f.write_str("the VPC (local)"),
            RouteTarget::Missing => return f.write_str("no target"),
            RouteTarget::Unresolved(why) => {
                return write!(f, "a target that cannot be resolved ({why})");
            }
        };
        write!(f, "{kind} {}", self.id())
    }
}

/// Why a subnet has no internet path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoInternet {
    /// The route table has no `0.0.0.0/0` route.
    NoDefaultRoute,
    /// The default route is `blackhole` (its target is gone).
    Blackhole(RouteTarget),
    /// The default route goes to a NAT gateway with `ConnectivityType: private`.
    PrivateNatGateway(String),
    /// The NAT gateway is not `available`.
    NatGatewayNotAvailable {
        nat_gateway_id: String,
        state: String,
    },
    /// The NAT gateway's own subnet has no route to an internet gateway.
    NatSubnetWithoutInternet {
        nat_gateway_id: String,
        nat_subnet_id: String,
        detail: String,
    },
    /// VPC peering does not carry traffic to the internet (no edge-to-edge routing).
    VpcPeering(String),
    /// The default route goes to the VPC itself or to an IPv6-only gateway.
    NotAnInternetTarget(RouteTarget),
}

impl fmt::Display for NoInternet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoInternet::NoDefaultRoute => f.write_str("no 0.0.0.0/0 route"),
            NoInternet::Blackhole(target) => {
                write!(f, "the 0.0.0.0/0 route to {target} is a blackhole")
            }
            NoInternet::PrivateNatGateway(id) => {
                write!(f, "NAT gateway {id} is private (no internet)")
            }
            NoInternet::NatGatewayNotAvailable {
                nat_gateway_id,
                state,
            } => {
                write!(
                    f,
                    "NAT gateway {nat_gateway_id} is `{state}`, not `available`"
                )
            }
            NoInternet::NatSubnetWithoutInternet {
                nat_gateway_id,
                nat_subnet_id,
                detail,
            } => write!(
                f,
                "NAT gateway {nat_gateway_id} is in {nat_subnet_id}, which has no route to an internet gateway ({detail})"
            ),
            NoInternet::VpcPeering(id) => {
                write!(
                    f,
                    "the 0.0.0.0/0 route goes to VPC peering connection {id}, which does not reach the internet"
                )
            }
            NoInternet::NotAnInternetTarget(target) => {
                write!(f, "the 0.0.0.0/0 route goes to {target}")
            }
        }
    }
}

/// Where a subnet's default route leads, independent of the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubnetEgress {
    /// `0.0.0.0/0` → `igw-…`: internet if the task has a public IP.
    InternetGateway {
        route_table_id: String,
        internet_gateway_id: String,
    },
    /// `0.0.0.0/0` → an available public NAT gateway whose subnet routes to an internet gateway.
    NatGateway {
        route_table_id: String,
        nat_gateway_id: String,
        nat_subnet_id: String,
        internet_gateway_id: String,
    },
    NoInternet {
        route_table_id: String,
        reason: NoInternet,
    },
    /// Transit gateway, virtual private gateway, core network, NAT instance, ENI, Gateway Load
    /// Balancer endpoint, local or carrier gateway: the path continues outside what the state
    /// shows (NET014). `via_nat_gateway` is set when it is the NAT gateway's subnet that routes so.
    Unverifiable {
        route_table_id: String,
        target: RouteTarget,
        via_nat_gateway: Option<String>,
    },
    Unknown {
        route_table_id: Option<String>,
        reason: String,
    },
}

impl SubnetEgress {
    pub fn route_table_id(&self) -> Option<&str> {
        match self {
            SubnetEgress::InternetGateway { route_table_id, .. }
            | SubnetEgress::NatGateway { route_table_id, .. }
            | SubnetEgress::NoInternet { route_table_id, .. }
            | SubnetEgress::Unverifiable { route_table_id, .. } => Some(route_table_id),
            SubnetEgress::Unknown { route_table_id, .. } => route_table_id.as_deref(),
        }
    }
}

/// The `0.0.0.0/0` route of a table, if any.
pub fn default_route(table: &RouteTable) -> Option<&Route> {
    table.routes.as_ref()?.iter().find(|route| {
        route
            .destination_cidr_block
            .as_deref()
            .and_then(|text| Ipv4Cidr::parse(text).ok())
            .is_some_and(|cidr| cidr.prefix_len() == 0)
    })
}

/// Where the default route of `subnet_id` leads.
pub fn subnet_egress(index: &Ec2Index, subnet_id: &str) -> SubnetEgress {
    egress(index, subnet_id, true)
}

fn egress(index: &Ec2Index, subnet_id: &str, follow_nat: bool) -> SubnetEgress {
    let ipv4 = ipv4_egress(index, subnet_id, follow_nat);
    let SubnetEgress::NoInternet { route_table_id, .. } = &ipv4 else {
        return ipv4;
    };
    // No IPv4 internet path, but `::/0` leads out: an IPv6-only (or dual-stack) subnet is not
    // "no route". Which of the services a task needs answer over IPv6 depends on the endpoint
    // names the agent uses (the ECS docs ask IPv6-only tasks to use ECR's dual-stack image
    // URIs); the NET rule pages list what AWS documents. Not decided here: unknown.
    let Lookup::Found(choice) = index.route_table_for_subnet(subnet_id) else {
        return ipv4;
    };
    let ipv6_out = choice.table.routes.iter().flatten().find(|route| {
        route.destination_ipv6_cidr_block.as_deref() == Some("::/0")
            && !route.is_blackhole()
            && matches!(
                RouteTarget::of(route),
                RouteTarget::InternetGateway(_) | RouteTarget::EgressOnlyInternetGateway(_)
            )
    });
    match ipv6_out {
        Some(route) => SubnetEgress::Unknown {
            reason: format!(
                "{subnet_id} has no IPv4 internet path, but its route table {route_table_id} sends `::/0` to {}: whether the image pull, secrets and logs go over IPv6 is not decided here (see the NET rule pages)",
                RouteTarget::of(route)
            ),
            route_table_id: Some(route_table_id.clone()),
        },
        None => ipv4,
    }
}

fn ipv4_egress(index: &Ec2Index, subnet_id: &str, follow_nat: bool) -> SubnetEgress {
    let table = match index.route_table_for_subnet(subnet_id) {
        Lookup::Found(choice) => choice.table,
        Lookup::Absent => {
            return SubnetEgress::Unknown {
                route_table_id: None,
                reason: format!("no route table found for {subnet_id}"),
            };
        }
        Lookup::Unknown(reason) => {
            return SubnetEgress::Unknown {
                route_table_id: None,
                reason,
            };
        }
    };
    let Some(route_table_id) = table.route_table_id.clone() else {
        return SubnetEgress::Unknown {
            route_table_id: None,
            reason: format!("the route table of {subnet_id} has no RouteTableId"),
        };
    };
    if table.routes.is_none() {
        return SubnetEgress::Unknown {
            reason: format!("route table {route_table_id} has no Routes in the state"),
            route_table_id: Some(route_table_id),
        };
    }
    let Some(route) = default_route(table) else {
        // A destination that cannot be read might be the default route.
        let unreadable = table.routes.iter().flatten().find_map(|route| {
            let text = route.destination_cidr_block.as_deref()?;
            Ipv4Cidr::parse(text).err()
        });
        if let Some(error) = unreadable {
            return SubnetEgress::Unknown {
                reason: format!("route table {route_table_id} has a route with a {error}"),
                route_table_id: Some(route_table_id),
            };
        }
        return SubnetEgress::NoInternet {
            route_table_id,
            reason: NoInternet::NoDefaultRoute,
        };
    };
    let target = RouteTarget::of(route);
    if route.is_blackhole() {
        return SubnetEgress::NoInternet {
            route_table_id,
            reason: NoInternet::Blackhole(target),
        };
    }
    match target {
        RouteTarget::InternetGateway(internet_gateway_id) => SubnetEgress::InternetGateway {
            route_table_id,
            internet_gateway_id,
        },
        RouteTarget::NatGateway(nat_gateway_id) if follow_nat => {
            nat_egress(index, route_table_id, nat_gateway_id)
        }
        RouteTarget::VpcPeering(id) => SubnetEgress::NoInternet {
            route_table_id,
            reason: NoInternet::VpcPeering(id),
        },
        RouteTarget::Local | RouteTarget::EgressOnlyInternetGateway(_) => {
            SubnetEgress::NoInternet {
                route_table_id,
                reason: NoInternet::NotAnInternetTarget(target),
            }
        }
        RouteTarget::Missing => SubnetEgress::Unknown {
            reason: format!("the 0.0.0.0/0 route of {route_table_id} names no target"),
            route_table_id: Some(route_table_id),
        },
        RouteTarget::Unresolved(why) => SubnetEgress::Unknown {
            reason: format!(
                "the target of the 0.0.0.0/0 route of {route_table_id} is not known: {why}"
            ),
            route_table_id: Some(route_table_id),
        },
        RouteTarget::OtherGateway(ref id) => SubnetEgress::Unknown {
            reason: format!(
                "the 0.0.0.0/0 route of {route_table_id} goes to gateway `{id}`, of a kind not known here"
            ),
            route_table_id: Some(route_table_id),
        },
        // A NAT gateway reached from a NAT gateway's subnet (only when not following NATs),
        // and every target whose onward path is outside the state.
        other => SubnetEgress::Unverifiable {
            route_table_id,
            target: other,
            via_nat_gateway: None,
        },
    }
}

fn nat_egress(index: &Ec2Index, route_table_id: String, nat_gateway_id: String) -> SubnetEgress {
    let nat: &NatGateway = match index.nat_gateway(&nat_gateway_id) {
        Lookup::Found(nat) => nat,
        // The collector may fetch only what is referenced: a NAT gateway missing from the
        // state is not known to be gone (a deleted one would make the route a blackhole).
        Lookup::Absent => {
            return SubnetEgress::Unknown {
                reason: format!(
                    "route table {route_table_id} routes 0.0.0.0/0 to {nat_gateway_id}, which is not in ec2.NatGateways"
                ),
                route_table_id: Some(route_table_id),
            };
        }
        Lookup::Unknown(reason) => {
            return SubnetEgress::Unknown {
                reason: format!(
                    "route table {route_table_id} routes 0.0.0.0/0 to {nat_gateway_id}: {reason}"
                ),
                route_table_id: Some(route_table_id),
            };
        }
    };
    if nat
        .connectivity_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("private"))
    {
        return SubnetEgress::NoInternet {
            route_table_id,
            reason: NoInternet::PrivateNatGateway(nat_gateway_id),
        };
    }
    match nat.state.as_deref() {
        Some(state) if state.eq_ignore_ascii_case("available") => {}
        Some(state) => {
            return SubnetEgress::NoInternet {
                route_table_id,
                reason: NoInternet::NatGatewayNotAvailable {
                    nat_gateway_id,
                    state: state.to_string(),
                },
            };
        }
        None => {
            return SubnetEgress::Unknown {
                reason: format!("NAT gateway {nat_gateway_id} has no State in the state"),
                route_table_id: Some(route_table_id),
            };
        }
    }
    let Some(nat_subnet_id) = nat.subnet_id.clone() else {
        return SubnetEgress::Unknown {
            reason: format!(
                "NAT gateway {nat_gateway_id} has no SubnetId, so its route to the internet cannot be checked"
            ),
            route_table_id: Some(route_table_id),
        };
    };
    match egress(index, &nat_subnet_id, false) {
        SubnetEgress::InternetGateway {
            internet_gateway_id,
            ..
        } => SubnetEgress::NatGateway {
            route_table_id,
            nat_gateway_id,
            nat_subnet_id,
            internet_gateway_id,
        },
        SubnetEgress::NoInternet { reason, .. } => SubnetEgress::NoInternet {
            route_table_id,
            reason: NoInternet::NatSubnetWithoutInternet {
                nat_gateway_id,
                nat_subnet_id,
                detail: reason.to_string(),
            },
        },
        SubnetEgress::Unverifiable { target, .. } => SubnetEgress::Unverifiable {
            route_table_id,
            target,
            via_nat_gateway: Some(nat_gateway_id),
        },
        SubnetEgress::Unknown { reason, .. } => SubnetEgress::Unknown {
            reason: format!(
                "the route of NAT gateway {nat_gateway_id}'s subnet {nat_subnet_id} is not known: {reason}"
            ),
            route_table_id: Some(route_table_id),
        },
        // Not produced when NAT gateways are not followed.
        SubnetEgress::NatGateway { .. } => SubnetEgress::Unknown {
            reason: format!("NAT gateway {nat_gateway_id} routes through another NAT gateway"),
            route_table_id: Some(route_table_id),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ec2::Ec2State;

    /// A VPC with one subnet per scenario; `routes` are the default routes of subnet-x.
    fn state_with(default_route: &str, nats: &str) -> Ec2State {
        let json = format!(
            r#"{{
          "Subnets": [
            {{"SubnetId": "subnet-x", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"}},
            {{"SubnetId": "subnet-pub", "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"}},
            {{"SubnetId": "subnet-tgw", "VpcId": "vpc-1", "CidrBlock": "10.0.9.0/24"}},
            {{"SubnetId": "subnet-plain", "VpcId": "vpc-1", "CidrBlock": "10.0.8.0/24"}}
          ],
          "RouteTables": [
            {{"RouteTableId": "rtb-main", "VpcId": "vpc-1", "Associations": [{{"Main": true}}],
              "Routes": [{{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}}]}},
            {{"RouteTableId": "rtb-pub", "VpcId": "vpc-1", "Associations": [{{"SubnetId": "subnet-pub"}}],
              "Routes": [{{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}}]}},
            {{"RouteTableId": "rtb-tgw", "VpcId": "vpc-1", "Associations": [{{"SubnetId": "subnet-tgw"}}],
              "Routes": [{{"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1", "State": "active"}}]}},
            {{"RouteTableId": "rtb-x", "VpcId": "vpc-1", "Associations": [{{"SubnetId": "subnet-x"}}],
              "Routes": [{{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}}, {default_route}]}}
          ],
          "NatGateways": [{nats}]
        }}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    fn egress_of(default_route: &str, nats: &str) -> SubnetEgress {
        let state = state_with(default_route, nats);
        let index = Ec2Index::new(&state);
        subnet_egress(&index, "subnet-x")
    }

    const NAT_OK: &str = r#"{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available", "ConnectivityType": "public"}"#;

    #[test]
    fn internet_gateway() {
        let egress = egress_of(
            r#"{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-9"}"#,
            "",
        );
        assert_eq!(
            egress,
            SubnetEgress::InternetGateway {
                route_table_id: "rtb-x".into(),
                internet_gateway_id: "igw-9".into()
            }
        );
    }

    #[test]
    fn nat_gateway_verified_through_its_subnet() {
        let egress = egress_of(
            r#"{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}"#,
            NAT_OK,
        );
        assert_eq!(
            egress,
            SubnetEgress::NatGateway {
                route_table_id: "rtb-x".into(),
                nat_gateway_id: "nat-1".into(),
                nat_subnet_id: "subnet-pub".into(),
                internet_gateway_id: "igw-1".into()
            }
        );
    }

    #[test]
    fn nat_gateway_failures() {
        let route = r#"{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}"#;
        let private = egress_of(
            route,
            r#"{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available", "ConnectivityType": "private"}"#,
        );
        assert!(matches!(
            private,
            SubnetEgress::NoInternet {
                reason: NoInternet::PrivateNatGateway(_),
                ..
            }
        ));
        let pending = egress_of(
            route,
            r#"{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "pending"}"#,
        );
        assert!(matches!(
            pending,
            SubnetEgress::NoInternet {
                reason: NoInternet::NatGatewayNotAvailable { .. },
                ..
            }
        ));
        let in_private_subnet = egress_of(
            route,
            r#"{"NatGatewayId": "nat-1", "SubnetId": "subnet-plain", "State": "available"}"#,
        );
        match in_private_subnet {
            SubnetEgress::NoInternet {
                reason:
                    NoInternet::NatSubnetWithoutInternet {
                        nat_subnet_id,
                        detail,
                        ..
                    },
                ..
            } => {
                assert_eq!(nat_subnet_id, "subnet-plain");
                assert!(detail.contains("no 0.0.0.0/0"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        let behind_tgw = egress_of(
            route,
            r#"{"NatGatewayId": "nat-1", "SubnetId": "subnet-tgw", "State": "available"}"#,
        );
        assert!(matches!(
            behind_tgw,
            SubnetEgress::Unverifiable {
                target: RouteTarget::TransitGateway(_),
                via_nat_gateway: Some(_),
                ..
            }
        ));
        let no_subnet = egress_of(route, r#"{"NatGatewayId": "nat-1", "State": "available"}"#);
        assert!(matches!(no_subnet, SubnetEgress::Unknown { .. }));
    }

    #[test]
    fn nat_gateway_missing_from_state_is_unknown() {
        let route = r#"{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-gone"}"#;
        match egress_of(route, NAT_OK) {
            SubnetEgress::Unknown {
                reason,
                route_table_id,
            } => {
                assert!(
                    reason.contains("nat-gone") && reason.contains("not in ec2.NatGateways"),
                    "{reason}"
                );
                assert_eq!(route_table_id.as_deref(), Some("rtb-x"));
            }
            other => panic!("{other:?}"),
        }
        let state: Ec2State = serde_json::from_str(
            r#"{"Subnets": [{"SubnetId": "s", "VpcId": "v"}], "RouteTables": [{"RouteTableId": "r", "VpcId": "v",
                "Associations": [{"SubnetId": "s"}], "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}]}]}"#,
        )
        .unwrap();
        let index = Ec2Index::new(&state);
        assert!(
            matches!(subnet_egress(&index, "s"), SubnetEgress::Unknown { .. }),
            "no NatGateways section"
        );
    }

    #[test]
    fn unverifiable_targets() {
        for (route, expected) in [
            (
                r#"{"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1"}"#,
                "transit gateway tgw-1",
            ),
            (
                r#"{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "vgw-1"}"#,
                "virtual private gateway vgw-1",
            ),
            (
                r#"{"DestinationCidrBlock": "0.0.0.0/0", "CoreNetworkArn": "arn:aws:networkmanager::1:core-network/c"}"#,
                "core network",
            ),
            (
                r#"{"DestinationCidrBlock": "0.0.0.0/0", "InstanceId": "i-1", "NetworkInterfaceId": "eni-1"}"#,
                "instance i-1",
            ),
            (
                r#"{"DestinationCidrBlock": "0.0.0.0/0", "NetworkInterfaceId": "eni-1"}"#,
                "network interface eni-1",
            ),
            (
                r#"{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "vpce-gwlb"}"#,
                "VPC endpoint vpce-gwlb",
            ),
        ] {
            match egress_of(route, "") {
                SubnetEgress::Unverifiable {
                    target,
                    via_nat_gateway: None,
                    ..
                } => {
                    assert!(
                        target.to_string().starts_with(expected),
                        "{target} vs {expected}"
                    )
                }
                other => panic!("{route}: {other:?}"),
            }
        }
    }

    #[test]
    fn no_internet_rows() {
        let peering = egress_of(
            r#"{"DestinationCidrBlock": "0.0.0.0/0", "VpcPeeringConnectionId": "pcx-1"}"#,
            "",
        );
        assert!(matches!(
            peering,
            SubnetEgress::NoInternet {
                reason: NoInternet::VpcPeering(_),
                ..
            }
        ));
        let blackhole = egress_of(
            r#"{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "blackhole"}"#,
            "",
        );
        assert!(matches!(
            blackhole,
            SubnetEgress::NoInternet {
                reason: NoInternet::Blackhole(_),
                ..
            }
        ));
        // IPv6 egress only (no IPv4 default route): not "no route", but not decided either.
        let eigw = egress_of(
            r#"{"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"}"#,
            "",
        );
        match eigw {
            SubnetEgress::Unknown { reason, .. } => {
                assert!(
                    reason.contains("egress-only internet gateway eigw-1"),
                    "{reason}"
                )
            }
            other => panic!("expected unknown, got {other:?}"),
        }
        let igw6 = egress_of(
            r#"{"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1"}"#,
            "",
        );
        assert!(matches!(igw6, SubnetEgress::Unknown { .. }));
        // A blackholed IPv6 route leads nowhere.
        let dead = egress_of(
            r#"{"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1", "State": "blackhole"}"#,
            "",
        );
        assert!(matches!(
            dead,
            SubnetEgress::NoInternet {
                reason: NoInternet::NoDefaultRoute,
                ..
            }
        ));
        let state = state_with(
            r#"{"DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": "pcx-1"}"#,
            "",
        );
        let index = Ec2Index::new(&state);
        // Main-table fallback: subnet-plain has no association, the main table has only `local`.
        assert_eq!(
            subnet_egress(&index, "subnet-plain"),
            SubnetEgress::NoInternet {
                route_table_id: "rtb-main".into(),
                reason: NoInternet::NoDefaultRoute
            }
        );
    }

    #[test]
    fn unreadable_routes() {
        let no_target = egress_of(r#"{"DestinationCidrBlock": "0.0.0.0/0"}"#, "");
        assert!(matches!(no_target, SubnetEgress::Unknown { .. }));
        let odd = egress_of(
            r#"{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "xgw-1"}"#,
            "",
        );
        assert!(matches!(odd, SubnetEgress::Unknown { .. }));
        // A malformed destination might have been the default route.
        let malformed = egress_of(
            r#"{"DestinationCidrBlock": "0.0.0.0/99", "GatewayId": "igw-1"}"#,
            "",
        );
        match malformed {
            SubnetEgress::Unknown { reason, .. } => assert!(
                reason.contains("malformed IPv4 CIDR `0.0.0.0/99`"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        let mut state = state_with(
            r#"{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}"#,
            "",
        );
        state.route_tables.as_mut().unwrap()[3].routes = None;
        let index = Ec2Index::new(&state);
        assert!(matches!(
            subnet_egress(&index, "subnet-x"),
            SubnetEgress::Unknown { .. }
        ));
    }
}
