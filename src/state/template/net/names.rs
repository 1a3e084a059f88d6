//! The property table: the resources CloudFormation and Terraform describe alike, and each
//! property's name in both. The reader in `shared.rs` is written once against this table;
//! only what differs in shape (routes, security group rules, Terraform's default tables) has a
//! reader per format.

use crate::parse::Node;

/// A resource kind both formats describe with the same properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedKind {
    Vpc,
    Subnet,
    SubnetRouteTableAssociation,
    /// Declared only: its presence is what matters (internet gateways, attachments, EIPs).
    Declared,
    NatGateway,
    VpcEndpoint,
    PrefixList,
    EcsService,
}

/// (kind, CloudFormation type, Terraform type).
const KINDS: &[(SharedKind, &str, &str)] = &[
    (SharedKind::Vpc, "AWS::EC2::VPC", "aws_vpc"),
    (SharedKind::Subnet, "AWS::EC2::Subnet", "aws_subnet"),
    (
        SharedKind::SubnetRouteTableAssociation,
        "AWS::EC2::SubnetRouteTableAssociation",
        "aws_route_table_association",
    ),
    (
        SharedKind::Declared,
        "AWS::EC2::InternetGateway",
        "aws_internet_gateway",
    ),
    (
        SharedKind::Declared,
        "AWS::EC2::VPCGatewayAttachment",
        "aws_internet_gateway_attachment",
    ),
    (SharedKind::Declared, "AWS::EC2::EIP", "aws_eip"),
    (
        SharedKind::NatGateway,
        "AWS::EC2::NatGateway",
        "aws_nat_gateway",
    ),
    (
        SharedKind::VpcEndpoint,
        "AWS::EC2::VPCEndpoint",
        "aws_vpc_endpoint",
    ),
    (
        SharedKind::PrefixList,
        "AWS::EC2::PrefixList",
        "aws_ec2_managed_prefix_list",
    ),
    (
        SharedKind::EcsService,
        "AWS::ECS::Service",
        "aws_ecs_service",
    ),
];

impl SharedKind {
    /// The shared kind of a resource type of this format (a CloudFormation type in a plan is
    /// not one).
    pub fn of(resource_type: &str, terraform: bool) -> Option<SharedKind> {
        KINDS
            .iter()
            .find(|(_, cfn, tf)| resource_type == if terraform { *tf } else { *cfn })
            .map(|(kind, _, _)| *kind)
    }
}

/// A property of a shared kind (or of one of its nested objects).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prop {
    VpcId,
    CidrBlock,
    EnableDnsSupport,
    EnableDnsHostnames,
    AvailabilityZone,
    MapPublicIpOnLaunch,
    RouteTableId,
    SubnetId,
    ConnectivityType,
    EndpointServiceName,
    VpcEndpointType,
    PrivateDnsEnabled,
    SubnetIds,
    SecurityGroupIds,
    RouteTableIds,
    EndpointPolicy,
    PrefixListName,
    AddressFamily,
    PrefixListEntries,
    EntryCidr,
    TaskDefinition,
    LaunchType,
    CapacityProviderStrategy,
    CapacityProvider,
    PlatformVersion,
    NetworkConfiguration,
    Subnets,
    SecurityGroups,
    AssignPublicIp,
    Cluster,
    EcsServiceName,
}

impl Prop {
    /// (CloudFormation name, Terraform name).
    const fn names(self) -> (&'static str, &'static str) {
        match self {
            Prop::VpcId => ("VpcId", "vpc_id"),
            Prop::CidrBlock => ("CidrBlock", "cidr_block"),
            Prop::EnableDnsSupport => ("EnableDnsSupport", "enable_dns_support"),
            Prop::EnableDnsHostnames => ("EnableDnsHostnames", "enable_dns_hostnames"),
            Prop::AvailabilityZone => ("AvailabilityZone", "availability_zone"),
            Prop::MapPublicIpOnLaunch => ("MapPublicIpOnLaunch", "map_public_ip_on_launch"),
            Prop::RouteTableId => ("RouteTableId", "route_table_id"),
            Prop::SubnetId => ("SubnetId", "subnet_id"),
            Prop::ConnectivityType => ("ConnectivityType", "connectivity_type"),
            Prop::EndpointServiceName => ("ServiceName", "service_name"),
            Prop::VpcEndpointType => ("VpcEndpointType", "vpc_endpoint_type"),
            Prop::PrivateDnsEnabled => ("PrivateDnsEnabled", "private_dns_enabled"),
            Prop::SubnetIds => ("SubnetIds", "subnet_ids"),
            Prop::SecurityGroupIds => ("SecurityGroupIds", "security_group_ids"),
            Prop::RouteTableIds => ("RouteTableIds", "route_table_ids"),
            Prop::EndpointPolicy => ("PolicyDocument", "policy"),
            Prop::PrefixListName => ("PrefixListName", "name"),
            Prop::AddressFamily => ("AddressFamily", "address_family"),
            Prop::PrefixListEntries => ("Entries", "entry"),
            Prop::EntryCidr => ("Cidr", "cidr"),
            Prop::TaskDefinition => ("TaskDefinition", "task_definition"),
            Prop::LaunchType => ("LaunchType", "launch_type"),
            Prop::CapacityProviderStrategy => {
                ("CapacityProviderStrategy", "capacity_provider_strategy")
            }
            Prop::CapacityProvider => ("CapacityProvider", "capacity_provider"),
            Prop::PlatformVersion => ("PlatformVersion", "platform_version"),
            Prop::NetworkConfiguration => ("NetworkConfiguration", "network_configuration"),
            Prop::Subnets => ("Subnets", "subnets"),
            Prop::SecurityGroups => ("SecurityGroups", "security_groups"),
            Prop::AssignPublicIp => ("AssignPublicIp", "assign_public_ip"),
            Prop::Cluster => ("Cluster", "cluster"),
            Prop::EcsServiceName => ("ServiceName", "name"),
        }
    }
}

/// An object's properties, read by [`Prop`] in the object's format.
#[derive(Clone, Copy)]
pub struct Props<'n> {
    pub node: &'n Node,
    pub terraform: bool,
}

impl<'n> Props<'n> {
    pub fn get(&self, prop: Prop) -> Option<&'n Node> {
        let (cfn, tf) = prop.names();
        self.node.get(if self.terraform { tf } else { cfn })
    }

    /// A nested object of the same format.
    pub fn nested(&self, node: &'n Node) -> Props<'n> {
        Props {
            node,
            terraform: self.terraform,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_is_shared_only_in_its_own_format() {
        assert_eq!(SharedKind::of("aws_vpc", true), Some(SharedKind::Vpc));
        assert_eq!(
            SharedKind::of("AWS::EC2::VPC", false),
            Some(SharedKind::Vpc)
        );
        assert_eq!(SharedKind::of("aws_vpc", false), None);
        assert_eq!(SharedKind::of("AWS::EC2::VPC", true), None);
        assert_eq!(SharedKind::of("aws_eip", true), Some(SharedKind::Declared));
        assert_eq!(SharedKind::of("aws_route", true), None);
    }
}
