//! The `ec2` section of a state snapshot: VPCs, subnets, route tables, VPC endpoints, security
//! groups, NAT gateways and prefix lists, with field names exactly as the AWS CLI prints them
//! (`aws ec2 describe-…`), so that a snapshot can be assembled by hand.
//!
//! Absent is not empty: a key that is absent (`None`) means "not known", a present empty list
//! means "known: there are none". Inside one item, the lists that a verdict depends on
//! (routes, associations, security group rules, an endpoint's groups, subnets and route tables)
//! are `Option` too, so that a hand-written item that leaves them out is unknown, not empty.
//! Other unknown fields are ignored; `null` is read as absent.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer};

use crate::base::known::Lookup;

/// The whole `ec2` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Ec2State {
    pub vpcs: Option<Vec<Vpc>>,
    pub vpc_attributes: Option<Vec<VpcAttribute>>,
    pub subnets: Option<Vec<Subnet>>,
    pub route_tables: Option<Vec<RouteTable>>,
    pub vpc_endpoints: Option<Vec<VpcEndpoint>>,
    pub security_groups: Option<Vec<SecurityGroup>>,
    pub nat_gateways: Option<Vec<NatGateway>>,
    pub prefix_lists: Option<Vec<PrefixList>>,
}

/// `describe-vpcs` → `Vpcs[]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub vpc_id: Option<String>,
    pub cidr_block: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub cidr_block_association_set: Vec<VpcCidrBlockAssociation>,
    pub state: Option<String>,
    pub is_default: Option<bool>,
    pub owner_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VpcCidrBlockAssociation {
    pub cidr_block: Option<String>,
    pub association_id: Option<String>,
}

/// One `describe-vpc-attribute` output: `{"VpcId", "EnableDnsSupport": {"Value": true}}` or
/// the `EnableDnsHostnames` form (both in one item is accepted too).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VpcAttribute {
    pub vpc_id: Option<String>,
    pub enable_dns_support: Option<AttributeBooleanValue>,
    pub enable_dns_hostnames: Option<AttributeBooleanValue>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeBooleanValue {
    pub value: Option<bool>,
}

/// `describe-subnets` → `Subnets[]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub cidr_block: Option<String>,
    pub availability_zone: Option<String>,
    pub availability_zone_id: Option<String>,
    pub map_public_ip_on_launch: Option<bool>,
    pub state: Option<String>,
    pub owner_id: Option<String>,
}

/// `describe-route-tables` → `RouteTables[]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    pub route_table_id: Option<String>,
    pub vpc_id: Option<String>,
    pub associations: Option<Vec<RouteTableAssociation>>,
    pub routes: Option<Vec<Route>>,
    pub owner_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableAssociation {
    pub main: Option<bool>,
    pub route_table_association_id: Option<String>,
    pub route_table_id: Option<String>,
    pub subnet_id: Option<String>,
    /// Set for an edge association (a gateway, not a subnet).
    pub gateway_id: Option<String>,
    pub association_state: Option<AssociationState>,
}

impl RouteTableAssociation {
    /// False only when the state says the association is not in effect (`disassociated`,
    /// `failed`, …); an association without a state is taken as it is listed.
    pub fn is_in_effect(&self) -> bool {
        match self
            .association_state
            .as_ref()
            .and_then(|s| s.state.as_deref())
        {
            None => true,
            Some(state) => state.eq_ignore_ascii_case("associated"),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AssociationState {
    pub state: Option<String>,
}

/// One route: one destination, one target, a state (`active` | `blackhole`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    pub destination_cidr_block: Option<String>,
    pub destination_ipv6_cidr_block: Option<String>,
    pub destination_prefix_list_id: Option<String>,
    /// `igw-…`, `vgw-…`, `vpce-…` (gateway endpoint or Gateway Load Balancer endpoint) or `local`.
    pub gateway_id: Option<String>,
    pub nat_gateway_id: Option<String>,
    pub instance_id: Option<String>,
    pub instance_owner_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub transit_gateway_id: Option<String>,
    pub vpc_peering_connection_id: Option<String>,
    pub egress_only_internet_gateway_id: Option<String>,
    pub local_gateway_id: Option<String>,
    pub carrier_gateway_id: Option<String>,
    pub core_network_arn: Option<String>,
    pub origin: Option<String>,
    pub state: Option<String>,
    /// Set by the template reader: template ids are logical IDs (`InternetGateway`), not
    /// `igw-…`, so the kind of the target comes from the referenced resource's type.
    #[serde(skip)]
    pub template_target: Option<TemplateRouteTarget>,
}

/// The target of a route defined in a template, by the type of the resource it references.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplateRouteTarget {
    InternetGateway(String),
    VirtualPrivateGateway(String),
    VpcEndpoint(String),
    /// The target is a template expression that cannot be resolved; why.
    Unresolved(String),
}

impl Route {
    /// `State: blackhole` means the target is gone. A route without a state (a hand-written or
    /// template-derived snapshot) is taken as active: that is how a route is created.
    pub fn is_blackhole(&self) -> bool {
        self.state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("blackhole"))
    }
}

/// `describe-vpc-endpoints` → `VpcEndpoints[]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VpcEndpoint {
    pub vpc_endpoint_id: Option<String>,
    /// `Interface` | `Gateway` | `GatewayLoadBalancer` | …
    pub vpc_endpoint_type: Option<String>,
    pub vpc_id: Option<String>,
    pub service_name: Option<String>,
    /// The CLI prints lowercase (`available`, `pending`, …); compare case-insensitively.
    pub state: Option<String>,
    /// The policy as the API returns it: a JSON document inside a string.
    pub policy_document: Option<String>,
    pub route_table_ids: Option<Vec<String>>,
    pub subnet_ids: Option<Vec<String>>,
    pub groups: Option<Vec<SecurityGroupIdentifier>>,
    pub private_dns_enabled: Option<bool>,
    pub network_interface_ids: Option<Vec<String>>,
    pub owner_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupIdentifier {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
}

/// `describe-security-groups` → `SecurityGroups[]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
    pub description: Option<String>,
    pub ip_permissions: Option<Vec<IpPermission>>,
    pub ip_permissions_egress: Option<Vec<IpPermission>>,
}

/// One security group rule set: a protocol, a port range and the peers it applies to.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    /// `-1` (all), `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number (`6` is TCP).
    pub ip_protocol: Option<String>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ip_ranges: Vec<IpRange>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ipv6_ranges: Vec<Ipv6Range>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub prefix_list_ids: Vec<PrefixListIdRef>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
    /// Set by the template reader when part of the rule (protocol, ports or peer) is a template
    /// expression that cannot be resolved: the rule might let anything through.
    #[serde(skip)]
    pub unresolved: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    pub cidr_ip: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    pub cidr_ipv6: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListIdRef {
    pub prefix_list_id: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct UserIdGroupPair {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub user_id: Option<String>,
    pub vpc_id: Option<String>,
    pub vpc_peering_connection_id: Option<String>,
    pub peering_status: Option<String>,
    pub description: Option<String>,
}

/// `describe-nat-gateways` → `NatGateways[]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct NatGateway {
    pub nat_gateway_id: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    /// `pending` | `failed` | `available` | `deleting` | `deleted`
    pub state: Option<String>,
    /// `public` | `private`; absent in older outputs, where every NAT gateway was public.
    pub connectivity_type: Option<String>,
}

/// `describe-managed-prefix-lists` → `PrefixLists[]`. The entries are not part of that
/// output: `Entries` (from `get-managed-prefix-list-entries`) or `Cidrs` (the older
/// `describe-prefix-lists`) may be added to an item; absent means the entries are not known.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixList {
    pub prefix_list_id: Option<String>,
    pub prefix_list_name: Option<String>,
    pub address_family: Option<String>,
    pub state: Option<String>,
    pub owner_id: Option<String>,
    pub entries: Option<Vec<PrefixListEntry>>,
    pub cidrs: Option<Vec<String>>,
}

impl PrefixList {
    /// The CIDRs of the list, when the state has them.
    pub fn known_cidrs(&self) -> Option<Vec<&str>> {
        if let Some(entries) = &self.entries {
            return Some(entries.iter().filter_map(|e| e.cidr.as_deref()).collect());
        }
        self.cidrs
            .as_ref()
            .map(|c| c.iter().map(String::as_str).collect())
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListEntry {
    pub cidr: Option<String>,
    pub description: Option<String>,
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// The route table that applies to a subnet, and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SubnetRouteTable<'a> {
    pub table: &'a RouteTable,
    /// True when the subnet is associated explicitly; false when it falls back to the VPC's
    /// main route table.
    pub explicit: bool,
}

/// Lookups by id over an [`Ec2State`], built once per state. Every lookup is three-valued:
/// a section that is absent gives `Unknown`, an id missing from a present section `Absent`.
#[derive(Debug, Default)]
pub struct Ec2Index<'a> {
    state: Option<&'a Ec2State>,
    /// The network a template defines, layered over `state` (ids are disjoint: logical IDs or
    /// addresses). For the VPCs it defines, the template is the whole truth.
    template: Option<&'a Ec2State>,
    template_vpcs: HashSet<&'a str>,
    vpcs: HashMap<&'a str, &'a Vpc>,
    subnets: HashMap<&'a str, &'a Subnet>,
    route_tables: HashMap<&'a str, &'a RouteTable>,
    explicit_route_table: HashMap<&'a str, &'a RouteTable>,
    main_route_table: HashMap<&'a str, &'a RouteTable>,
    /// VPCs with a route table whose `Associations` are absent: a subnet without an explicit
    /// association there may still have one we cannot see.
    vpcs_with_unlisted_associations: HashSet<&'a str>,
    endpoints: HashMap<&'a str, &'a VpcEndpoint>,
    endpoints_by_vpc: HashMap<&'a str, Vec<&'a VpcEndpoint>>,
    security_groups: HashMap<&'a str, &'a SecurityGroup>,
    default_security_group: HashMap<&'a str, &'a SecurityGroup>,
    nat_gateways: HashMap<&'a str, &'a NatGateway>,
    prefix_lists: HashMap<&'a str, &'a PrefixList>,
    prefix_lists_by_name: HashMap<&'a str, &'a PrefixList>,
    dns_support: HashMap<&'a str, bool>,
    dns_hostnames: HashMap<&'a str, bool>,
}

impl<'a> Ec2Index<'a> {
    /// Indexes a state. Items without an id are not indexed; of two items with the same id
    /// the first wins.
    pub fn new(state: &'a Ec2State) -> Ec2Index<'a> {
        Ec2Index::layered(None, Some(state))
    }

    /// Indexes a template's network over a state's (either may be missing). Template items
    /// come first, so on a clash of ids the template's wins.
    pub fn layered(template: Option<&'a Ec2State>, state: Option<&'a Ec2State>) -> Ec2Index<'a> {
        let mut index = Ec2Index {
            state,
            template,
            ..Ec2Index::default()
        };
        if let Some(template) = template {
            index.template_vpcs = template
                .vpcs
                .iter()
                .flatten()
                .filter_map(|v| v.vpc_id.as_deref())
                .collect();
        }
        for layer in template.into_iter().chain(state) {
            index.add_layer(layer);
        }
        index
    }

    fn add_layer(&mut self, state: &'a Ec2State) {
        let index = self;
        for vpc in state.vpcs.iter().flatten() {
            if let Some(id) = vpc.vpc_id.as_deref() {
                index.vpcs.entry(id).or_insert(vpc);
            }
        }
        for subnet in state.subnets.iter().flatten() {
            if let Some(id) = subnet.subnet_id.as_deref() {
                index.subnets.entry(id).or_insert(subnet);
            }
        }
        for table in state.route_tables.iter().flatten() {
            index.add_route_table(table);
        }
        for endpoint in state.vpc_endpoints.iter().flatten() {
            if let Some(id) = endpoint.vpc_endpoint_id.as_deref() {
                index.endpoints.entry(id).or_insert(endpoint);
            }
            if let Some(vpc) = endpoint.vpc_id.as_deref() {
                index
                    .endpoints_by_vpc
                    .entry(vpc)
                    .or_default()
                    .push(endpoint);
            }
        }
        for group in state.security_groups.iter().flatten() {
            if let Some(id) = group.group_id.as_deref() {
                index.security_groups.entry(id).or_insert(group);
            }
            if let (Some(vpc), Some("default")) =
                (group.vpc_id.as_deref(), group.group_name.as_deref())
            {
                index.default_security_group.entry(vpc).or_insert(group);
            }
        }
        for nat in state.nat_gateways.iter().flatten() {
            if let Some(id) = nat.nat_gateway_id.as_deref() {
                index.nat_gateways.entry(id).or_insert(nat);
            }
        }
        for list in state.prefix_lists.iter().flatten() {
            if let Some(id) = list.prefix_list_id.as_deref() {
                index.prefix_lists.entry(id).or_insert(list);
            }
            if let Some(name) = list.prefix_list_name.as_deref() {
                index.prefix_lists_by_name.entry(name).or_insert(list);
            }
        }
        for attribute in state.vpc_attributes.iter().flatten() {
            let Some(vpc) = attribute.vpc_id.as_deref() else {
                continue;
            };
            if let Some(value) = attribute.enable_dns_support.as_ref().and_then(|v| v.value) {
                index.dns_support.entry(vpc).or_insert(value);
            }
            if let Some(value) = attribute
                .enable_dns_hostnames
                .as_ref()
                .and_then(|v| v.value)
            {
                index.dns_hostnames.entry(vpc).or_insert(value);
            }
        }
    }

    /// Whether the template defines this VPC (and so every endpoint, route table and group in it).
    pub fn is_template_vpc(&self, vpc_id: &str) -> bool {
        self.template_vpcs.contains(vpc_id)
    }

    /// The template layer, if any.
    pub fn template(&self) -> Option<&'a Ec2State> {
        self.template
    }

    fn add_route_table(&mut self, table: &'a RouteTable) {
        if let Some(id) = table.route_table_id.as_deref() {
            self.route_tables.entry(id).or_insert(table);
        }
        let Some(associations) = &table.associations else {
            if let Some(vpc) = table.vpc_id.as_deref() {
                self.vpcs_with_unlisted_associations.insert(vpc);
            }
            return;
        };
        // An association the state lists for a table that the template also defines (a plan
        // updating it) leads to the template's copy: it is the table after the deploy.
        let table = table
            .route_table_id
            .as_deref()
            .and_then(|id| self.route_tables.get(id).copied())
            .unwrap_or(table);
        for association in associations.iter().filter(|a| a.is_in_effect()) {
            if let Some(subnet) = association.subnet_id.as_deref() {
                self.explicit_route_table.entry(subnet).or_insert(table);
            }
            if association.main == Some(true)
                && let Some(vpc) = table.vpc_id.as_deref()
            {
                self.main_route_table.entry(vpc).or_insert(table);
            }
        }
    }

    /// The state this index was built from.
    pub fn state(&self) -> Option<&'a Ec2State> {
        self.state
    }

    pub fn vpc(&self, id: &str) -> Lookup<&'a Vpc> {
        find(self.section(|s| s.vpcs.is_some()), &self.vpcs, id, "Vpcs")
    }

    pub fn subnet(&self, id: &str) -> Lookup<&'a Subnet> {
        find(
            self.section(|s| s.subnets.is_some()),
            &self.subnets,
            id,
            "Subnets",
        )
    }

    pub fn route_table(&self, id: &str) -> Lookup<&'a RouteTable> {
        find(
            self.section(|s| s.route_tables.is_some()),
            &self.route_tables,
            id,
            "RouteTables",
        )
    }

    pub fn vpc_endpoint(&self, id: &str) -> Lookup<&'a VpcEndpoint> {
        find(
            self.section(|s| s.vpc_endpoints.is_some()),
            &self.endpoints,
            id,
            "VpcEndpoints",
        )
    }

    pub fn security_group(&self, id: &str) -> Lookup<&'a SecurityGroup> {
        find(
            self.section(|s| s.security_groups.is_some()),
            &self.security_groups,
            id,
            "SecurityGroups",
        )
    }

    pub fn nat_gateway(&self, id: &str) -> Lookup<&'a NatGateway> {
        find(
            self.section(|s| s.nat_gateways.is_some()),
            &self.nat_gateways,
            id,
            "NatGateways",
        )
    }

    pub fn prefix_list(&self, id: &str) -> Lookup<&'a PrefixList> {
        find(
            self.section(|s| s.prefix_lists.is_some()),
            &self.prefix_lists,
            id,
            "PrefixLists",
        )
    }

    /// A prefix list by name, e.g. `com.amazonaws.us-east-1.s3`.
    pub fn prefix_list_named(&self, name: &str) -> Lookup<&'a PrefixList> {
        find(
            self.section(|s| s.prefix_lists.is_some()),
            &self.prefix_lists_by_name,
            name,
            "PrefixLists",
        )
    }

    /// Every endpoint of a VPC (an empty list when the section is known and has none).
    pub fn vpc_endpoints_in(&self, vpc_id: &str) -> Lookup<&[&'a VpcEndpoint]> {
        if !self.is_template_vpc(vpc_id) && !self.section(|s| s.vpc_endpoints.is_some()) {
            return Lookup::unknown("the state has no ec2.VpcEndpoints");
        }
        Lookup::Found(
            self.endpoints_by_vpc
                .get(vpc_id)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        )
    }

    /// The VPC's security group named `default` (used when a task names no security group).
    pub fn default_security_group(&self, vpc_id: &str) -> Lookup<&'a SecurityGroup> {
        if !self.is_template_vpc(vpc_id) && !self.section(|s| s.security_groups.is_some()) {
            return Lookup::unknown("the state has no ec2.SecurityGroups");
        }
        match self.default_security_group.get(vpc_id) {
            Some(group) => Lookup::Found(group),
            // Every VPC has one: not finding it means the state is partial.
            None => Lookup::unknown(format!(
                "the default security group of {vpc_id} is not in ec2.SecurityGroups"
            )),
        }
    }

    /// The route table that applies to a subnet: its explicit association, else the main
    /// route table of its VPC.
    pub fn route_table_for_subnet(&self, subnet_id: &str) -> Lookup<SubnetRouteTable<'a>> {
        if let Some(table) = self.explicit_route_table.get(subnet_id) {
            return Lookup::Found(SubnetRouteTable {
                table,
                explicit: true,
            });
        }
        let template_subnet = self
            .subnets
            .get(subnet_id)
            .and_then(|s| s.vpc_id.as_deref())
            .is_some_and(|vpc| self.is_template_vpc(vpc));
        if !template_subnet && !self.section(|s| s.route_tables.is_some()) {
            return Lookup::unknown("the state has no ec2.RouteTables");
        }
        let vpc_id = match self.subnet(subnet_id) {
            Lookup::Found(subnet) => match subnet.vpc_id.as_deref() {
                Some(vpc) => vpc,
                None => return Lookup::unknown(format!("{subnet_id} has no VpcId in ec2.Subnets")),
            },
            Lookup::Absent => {
                return Lookup::unknown(format!(
                    "{subnet_id} has no explicit route table association and is not in ec2.Subnets, so its VPC's main route table cannot be found"
                ));
            }
            Lookup::Unknown(reason) => {
                return Lookup::unknown(format!(
                    "{subnet_id} has no explicit route table association and its VPC is not known ({reason})"
                ));
            }
        };
        if self.vpcs_with_unlisted_associations.contains(vpc_id) {
            return Lookup::unknown(format!(
                "a route table of {vpc_id} has no Associations in the state, so the one that applies to {subnet_id} cannot be told"
            ));
        }
        match self.main_route_table.get(vpc_id) {
            Some(table) => Lookup::Found(SubnetRouteTable {
                table,
                explicit: false,
            }),
            // Every VPC has a main route table: not finding it means the state is partial.
            None => Lookup::unknown(format!(
                "{subnet_id} has no explicit route table association and the main route table of {vpc_id} is not in ec2.RouteTables"
            )),
        }
    }

    /// `enableDnsSupport` of a VPC.
    pub fn dns_support(&self, vpc_id: &str) -> Lookup<bool> {
        self.dns_attribute(&self.dns_support, vpc_id, "enableDnsSupport")
    }

    /// `enableDnsHostnames` of a VPC.
    pub fn dns_hostnames(&self, vpc_id: &str) -> Lookup<bool> {
        self.dns_attribute(&self.dns_hostnames, vpc_id, "enableDnsHostnames")
    }

    fn dns_attribute(
        &self,
        map: &HashMap<&'a str, bool>,
        vpc_id: &str,
        name: &str,
    ) -> Lookup<bool> {
        if let Some(value) = map.get(vpc_id) {
            return Lookup::Found(*value);
        }
        if self.is_template_vpc(vpc_id) {
            return Lookup::unknown(format!(
                "{name} of {vpc_id} is a template expression that cannot be resolved"
            ));
        }
        if !self.section(|s| s.vpc_attributes.is_some()) {
            return Lookup::unknown("the state has no ec2.VpcAttributes");
        }
        match map.get(vpc_id) {
            Some(value) => Lookup::Found(*value),
            // Every VPC has the attribute: not finding it means it was not collected.
            None => Lookup::unknown(format!("{name} of {vpc_id} is not in ec2.VpcAttributes")),
        }
    }

    fn section(&self, present: impl Fn(&Ec2State) -> bool) -> bool {
        self.state.is_some_and(present)
    }
}

fn find<'a, T>(
    section_present: bool,
    map: &HashMap<&'a str, &'a T>,
    id: &str,
    section: &str,
) -> Lookup<&'a T> {
    // A template item is found whether or not the state file has the section.
    if let Some(item) = map.get(id) {
        return Lookup::Found(item);
    }
    if !section_present {
        return Lookup::unknown(format!("the state has no ec2.{section}"));
    }
    match map.get(id) {
        Some(item) => Lookup::Found(item),
        None => Lookup::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "State": "available", "IsDefault": false,
                "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16", "AssociationId": "a"}]}],
      "VpcAttributes": [{"VpcId": "vpc-1", "EnableDnsSupport": {"Value": true}},
                        {"VpcId": "vpc-1", "EnableDnsHostnames": {"Value": false}}],
      "Subnets": [{"SubnetId": "subnet-a", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"},
                  {"SubnetId": "subnet-b", "VpcId": "vpc-1", "CidrBlock": "10.0.2.0/24"}],
      "RouteTables": [
        {"RouteTableId": "rtb-main", "VpcId": "vpc-1",
         "Associations": [{"Main": true, "RouteTableAssociationId": "rtbassoc-1", "RouteTableId": "rtb-main",
                           "AssociationState": {"State": "associated"}}],
         "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active", "Origin": "CreateRouteTable"}]},
        {"RouteTableId": "rtb-a", "VpcId": "vpc-1",
         "Associations": [{"Main": false, "SubnetId": "subnet-a", "RouteTableId": "rtb-a"}],
         "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"},
                    {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-s3", "State": "active"}]}
      ],
      "VpcEndpoints": [{"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "VpcId": "vpc-1",
                        "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available",
                        "PolicyDocument": "{\"Statement\":[]}", "RouteTableIds": ["rtb-a"], "SubnetIds": [],
                        "Groups": [], "PrivateDnsEnabled": false}],
      "SecurityGroups": [{"GroupId": "sg-1", "GroupName": "default", "VpcId": "vpc-1",
                          "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "1"}],
                                             "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": []}],
                          "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                   "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "PrefixListIds": null}]}],
      "NatGateways": [{"NatGatewayId": "nat-1", "SubnetId": "subnet-b", "VpcId": "vpc-1", "State": "available",
                       "ConnectivityType": "public"}],
      "PrefixLists": [{"PrefixListId": "pl-63a5400a", "PrefixListName": "com.amazonaws.us-east-1.s3", "AddressFamily": "IPv4"}],
      "SomethingElse": 1
    }"#;

    fn sample() -> Ec2State {
        serde_json::from_str(SAMPLE).unwrap()
    }

    #[test]
    fn reads_cli_field_names() {
        let state = sample();
        let tables = state.route_tables.as_ref().unwrap();
        assert_eq!(
            tables[1].routes.as_ref().unwrap()[0]
                .nat_gateway_id
                .as_deref(),
            Some("nat-1")
        );
        let endpoint = &state.vpc_endpoints.as_ref().unwrap()[0];
        assert_eq!(
            endpoint.route_table_ids.as_deref(),
            Some(&["rtb-a".to_string()][..])
        );
        assert_eq!(
            endpoint.policy_document.as_deref(),
            Some("{\"Statement\":[]}")
        );
        let group = &state.security_groups.as_ref().unwrap()[0];
        let egress = &group.ip_permissions_egress.as_ref().unwrap()[0];
        assert_eq!((egress.from_port, egress.to_port), (Some(443), Some(443)));
        assert!(
            egress.prefix_list_ids.is_empty(),
            "null list reads as empty"
        );
        assert_eq!(
            state.nat_gateways.as_ref().unwrap()[0]
                .connectivity_type
                .as_deref(),
            Some("public")
        );
    }

    #[test]
    fn absent_section_is_unknown_and_empty_section_is_absent() {
        let empty: Ec2State = serde_json::from_str(r#"{"Subnets": []}"#).unwrap();
        let index = Ec2Index::new(&empty);
        assert!(index.subnet("subnet-a").is_absent());
        assert!(index.security_group("sg-1").is_unknown());
        assert!(index.vpc_endpoints_in("vpc-1").is_unknown());
        let known_none: Ec2State = serde_json::from_str(r#"{"VpcEndpoints": []}"#).unwrap();
        let index = Ec2Index::new(&known_none);
        assert_eq!(
            index.vpc_endpoints_in("vpc-1").found().map(|e| e.len()),
            Some(0)
        );
    }

    #[test]
    fn explicit_association_then_main_table() {
        let state = sample();
        let index = Ec2Index::new(&state);
        let a = index.route_table_for_subnet("subnet-a").found().unwrap();
        assert_eq!(
            (a.table.route_table_id.as_deref(), a.explicit),
            (Some("rtb-a"), true)
        );
        let b = index.route_table_for_subnet("subnet-b").found().unwrap();
        assert_eq!(
            (b.table.route_table_id.as_deref(), b.explicit),
            (Some("rtb-main"), false)
        );
        // Not in Subnets and no explicit association: its VPC (and main table) cannot be known.
        assert!(index.route_table_for_subnet("subnet-zzz").is_unknown());
    }

    #[test]
    fn disassociated_association_is_ignored() {
        let mut state = sample();
        let tables = state.route_tables.as_mut().unwrap();
        tables[1].associations.as_mut().unwrap()[0].association_state = Some(AssociationState {
            state: Some("disassociated".into()),
        });
        let index = Ec2Index::new(&state);
        let a = index.route_table_for_subnet("subnet-a").found().unwrap();
        assert_eq!(a.table.route_table_id.as_deref(), Some("rtb-main"));
    }

    #[test]
    fn missing_main_table_or_unlisted_associations_is_unknown() {
        let mut state = sample();
        state.route_tables.as_mut().unwrap().remove(0);
        let index = Ec2Index::new(&state);
        assert!(index.route_table_for_subnet("subnet-b").is_unknown());

        let mut state = sample();
        state.route_tables.as_mut().unwrap()[1].associations = None;
        let index = Ec2Index::new(&state);
        assert!(index.route_table_for_subnet("subnet-a").is_unknown());
    }

    #[test]
    fn dns_attributes_from_separate_items() {
        let state = sample();
        let index = Ec2Index::new(&state);
        assert_eq!(index.dns_support("vpc-1"), Lookup::Found(true));
        assert_eq!(index.dns_hostnames("vpc-1"), Lookup::Found(false));
        assert!(index.dns_support("vpc-2").is_unknown());
    }

    #[test]
    fn other_lookups() {
        let state = sample();
        let index = Ec2Index::new(&state);
        assert!(index.nat_gateway("nat-1").is_found());
        assert!(index.nat_gateway("nat-2").is_absent());
        assert!(index.default_security_group("vpc-1").is_found());
        assert!(index.default_security_group("vpc-2").is_unknown());
        assert!(
            index
                .prefix_list_named("com.amazonaws.us-east-1.s3")
                .is_found()
        );
        assert!(
            index
                .prefix_list("pl-63a5400a")
                .found()
                .unwrap()
                .known_cidrs()
                .is_none()
        );
        assert!(index.vpc("vpc-1").is_found());
        assert_eq!(
            index.vpc_endpoints_in("vpc-1").found().map(|e| e.len()),
            Some(1)
        );
    }

    #[test]
    fn wrong_types_are_an_error_not_a_panic() {
        assert!(serde_json::from_str::<Ec2State>(r#"{"Subnets": {"SubnetId": 1}}"#).is_err());
        assert!(
            serde_json::from_str::<Ec2State>(
                r#"{"SecurityGroups": [{"IpPermissions": [{"FromPort": "x"}]}]}"#
            )
            .is_err()
        );
    }
}
