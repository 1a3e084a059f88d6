//! Which VPC endpoint serves a service: the interface endpoint that takes its traffic
//! (docs/network.md#interface-endpoints), and the S3 gateway endpoint on a route table
//! (docs/network.md#s3-gateway-endpoint).

use crate::base::known::Lookup;
use crate::net::services::{ServiceKind, s3_prefix_list_names};
use crate::state::ec2::{Ec2Index, RouteTable, VpcEndpoint};

/// The interface endpoint situation of one service in one VPC.
#[derive(Clone, Debug, PartialEq)]
pub enum InterfaceEndpointChoice<'a> {
    /// `available` with private DNS: the service's default hostname resolves to it from the
    /// whole VPC, so it takes the traffic even where a NAT gateway exists
    /// (docs/network.md#interface-endpoints).
    Capturing(&'a VpcEndpoint),
    /// `available`, private DNS off: the default hostname does not reach it (NET008).
    PrivateDnsDisabled(&'a VpcEndpoint),
    /// Exists but not `available` (`pending`, `rejected`, `failed`, …).
    NotAvailable {
        endpoint: &'a VpcEndpoint,
        state: String,
    },
    Missing,
    Unknown(String),
}

/// The S3 gateway endpoint situation of one route table.
#[derive(Clone, Debug, PartialEq)]
pub enum GatewayEndpointChoice<'a> {
    /// The route table sends S3 traffic to this endpoint (`endpoint` is `None` when only the
    /// route shows it: the endpoint itself is not in the state).
    Attached {
        endpoint_id: String,
        endpoint: Option<&'a VpcEndpoint>,
        prefix_list_ids: Vec<String>,
    },
    NotAvailable {
        endpoint_id: String,
        state: String,
    },
    /// No S3 gateway endpoint on this route table; `elsewhere` lists the VPC's S3 gateway
    /// endpoints (on other route tables), if any.
    NotAttached {
        elsewhere: Vec<String>,
    },
    Unknown(String),
}

fn is_type(endpoint: &VpcEndpoint, wanted: &str) -> Option<bool> {
    endpoint
        .vpc_endpoint_type
        .as_deref()
        .map(|t| t.eq_ignore_ascii_case(wanted))
}

fn id_of(endpoint: &VpcEndpoint) -> &str {
    endpoint
        .vpc_endpoint_id
        .as_deref()
        .unwrap_or("(an endpoint without VpcEndpointId)")
}

/// Chooses among the endpoints of one service in one VPC (already filtered by service name).
pub fn interface_endpoint<'a>(candidates: &[&'a VpcEndpoint]) -> InterfaceEndpointChoice<'a> {
    let mut uncertain: Option<String> = None;
    let mut private_dns_off = None;
    let mut not_available = None;
    for &endpoint in candidates {
        match is_type(endpoint, "Interface") {
            Some(true) => {}
            Some(false) => continue,
            None => {
                uncertain.get_or_insert(format!("{} has no VpcEndpointType", id_of(endpoint)));
                continue;
            }
        }
        match endpoint.state.as_deref() {
            Some(state) if state.eq_ignore_ascii_case("available") => {}
            Some(state) => {
                not_available.get_or_insert((endpoint, state.to_string()));
                continue;
            }
            None => {
                uncertain.get_or_insert(format!("{} has no State", id_of(endpoint)));
                continue;
            }
        }
        match endpoint.private_dns_enabled {
            Some(true) => return InterfaceEndpointChoice::Capturing(endpoint),
            Some(false) => {
                private_dns_off.get_or_insert(endpoint);
            }
            None => {
                uncertain.get_or_insert(format!("{} has no PrivateDnsEnabled", id_of(endpoint)));
            }
        }
    }
    // Something that might be a working endpoint outweighs every negative answer.
    if let Some(reason) = uncertain {
        return InterfaceEndpointChoice::Unknown(reason);
    }
    if let Some(endpoint) = private_dns_off {
        return InterfaceEndpointChoice::PrivateDnsDisabled(endpoint);
    }
    if let Some((endpoint, state)) = not_available {
        return InterfaceEndpointChoice::NotAvailable { endpoint, state };
    }
    InterfaceEndpointChoice::Missing
}

/// The S3 gateway endpoint of a route table, among the VPC's S3 endpoints (already filtered by
/// service name). A table is served when the endpoint lists it in `RouteTableIds` or when the
/// table has a prefix-list route to the endpoint.
pub fn s3_gateway_endpoint<'a>(
    index: &Ec2Index<'a>,
    candidates: &[&'a VpcEndpoint],
    table: &RouteTable,
    region: &str,
) -> GatewayEndpointChoice<'a> {
    let Some(table_id) = table.route_table_id.as_deref() else {
        return GatewayEndpointChoice::Unknown("a route table has no RouteTableId".into());
    };
    let Some(routes) = &table.routes else {
        return GatewayEndpointChoice::Unknown(format!(
            "route table {table_id} has no Routes in the state"
        ));
    };
    // Prefix-list routes to `vpce-…`, as (endpoint id, prefix list id).
    let endpoint_routes: Vec<(&str, &str)> = routes
        .iter()
        .filter(|route| !route.is_blackhole())
        .filter_map(|route| {
            let endpoint = route
                .gateway_id
                .as_deref()
                .filter(|g| g.starts_with("vpce-"))?;
            Some((endpoint, route.destination_prefix_list_id.as_deref()?))
        })
        .collect();
    let prefix_lists_of = |endpoint_id: &str| -> Vec<String> {
        endpoint_routes
            .iter()
            .filter(|(e, _)| *e == endpoint_id)
            .map(|(_, pl)| pl.to_string())
            .collect()
    };

    let mut uncertain: Option<String> = None;
    let mut not_available = None;
    let mut elsewhere = Vec::new();
    for &endpoint in candidates {
        let id = id_of(endpoint);
        match is_type(endpoint, "Gateway") {
            Some(true) => {}
            // An S3 interface endpoint does not carry ECR layers
            // (docs/network.md#endpoints-a-private-subnet-needs).
            Some(false) => continue,
            None => {
                uncertain.get_or_insert(format!("{id} has no VpcEndpointType"));
                continue;
            }
        }
        let listed = endpoint
            .route_table_ids
            .as_ref()
            .map(|ids| ids.iter().any(|t| t == table_id));
        let routed = endpoint_routes.iter().any(|(e, _)| *e == id);
        match (listed, routed) {
            (Some(true), _) | (_, true) => {}
            (Some(false), false) => {
                elsewhere.push(id.to_string());
                continue;
            }
            (None, false) => {
                uncertain.get_or_insert(format!("{id} has no RouteTableIds in the state"));
                continue;
            }
        }
        match endpoint.state.as_deref() {
            Some(state) if state.eq_ignore_ascii_case("available") => {
                return GatewayEndpointChoice::Attached {
                    endpoint_id: id.to_string(),
                    endpoint: Some(endpoint),
                    prefix_list_ids: prefix_lists_of(id),
                };
            }
            Some(state) => {
                not_available.get_or_insert((id.to_string(), state.to_string()));
            }
            None => {
                uncertain.get_or_insert(format!("{id} has no State"));
            }
        }
    }

    // A route to an endpoint the state does not list: S3's only if the prefix list says so.
    for (endpoint_id, list_id) in &endpoint_routes {
        if index.vpc_endpoint(endpoint_id).is_found() {
            continue;
        }
        match index.prefix_list(list_id) {
            Lookup::Found(list) => {
                let names = s3_prefix_list_names(region);
                if list
                    .prefix_list_name
                    .as_ref()
                    .is_some_and(|name| names.contains(name))
                {
                    return GatewayEndpointChoice::Attached {
                        endpoint_id: endpoint_id.to_string(),
                        endpoint: None,
                        prefix_list_ids: prefix_lists_of(endpoint_id),
                    };
                }
            }
            Lookup::Absent | Lookup::Unknown(_) => {
                uncertain.get_or_insert(format!(
                    "route table {table_id} routes prefix list {list_id} to {endpoint_id}; neither is in the state, so it may be an S3 gateway endpoint"
                ));
            }
        }
    }

    if let Some(reason) = uncertain {
        return GatewayEndpointChoice::Unknown(reason);
    }
    if let Some((endpoint_id, state)) = not_available {
        return GatewayEndpointChoice::NotAvailable { endpoint_id, state };
    }
    GatewayEndpointChoice::NotAttached { elsewhere }
}

/// Whether an endpoint's service name is `kind` in `region`.
pub fn serves(endpoint: &VpcEndpoint, kind: ServiceKind, region: &str) -> bool {
    endpoint
        .service_name
        .as_deref()
        .is_some_and(|name| kind.matches_service_name(name, region))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ec2::Ec2State;

    fn endpoint(json: &str) -> VpcEndpoint {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn interface_choice_order() {
        let capturing = endpoint(
            r#"{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available", "PrivateDnsEnabled": true}"#,
        );
        let dns_off = endpoint(
            r#"{"VpcEndpointId": "vpce-2", "VpcEndpointType": "Interface", "State": "available", "PrivateDnsEnabled": false}"#,
        );
        let pending = endpoint(
            r#"{"VpcEndpointId": "vpce-3", "VpcEndpointType": "Interface", "State": "pendingAcceptance", "PrivateDnsEnabled": true}"#,
        );
        let no_state = endpoint(
            r#"{"VpcEndpointId": "vpce-4", "VpcEndpointType": "Interface", "PrivateDnsEnabled": true}"#,
        );
        let gateway = endpoint(
            r#"{"VpcEndpointId": "vpce-5", "VpcEndpointType": "Gateway", "State": "available", "PrivateDnsEnabled": true}"#,
        );

        assert_eq!(
            interface_endpoint(&[&dns_off, &capturing]),
            InterfaceEndpointChoice::Capturing(&capturing)
        );
        assert_eq!(
            interface_endpoint(&[&pending, &dns_off]),
            InterfaceEndpointChoice::PrivateDnsDisabled(&dns_off)
        );
        assert_eq!(
            interface_endpoint(&[&pending]),
            InterfaceEndpointChoice::NotAvailable {
                endpoint: &pending,
                state: "pendingAcceptance".into()
            }
        );
        assert!(matches!(
            interface_endpoint(&[&dns_off, &no_state]),
            InterfaceEndpointChoice::Unknown(_)
        ));
        assert_eq!(
            interface_endpoint(&[&gateway]),
            InterfaceEndpointChoice::Missing
        );
        assert_eq!(interface_endpoint(&[]), InterfaceEndpointChoice::Missing);
    }

    fn gateway_state(endpoints: &str, routes: &str, prefix_lists: &str) -> Ec2State {
        serde_json::from_str(&format!(
            r#"{{"VpcEndpoints": [{endpoints}],
                "RouteTables": [{{"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Routes": [{routes}]}}],
                "PrefixLists": [{prefix_lists}]}}"#
        ))
        .unwrap()
    }

    fn choose(state: &Ec2State) -> GatewayEndpointChoice<'_> {
        let index = Ec2Index::new(state);
        let candidates: Vec<&VpcEndpoint> = state
            .vpc_endpoints
            .iter()
            .flatten()
            .filter(|e| serves(e, ServiceKind::S3, "us-east-1"))
            .collect();
        let table = index.route_table("rtb-1").found().unwrap();
        s3_gateway_endpoint(&index, &candidates, table, "us-east-1")
    }

    const S3_ON_RTB1: &str = r#"{"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available", "RouteTableIds": ["rtb-1"]}"#;
    const PL_ROUTE: &str =
        r#"{"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-s3", "State": "active"}"#;

    #[test]
    fn gateway_by_route_table_ids_or_route() {
        let listed = gateway_state(S3_ON_RTB1, "", "");
        assert!(
            matches!(choose(&listed), GatewayEndpointChoice::Attached { ref endpoint_id, endpoint: Some(_), .. } if endpoint_id == "vpce-s3")
        );
        let routed_only = gateway_state(
            r#"{"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available", "RouteTableIds": []}"#,
            PL_ROUTE,
            "",
        );
        match choose(&routed_only) {
            GatewayEndpointChoice::Attached {
                prefix_list_ids, ..
            } => assert_eq!(prefix_list_ids, ["pl-63a5400a"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gateway_elsewhere_missing_or_unavailable() {
        let elsewhere = gateway_state(
            r#"{"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available", "RouteTableIds": ["rtb-2"]}"#,
            "",
            "",
        );
        assert_eq!(
            choose(&elsewhere),
            GatewayEndpointChoice::NotAttached {
                elsewhere: vec!["vpce-s3".into()]
            }
        );
        let none = gateway_state(
            "",
            r#"{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}"#,
            "",
        );
        assert_eq!(
            choose(&none),
            GatewayEndpointChoice::NotAttached { elsewhere: vec![] }
        );
        let interface_only = gateway_state(
            r#"{"VpcEndpointId": "vpce-i", "VpcEndpointType": "Interface", "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available", "SubnetIds": ["s"]}"#,
            "",
            "",
        );
        assert_eq!(
            choose(&interface_only),
            GatewayEndpointChoice::NotAttached { elsewhere: vec![] }
        );
        let deleting = gateway_state(&S3_ON_RTB1.replace("available", "deleting"), "", "");
        assert!(matches!(
            choose(&deleting),
            GatewayEndpointChoice::NotAvailable { .. }
        ));
        let blackholed = gateway_state("", &PL_ROUTE.replace("active", "blackhole"), "");
        assert_eq!(
            choose(&blackholed),
            GatewayEndpointChoice::NotAttached { elsewhere: vec![] }
        );
    }

    #[test]
    fn route_to_endpoint_missing_from_state() {
        let known_s3_list = gateway_state(
            "",
            PL_ROUTE,
            r#"{"PrefixListId": "pl-63a5400a", "PrefixListName": "com.amazonaws.us-east-1.s3"}"#,
        );
        assert!(matches!(
            choose(&known_s3_list),
            GatewayEndpointChoice::Attached { endpoint: None, .. }
        ));
        let dynamodb_list = gateway_state(
            "",
            PL_ROUTE,
            r#"{"PrefixListId": "pl-63a5400a", "PrefixListName": "com.amazonaws.us-east-1.dynamodb"}"#,
        );
        assert_eq!(
            choose(&dynamodb_list),
            GatewayEndpointChoice::NotAttached { elsewhere: vec![] }
        );
        let unknown_list = gateway_state("", PL_ROUTE, "");
        assert!(matches!(
            choose(&unknown_list),
            GatewayEndpointChoice::Unknown(_)
        ));
        let no_ids = gateway_state(
            r#"{"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available"}"#,
            "",
            "",
        );
        assert!(matches!(choose(&no_ids), GatewayEndpointChoice::Unknown(_)));
    }
}
