//! The `ec2` section: the VPCs of the referenced subnets, in the deployment region.
//!
//! First DescribeSubnets of the referenced subnets (a `subnet-id` filter: a filter does not fail
//! on an id that does not exist, so one call tells found from absent). Then, for all their VPCs
//! at once (one `vpc-id` filter with every VPC), concurrently: DescribeVpcs, DescribeSubnets
//! (every subnet of those VPCs: NAT gateways' and endpoints' subnets matter too),
//! DescribeRouteTables, DescribeVpcEndpoints, DescribeSecurityGroups, DescribeNatGateways,
//! DescribeVpcAttribute (DNS support and DNS hostnames, per VPC: the API takes one VPC and one
//! attribute), DescribeManagedPrefixLists (with GetManagedPrefixListEntries of the S3 lists),
//! and DescribeSecurityGroups by id for referenced groups outside those VPCs.
//!
//! A failure of the first call makes the whole section unknown; a failure of a later call
//! leaves its list out (unknown), with the reason.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{
    Filter, IpPermission, ManagedPrefixList, NatGateway, RouteTable, SecurityGroup, Subnet,
    VpcAttributeName, VpcEndpoint,
};
use serde_json::{Map, Value};

use super::client::{Aws, describe};
use super::json::Obj;

/// EC2 accepts at most 200 values in one filter.
const FILTER_VALUES: usize = 200;

pub struct Collected {
    /// None: nothing known (no subnets referenced, or the first call failed).
    pub section: Option<Value>,
    pub unknown: Vec<String>,
}

pub async fn collect(
    aws: &Aws,
    subnet_ids: &BTreeSet<String>,
    group_ids: &BTreeSet<String>,
) -> Collected {
    let region = aws.region.clone();
    if subnet_ids.is_empty() {
        return Collected {
            section: None,
            unknown: Vec::new(),
        };
    }
    let referenced = match subnets(aws, "subnet-id", subnet_ids).await {
        Ok(s) => s,
        Err(reason) => {
            return Collected {
                section: None,
                unknown: vec![format!("EC2 state of region {region} not read: {reason}")],
            };
        }
    };
    let vpc_ids: BTreeSet<String> = referenced
        .iter()
        .filter_map(|s| s.vpc_id().map(str::to_string))
        .collect();

    let mut section = Map::new();
    let mut unknown = Vec::new();
    let mut put = |key: &str, got: Result<Vec<Value>, String>| match got {
        Ok(items) => {
            section.insert(key.to_string(), Value::Array(items));
        }
        Err(reason) => unknown.push(format!("ec2.{key} of region {region} unknown: {reason}")),
    };
    if vpc_ids.is_empty() {
        // None of the subnets exists: that much is known, and nothing else is needed.
        put("Subnets", Ok(Vec::new()));
        return Collected {
            section: Some(Value::Object(section)),
            unknown,
        };
    }

    let (vpcs, all_subnets, tables, endpoints, groups, nats, prefix_lists, attributes) = tokio::join!(
        vpcs(aws, &vpc_ids),
        subnets(aws, "vpc-id", &vpc_ids),
        route_tables(aws, &vpc_ids),
        endpoints(aws, &vpc_ids),
        security_groups(aws, "vpc-id", &vpc_ids),
        nat_gateways(aws, &vpc_ids),
        prefix_lists(aws),
        vpc_attributes(aws, &vpc_ids),
    );
    // Referenced groups in no VPC of the subnets (a mistake the NET rules should see).
    let groups = match groups {
        Ok(mut found) => {
            let have: BTreeSet<&str> = found.iter().filter_map(|g| g.group_id()).collect();
            let missing: BTreeSet<String> = group_ids
                .iter()
                .filter(|g| !have.contains(g.as_str()))
                .cloned()
                .collect();
            if missing.is_empty() {
                Ok(found)
            } else {
                match security_groups(aws, "group-id", &missing).await {
                    Ok(more) => {
                        found.extend(more);
                        Ok(found)
                    }
                    Err(e) => Err(e),
                }
            }
        }
        Err(e) => Err(e),
    };

    put("Vpcs", vpcs);
    put("VpcAttributes", attributes);
    put(
        "Subnets",
        all_subnets.map(|list| list.iter().map(subnet).collect()),
    );
    put(
        "RouteTables",
        tables.map(|list| list.iter().map(route_table).collect()),
    );
    put(
        "VpcEndpoints",
        endpoints.map(|list| list.iter().map(endpoint).collect()),
    );
    put(
        "SecurityGroups",
        groups.map(|list| list.iter().map(security_group).collect()),
    );
    put(
        "NatGateways",
        nats.map(|list| list.iter().map(nat_gateway).collect()),
    );
    match prefix_lists {
        Ok((lists, notes)) => {
            put("PrefixLists", Ok(lists));
            for n in notes {
                unknown.push(n);
            }
        }
        Err(e) => put("PrefixLists", Err(e)),
    }
    Collected {
        section: Some(Value::Object(section)),
        unknown,
    }
}

fn filter(name: &str, values: &[&String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// Runs a paginated describe call once per chunk of filter values.
macro_rules! describe_all {
    ($aws:expr, $op:literal, $values:expr, |$chunk:ident| $call:expr, $items:ident) => {{
        let values: Vec<&String> = $values.iter().collect();
        let mut out = Vec::new();
        let mut failed = None;
        for $chunk in values.chunks(FILTER_VALUES) {
            let _p = $aws.permit().await;
            let mut pages = $call.into_paginator().send();
            while let Some(page) = pages.next().await {
                match page {
                    Ok(p) => out.extend(p.$items.unwrap_or_default()),
                    Err(e) => {
                        failed = Some(describe($op, &e));
                        break;
                    }
                }
            }
            if failed.is_some() {
                break;
            }
        }
        match failed {
            Some(reason) => Err(reason),
            None => Ok(out),
        }
    }};
}

async fn subnets(aws: &Aws, by: &str, values: &BTreeSet<String>) -> Result<Vec<Subnet>, String> {
    let mut out: Vec<Subnet> = describe_all!(
        aws,
        "ec2:DescribeSubnets",
        values,
        |chunk| aws.ec2.describe_subnets().filters(filter(by, chunk)),
        subnets
    )?;
    out.sort_by(|a, b| a.subnet_id().cmp(&b.subnet_id()));
    Ok(out)
}

async fn vpcs(aws: &Aws, ids: &BTreeSet<String>) -> Result<Vec<Value>, String> {
    let mut list = describe_all!(
        aws,
        "ec2:DescribeVpcs",
        ids,
        |chunk| aws.ec2.describe_vpcs().filters(filter("vpc-id", chunk)),
        vpcs
    )?;
    list.sort_by(|a, b| a.vpc_id().cmp(&b.vpc_id()));
    Ok(list
        .iter()
        .map(|v| {
            Obj::new()
                .str("VpcId", v.vpc_id())
                .str("CidrBlock", v.cidr_block())
                .list(
                    "CidrBlockAssociationSet",
                    v.cidr_block_association_set(),
                    |a| {
                        Obj::new()
                            .str("AssociationId", a.association_id())
                            .str("CidrBlock", a.cidr_block())
                            .build()
                    },
                )
                .str("State", v.state().map(|s| s.as_str()))
                .bool("IsDefault", v.is_default())
                .str("OwnerId", v.owner_id())
                .build()
        })
        .collect())
}

async fn route_tables(aws: &Aws, vpc_ids: &BTreeSet<String>) -> Result<Vec<RouteTable>, String> {
    let mut out: Vec<RouteTable> = describe_all!(
        aws,
        "ec2:DescribeRouteTables",
        vpc_ids,
        |chunk| aws
            .ec2
            .describe_route_tables()
            .filters(filter("vpc-id", chunk)),
        route_tables
    )?;
    out.sort_by(|a, b| a.route_table_id().cmp(&b.route_table_id()));
    Ok(out)
}

async fn endpoints(aws: &Aws, vpc_ids: &BTreeSet<String>) -> Result<Vec<VpcEndpoint>, String> {
    let mut out: Vec<VpcEndpoint> = describe_all!(
        aws,
        "ec2:DescribeVpcEndpoints",
        vpc_ids,
        |chunk| aws
            .ec2
            .describe_vpc_endpoints()
            .filters(filter("vpc-id", chunk)),
        vpc_endpoints
    )?;
    out.sort_by(|a, b| a.vpc_endpoint_id().cmp(&b.vpc_endpoint_id()));
    Ok(out)
}

async fn security_groups(
    aws: &Aws,
    by: &str,
    values: &BTreeSet<String>,
) -> Result<Vec<SecurityGroup>, String> {
    let mut out: Vec<SecurityGroup> = describe_all!(
        aws,
        "ec2:DescribeSecurityGroups",
        values,
        |chunk| aws
            .ec2
            .describe_security_groups()
            .filters(filter(by, chunk)),
        security_groups
    )?;
    out.sort_by(|a, b| a.group_id().cmp(&b.group_id()));
    Ok(out)
}

async fn nat_gateways(aws: &Aws, vpc_ids: &BTreeSet<String>) -> Result<Vec<NatGateway>, String> {
    let mut out: Vec<NatGateway> = describe_all!(
        aws,
        "ec2:DescribeNatGateways",
        vpc_ids,
        |chunk| aws
            .ec2
            .describe_nat_gateways()
            .filter(filter("vpc-id", chunk)),
        nat_gateways
    )?;
    out.sort_by(|a, b| a.nat_gateway_id().cmp(&b.nat_gateway_id()));
    Ok(out)
}

/// `describe-vpc-attribute` outputs, one per VPC and attribute.
async fn vpc_attributes(aws: &Aws, vpc_ids: &BTreeSet<String>) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for vpc in vpc_ids {
        for (attribute, key) in [
            (VpcAttributeName::EnableDnsSupport, "EnableDnsSupport"),
            (VpcAttributeName::EnableDnsHostnames, "EnableDnsHostnames"),
        ] {
            let got = {
                let _p = aws.permit().await;
                aws.ec2
                    .describe_vpc_attribute()
                    .vpc_id(vpc)
                    .attribute(attribute.clone())
                    .send()
                    .await
            };
            let got = got.map_err(|e| describe("ec2:DescribeVpcAttribute", &e))?;
            let value = match attribute {
                VpcAttributeName::EnableDnsSupport => got.enable_dns_support(),
                _ => got.enable_dns_hostnames(),
            };
            out.push(
                Obj::new()
                    .str("VpcId", got.vpc_id().or(Some(vpc)))
                    .value(
                        key,
                        value.map(|v| Obj::new().bool("Value", v.value()).build()),
                    )
                    .build(),
            );
        }
    }
    Ok(out)
}

/// The region's managed prefix lists; the S3 lists (the layer download path) with their
/// entries. A list whose entries cannot be read is kept without them (unknown), with a note.
async fn prefix_lists(aws: &Aws) -> Result<(Vec<Value>, Vec<String>), String> {
    let mut lists: Vec<ManagedPrefixList> = Vec::new();
    {
        let _p = aws.permit().await;
        let mut pages = aws
            .ec2
            .describe_managed_prefix_lists()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => lists.extend(p.prefix_lists.unwrap_or_default()),
                Err(e) => return Err(describe("ec2:DescribeManagedPrefixLists", &e)),
            }
        }
    }
    lists.sort_by(|a, b| a.prefix_list_id().cmp(&b.prefix_list_id()));
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for l in &lists {
        let mut item = Obj::new()
            .str("PrefixListId", l.prefix_list_id())
            .str("PrefixListName", l.prefix_list_name())
            .str("AddressFamily", l.address_family())
            .str("State", l.state().map(|s| s.as_str()))
            .str("OwnerId", l.owner_id());
        let is_s3 = l
            .prefix_list_name()
            .is_some_and(|n| n.ends_with(".s3") && l.owner_id() == Some("AWS"));
        if let (true, Some(id)) = (is_s3, l.prefix_list_id()) {
            match prefix_list_entries(aws, id).await {
                Ok(entries) => item = item.value("Entries", Some(Value::Array(entries))),
                Err(reason) => notes.push(format!("entries of prefix list {id} unknown: {reason}")),
            }
        }
        out.push(item.build());
    }
    Ok((out, notes))
}

async fn prefix_list_entries(aws: &Aws, id: &str) -> Result<Vec<Value>, String> {
    let _p = aws.permit().await;
    let mut pages = aws
        .ec2
        .get_managed_prefix_list_entries()
        .prefix_list_id(id)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => out.extend(p.entries().iter().map(|e| {
                Obj::new()
                    .str("Cidr", e.cidr())
                    .str("Description", e.description())
                    .build()
            })),
            Err(e) => return Err(describe("ec2:GetManagedPrefixListEntries", &e)),
        }
    }
    Ok(out)
}

fn subnet(s: &Subnet) -> Value {
    Obj::new()
        .str("SubnetId", s.subnet_id())
        .str("VpcId", s.vpc_id())
        .str("CidrBlock", s.cidr_block())
        .str("AvailabilityZone", s.availability_zone())
        .str("AvailabilityZoneId", s.availability_zone_id())
        .bool("MapPublicIpOnLaunch", s.map_public_ip_on_launch())
        .str("State", s.state().map(|x| x.as_str()))
        .str("OwnerId", s.owner_id())
        .build()
}

fn route_table(t: &RouteTable) -> Value {
    Obj::new()
        .str("RouteTableId", t.route_table_id())
        .str("VpcId", t.vpc_id())
        .list("Associations", t.associations(), |a| {
            Obj::new()
                .bool("Main", a.main())
                .str("RouteTableAssociationId", a.route_table_association_id())
                .str("RouteTableId", a.route_table_id())
                .str("SubnetId", a.subnet_id())
                .str("GatewayId", a.gateway_id())
                .value(
                    "AssociationState",
                    a.association_state().map(|s| {
                        Obj::new()
                            .str("State", s.state().map(|x| x.as_str()))
                            .build()
                    }),
                )
                .build()
        })
        .list("Routes", t.routes(), |r| {
            Obj::new()
                .str("DestinationCidrBlock", r.destination_cidr_block())
                .str("DestinationIpv6CidrBlock", r.destination_ipv6_cidr_block())
                .str("DestinationPrefixListId", r.destination_prefix_list_id())
                .str("GatewayId", r.gateway_id())
                .str("NatGatewayId", r.nat_gateway_id())
                .str("InstanceId", r.instance_id())
                .str("InstanceOwnerId", r.instance_owner_id())
                .str("NetworkInterfaceId", r.network_interface_id())
                .str("TransitGatewayId", r.transit_gateway_id())
                .str("VpcPeeringConnectionId", r.vpc_peering_connection_id())
                .str(
                    "EgressOnlyInternetGatewayId",
                    r.egress_only_internet_gateway_id(),
                )
                .str("LocalGatewayId", r.local_gateway_id())
                .str("CarrierGatewayId", r.carrier_gateway_id())
                .str("CoreNetworkArn", r.core_network_arn())
                .str("Origin", r.origin().map(|x| x.as_str()))
                .str("State", r.state().map(|x| x.as_str()))
                .build()
        })
        .str("OwnerId", t.owner_id())
        .build()
}

fn endpoint(e: &VpcEndpoint) -> Value {
    Obj::new()
        .str("VpcEndpointId", e.vpc_endpoint_id())
        .str("VpcEndpointType", e.vpc_endpoint_type().map(|x| x.as_str()))
        .str("VpcId", e.vpc_id())
        .str("ServiceName", e.service_name())
        .str("State", e.state().map(|x| x.as_str()))
        .str("PolicyDocument", e.policy_document())
        .strings("RouteTableIds", e.route_table_ids())
        .strings("SubnetIds", e.subnet_ids())
        .list("Groups", e.groups(), |g| {
            Obj::new()
                .str("GroupId", g.group_id())
                .str("GroupName", g.group_name())
                .build()
        })
        .bool("PrivateDnsEnabled", e.private_dns_enabled())
        .strings("NetworkInterfaceIds", e.network_interface_ids())
        .str("OwnerId", e.owner_id())
        .build()
}

fn security_group(g: &SecurityGroup) -> Value {
    Obj::new()
        .str("GroupId", g.group_id())
        .str("GroupName", g.group_name())
        .str("VpcId", g.vpc_id())
        .str("OwnerId", g.owner_id())
        .str("Description", g.description())
        .list("IpPermissions", g.ip_permissions(), permission)
        .list("IpPermissionsEgress", g.ip_permissions_egress(), permission)
        .build()
}

fn permission(p: &IpPermission) -> Value {
    Obj::new()
        .str("IpProtocol", p.ip_protocol())
        .int("FromPort", p.from_port().map(i64::from))
        .int("ToPort", p.to_port().map(i64::from))
        .list("IpRanges", p.ip_ranges(), |r| {
            Obj::new()
                .str("CidrIp", r.cidr_ip())
                .str("Description", r.description())
                .build()
        })
        .list("Ipv6Ranges", p.ipv6_ranges(), |r| {
            Obj::new()
                .str("CidrIpv6", r.cidr_ipv6())
                .str("Description", r.description())
                .build()
        })
        .list("PrefixListIds", p.prefix_list_ids(), |r| {
            Obj::new()
                .str("PrefixListId", r.prefix_list_id())
                .str("Description", r.description())
                .build()
        })
        .list("UserIdGroupPairs", p.user_id_group_pairs(), |r| {
            Obj::new()
                .str("GroupId", r.group_id())
                .str("GroupName", r.group_name())
                .str("UserId", r.user_id())
                .str("VpcId", r.vpc_id())
                .str("VpcPeeringConnectionId", r.vpc_peering_connection_id())
                .str("PeeringStatus", r.peering_status())
                .str("Description", r.description())
                .build()
        })
        .build()
}

fn nat_gateway(n: &NatGateway) -> Value {
    Obj::new()
        .str("NatGatewayId", n.nat_gateway_id())
        .str("SubnetId", n.subnet_id())
        .str("VpcId", n.vpc_id())
        .str("State", n.state().map(|x| x.as_str()))
        .str(
            "ConnectivityType",
            n.connectivity_type().map(|x| x.as_str()),
        )
        .build()
}
