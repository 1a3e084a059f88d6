//! Network state from the resources of the template or plan being checked: CloudFormation
//! `AWS::EC2::*` resources and their Terraform plan equivalents, read into the same
//! [`Ec2State`] shape the state files use, so that one reachability engine decides for both.
//!
//! Template resources have no real ids: a resource's id is its logical ID (CloudFormation) or
//! address (Terraform), and references to it (`!Ref PrivateSubnet1`, `aws_subnet.a.id`) resolve
//! to that id. The template's network is layered over the state files' (`Ec2Index::layered`):
//! ids are disjoint, and for the VPCs the template defines, the template is the whole truth
//! (their endpoints, route tables and groups are the ones it declares).
//!
//! What CloudFormation and the EC2 API do without being asked is made explicit here: every
//! VPC gets a main route table with only the local route (`<Vpc>.MainRouteTable`) and a default
//! security group (`<Vpc>.DefaultSecurityGroup`, the `GetAtt` attribute of that name);
//! `EnableDnsSupport` defaults to true and `EnableDnsHostnames` to false; a CloudFormation
//! security group with no egress rule keeps the default allow-all egress (Terraform removes it);
//! a VPC endpoint without a policy has the full-access default; a template endpoint is
//! `available`. A value that is a template expression that cannot be resolved is left unknown
//! with the reason: a route target (`TemplateRouteTarget::Unresolved`), a security group rule
//! (`IpPermission::unresolved`), an endpoint's service name (any service, so every lookup in
//! its VPC is unknown), a field that is simply absent.
//!
//! The ECS services of the template (`AWS::ECS::Service`, `aws_ecs_service`) are read too:
//! they say where a task definition of the same document runs (see `net::placement`).

use std::collections::{HashMap, HashSet};

use crate::model::{Document, Format, Resource};
use crate::parse::{Node, NodeKind};
use crate::settings::Settings;
use crate::span::Span;
use crate::state::ec2::{
    AttributeBooleanValue, Ec2State, IpPermission, IpRange, Ipv6Range, NatGateway, PrefixList,
    PrefixListEntry, PrefixListIdRef, Route, RouteTable, RouteTableAssociation, SecurityGroup,
    SecurityGroupIdentifier, Subnet, TemplateRouteTarget, UserIdGroupPair, Vpc, VpcAttribute,
    VpcEndpoint,
};

/// The default policy of a VPC endpoint created without one (full access).
pub const DEFAULT_ENDPOINT_POLICY: &str =
    r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// A value read from the template: known, absent, or an expression that cannot be resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<T> {
    Absent,
    Known(T),
    Unknown(String),
}

impl<T> Value<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Value::Known(t) => Some(t),
            _ => None,
        }
    }
}

/// An ECS service the template defines.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateService {
    /// Logical ID or address.
    pub id: String,
    pub id_span: Span,
    /// The task definition it runs: the logical ID / address it references, or a literal ARN or
    /// family.
    pub task_definition: Value<String>,
    pub launch_type: Value<String>,
    /// Capacity provider names, when a strategy is given.
    pub capacity_providers: Value<Vec<String>>,
    pub platform_version: Value<String>,
    pub subnets: Value<Vec<String>>,
    pub subnets_span: Option<Span>,
    pub security_groups: Value<Vec<String>>,
    pub security_groups_span: Option<Span>,
    /// true for ENABLED.
    pub assign_public_ip: Value<bool>,
    /// Whether the service has a network configuration block at all.
    pub has_network_configuration: bool,
    pub cluster: Value<String>,
    pub service_name: Value<String>,
}

/// The network the template or plan defines.
#[derive(Debug, Default)]
pub struct TemplateNet {
    /// The template's network resources as an `ec2` state section (ids are logical IDs or
    /// addresses). Every list is present: the template knows its own resources.
    pub ec2: Ec2State,
    /// Whether the template defines any network resource (VPC, subnet, endpoint, group, …).
    pub has_network: bool,
    /// Where each resource is declared (logical ID or address), for secondary labels.
    pub spans: HashMap<String, Span>,
    pub services: Vec<TemplateService>,
    /// Network resources whose CloudFormation `Condition` cannot be evaluated: `ec2` takes
    /// them all as created; each variant is the network under other assumptions, so that a
    /// verdict that differs between them is reported as unknown.
    pub uncertain_conditions: Vec<String>,
    pub variants: Vec<Variant>,
}

/// The template's network under assumptions about conditions that cannot be evaluated.
#[derive(Debug, Default)]
pub struct Variant {
    /// Condition name → assumed value.
    pub assumptions: Vec<(String, bool)>,
    pub ec2: Ec2State,
}

/// At most this many unknown conditions are combined exhaustively; beyond, only "all
/// created" and "none created" are compared.
const MAX_COMBINED_CONDITIONS: usize = 3;

fn is_network(kind: &str) -> bool {
    kind.starts_with("AWS::EC2::")
}

impl TemplateNet {
    pub fn from_document(doc: &Document, _settings: &Settings) -> TemplateNet {
        let mut uncertain: Vec<String> = Vec::new();
        for r in doc.resources.iter().filter(|r| is_network(&r.kind)) {
            if let Some((name, None)) = &r.condition
                && !uncertain.contains(name)
            {
                uncertain.push(name.clone());
            }
        }
        let all_true: Vec<(String, bool)> = uncertain.iter().map(|c| (c.clone(), true)).collect();
        let mut net = TemplateNet::read(doc, &all_true);
        let assumptions: Vec<Vec<(String, bool)>> = if uncertain.is_empty() {
            Vec::new()
        } else if uncertain.len() <= MAX_COMBINED_CONDITIONS {
            (1..(1u32 << uncertain.len()))
                .map(|bits| {
                    uncertain
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.clone(), bits & (1 << i) == 0))
                        .collect()
                })
                .collect()
        } else {
            vec![uncertain.iter().map(|c| (c.clone(), false)).collect()]
        };
        net.variants = assumptions
            .into_iter()
            .map(|assumed| Variant {
                ec2: TemplateNet::read(doc, &assumed).ec2,
                assumptions: assumed,
            })
            .collect();
        net.uncertain_conditions = uncertain;
        net
    }

    /// Reads the template with these values for the conditions that cannot be evaluated.
    fn read(doc: &Document, assumed: &[(String, bool)]) -> TemplateNet {
        let exists = |r: &Resource| match &r.condition {
            None => true,
            Some((_, Some(value))) => *value,
            Some((name, None)) => assumed
                .iter()
                .find(|(n, _)| n == name)
                .is_none_or(|(_, v)| *v),
        };
        let mut reader = Reader {
            types: doc
                .resources
                .iter()
                .map(|r| (r.id.as_str(), r.kind.as_str()))
                .collect(),
            out: TemplateNet::default(),
            routes: Vec::new(),
            associations: Vec::new(),
            main_associations: Vec::new(),
            ingress: Vec::new(),
            egress: Vec::new(),
            endpoint_route_tables: Vec::new(),
            inline_egress: Vec::new(),
        };
        match doc.format {
            Format::CloudFormation => {
                for r in doc.resources.iter().filter(|r| exists(r)) {
                    reader.cfn(r);
                }
            }
            Format::TerraformPlan | Format::TerraformSource => {
                for r in &doc.resources {
                    reader.terraform(r);
                }
            }
            Format::TaskDefinitionJson => return TemplateNet::default(),
        }
        reader.finish(doc.format)
    }

    /// The resource's declaration, when the template defines it.
    pub fn span_of(&self, id: &str) -> Option<Span> {
        self.spans.get(id).copied()
    }
}

struct Reader<'d> {
    types: HashMap<&'d str, &'d str>,
    out: TemplateNet,
    /// (route table id, route) from separate route resources.
    routes: Vec<(String, Route)>,
    /// (route table id, subnet id) from association resources.
    associations: Vec<(String, String)>,
    /// (vpc id, route table id): Terraform main route table associations.
    main_associations: Vec<(String, String)>,
    /// (group id, rule) from separate rule resources.
    ingress: Vec<(String, IpPermission)>,
    egress: Vec<(String, IpPermission)>,
    /// (endpoint id, route table id) from endpoint association resources.
    endpoint_route_tables: Vec<(String, String)>,
    /// CloudFormation groups whose own `SecurityGroupEgress` lists rules.
    inline_egress: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Values

/// An id: a literal string, or the id of the template resource referenced.
fn id_value(node: Option<&Node>) -> Value<String> {
    let Some(node) = node else {
        return Value::Absent;
    };
    match &node.kind {
        NodeKind::Null => Value::Absent,
        NodeKind::String(s) if s.is_empty() => Value::Absent,
        NodeKind::String(s) => Value::Known(s.clone()),
        // The VPC's own default group and main table are resources of their own here.
        NodeKind::ResourceRef {
            id,
            attribute: Some(attribute),
        } if matches!(
            attribute.as_str(),
            "DefaultSecurityGroup" | "default_security_group_id"
        ) =>
        {
            Value::Known(format!("{id}.DefaultSecurityGroup"))
        }
        NodeKind::ResourceRef {
            id,
            attribute: Some(attribute),
        } if attribute == "main_route_table_id" => Value::Known(format!("{id}.MainRouteTable")),
        NodeKind::ResourceRef { id, .. } => Value::Known(id.clone()),
        NodeKind::Unresolved(why) => Value::Unknown(why.clone()),
        NodeKind::Number(n) => Value::Known(n.clone()),
        _ => Value::Unknown(format!("expected a string, found {}", node.type_name())),
    }
}

/// A string that must be literal (a CIDR, a service name, a protocol).
fn text_value(node: Option<&Node>) -> Value<String> {
    let Some(node) = node else {
        return Value::Absent;
    };
    match &node.kind {
        NodeKind::Null => Value::Absent,
        NodeKind::String(s) if s.is_empty() => Value::Absent,
        NodeKind::String(s) | NodeKind::Number(s) => Value::Known(s.clone()),
        NodeKind::Bool(b) => Value::Known(b.to_string()),
        NodeKind::Unresolved(why) => Value::Unknown(why.clone()),
        NodeKind::ResourceRef { id, attribute } => Value::Unknown(match attribute {
            Some(a) => format!("it is the `{a}` of `{id}`, known only at deploy time"),
            None => format!("it comes from the resource `{id}`, known only at deploy time"),
        }),
        _ => Value::Unknown(format!("expected a string, found {}", node.type_name())),
    }
}

fn bool_value(node: Option<&Node>) -> Value<bool> {
    match text_value(node) {
        Value::Known(s) if s.eq_ignore_ascii_case("true") => Value::Known(true),
        Value::Known(s) if s.eq_ignore_ascii_case("false") => Value::Known(false),
        Value::Known(s) => Value::Unknown(format!("`{s}` is not a boolean")),
        Value::Absent => Value::Absent,
        Value::Unknown(why) => Value::Unknown(why),
    }
}

fn int_value(node: Option<&Node>) -> Value<i64> {
    match text_value(node) {
        Value::Known(s) => match s.trim().parse::<i64>() {
            Ok(n) => Value::Known(n),
            Err(_) => Value::Unknown(format!("`{s}` is not a number")),
        },
        Value::Absent => Value::Absent,
        Value::Unknown(why) => Value::Unknown(why),
    }
}

/// A list of ids; a single id is taken as a list of one.
fn id_list(node: Option<&Node>) -> Value<Vec<String>> {
    let Some(node) = node else {
        return Value::Absent;
    };
    match &node.kind {
        NodeKind::Null => Value::Absent,
        NodeKind::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match id_value(Some(item)) {
                    Value::Known(id) => out.push(id),
                    Value::Absent => {}
                    Value::Unknown(why) => return Value::Unknown(why),
                }
            }
            Value::Known(out)
        }
        _ => id_value(Some(node)).map_list(),
    }
}

impl Value<String> {
    fn map_list(self) -> Value<Vec<String>> {
        match self {
            Value::Known(s) => Value::Known(vec![s]),
            Value::Absent => Value::Absent,
            Value::Unknown(why) => Value::Unknown(why),
        }
    }
}

fn text_list(node: Option<&Node>) -> Value<Vec<String>> {
    let Some(node) = node else {
        return Value::Absent;
    };
    match &node.kind {
        NodeKind::Null => Value::Absent,
        NodeKind::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match text_value(Some(item)) {
                    Value::Known(s) => out.push(s),
                    Value::Absent => {}
                    Value::Unknown(why) => return Value::Unknown(why),
                }
            }
            Value::Known(out)
        }
        _ => text_value(Some(node)).map_list(),
    }
}

/// A policy document: an object (CloudFormation) or a JSON string (Terraform), as JSON text.
fn policy_text(node: Option<&Node>) -> Value<String> {
    let Some(node) = node else {
        return Value::Absent;
    };
    match &node.kind {
        NodeKind::Null => Value::Absent,
        NodeKind::String(s) if s.trim().is_empty() => Value::Absent,
        NodeKind::String(s) => Value::Known(s.clone()),
        NodeKind::Object(_) => match to_json(node) {
            Ok(value) => Value::Known(value.to_string()),
            Err(why) => Value::Unknown(why),
        },
        NodeKind::Unresolved(why) => Value::Unknown(why.clone()),
        _ => Value::Unknown(format!(
            "the policy document is {}, not an object",
            node.type_name()
        )),
    }
}

/// A resolved node as JSON; fails on values that cannot be known.
fn to_json(node: &Node) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match &node.kind {
        NodeKind::Null => J::Null,
        NodeKind::Bool(b) => J::Bool(*b),
        NodeKind::Number(n) => serde_json::from_str(n).unwrap_or(J::String(n.clone())),
        NodeKind::String(s) => J::String(s.clone()),
        NodeKind::Array(items) => J::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        NodeKind::Object(members) => {
            let mut map = serde_json::Map::new();
            for m in members {
                map.insert(m.key.clone(), to_json(&m.value)?);
            }
            J::Object(map)
        }
        NodeKind::Unresolved(why) => {
            return Err(format!(
                "the policy contains a value that cannot be resolved: {why}"
            ));
        }
        NodeKind::ResourceRef { id, attribute } => {
            return Err(format!(
                "the policy uses {} of `{id}`, known only at deploy time",
                attribute.as_deref().unwrap_or("the id")
            ));
        }
    })
}

/// A Terraform nested block (a list of at most one object): its object.
fn block(node: Option<&Node>) -> Option<&Node> {
    let node = node?;
    match &node.kind {
        NodeKind::Array(items) => items.first(),
        NodeKind::Object(_) => Some(node),
        _ => None,
    }
}

fn set_unresolved(permission: &mut IpPermission, value: Value<impl Sized>, what: &str) {
    if let Value::Unknown(why) = value {
        permission
            .unresolved
            .get_or_insert(format!("the {what} of a rule is not known: {why}"));
    }
}

// ---------------------------------------------------------------------------------------------
// CloudFormation

impl<'d> Reader<'d> {
    fn kind_of(&self, id: &str) -> Option<&'d str> {
        self.types.get(id).copied()
    }

    fn declare(&mut self, r: &Resource) {
        self.out.spans.insert(r.id.clone(), r.id_span);
        self.out.has_network = true;
    }

    fn cfn(&mut self, r: &Resource) {
        let p = &r.properties;
        match r.kind.as_str() {
            "AWS::EC2::VPC" => {
                self.declare(r);
                let support = bool_value(p.get("EnableDnsSupport"));
                let hostnames = bool_value(p.get("EnableDnsHostnames"));
                self.vpc(
                    &r.id,
                    text_value(p.get("CidrBlock")),
                    support,
                    true,
                    hostnames,
                    false,
                );
            }
            "AWS::EC2::Subnet" => {
                self.declare(r);
                self.subnet(
                    &r.id,
                    id_value(p.get("VpcId")),
                    text_value(p.get("CidrBlock")),
                    text_value(p.get("AvailabilityZone")),
                    bool_value(p.get("MapPublicIpOnLaunch")),
                );
            }
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
                if let Value::Known(table) = table {
                    self.routes.push((table, route));
                }
            }
            "AWS::EC2::SubnetRouteTableAssociation" => {
                self.declare(r);
                if let (Value::Known(table), Value::Known(subnet)) =
                    (id_value(p.get("RouteTableId")), id_value(p.get("SubnetId")))
                {
                    self.associations.push((table, subnet));
                }
            }
            "AWS::EC2::InternetGateway" | "AWS::EC2::VPCGatewayAttachment" | "AWS::EC2::EIP" => {
                self.declare(r);
            }
            "AWS::EC2::NatGateway" => {
                self.declare(r);
                self.nat(
                    &r.id,
                    id_value(p.get("SubnetId")),
                    text_value(p.get("ConnectivityType")),
                );
            }
            "AWS::EC2::VPCEndpoint" => {
                self.declare(r);
                self.endpoint(
                    &r.id,
                    EndpointProps {
                        vpc: id_value(p.get("VpcId")),
                        service: text_value(p.get("ServiceName")),
                        kind: text_value(p.get("VpcEndpointType")),
                        private_dns: bool_value(p.get("PrivateDnsEnabled")),
                        subnets: id_list(p.get("SubnetIds")),
                        groups: id_list(p.get("SecurityGroupIds")),
                        route_tables: id_list(p.get("RouteTableIds")),
                        policy: policy_text(p.get("PolicyDocument")),
                        policy_default_when_unknown: false,
                    },
                );
            }
            "AWS::EC2::SecurityGroup" => {
                self.declare(r);
                let ingress = self.cfn_rules(p.get("SecurityGroupIngress"), "Source");
                let egress = self.cfn_rules(p.get("SecurityGroupEgress"), "Destination");
                if !matches!(&egress, Value::Known(list) if list.is_empty())
                    && egress != Value::Absent
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
                if let Value::Known(group) = id_value(p.get("GroupId")) {
                    let rule = self.cfn_rule(p, peer);
                    if list {
                        self.ingress.push((group, rule));
                    } else {
                        self.egress.push((group, rule));
                    }
                }
            }
            "AWS::EC2::PrefixList" => {
                self.declare(r);
                let entries = match p.get("Entries") {
                    Some(list) => {
                        let mut out = Vec::new();
                        let mut unknown = false;
                        for e in list.items() {
                            match text_value(e.get("Cidr")) {
                                Value::Known(c) => out.push(PrefixListEntry {
                                    cidr: Some(c),
                                    description: None,
                                }),
                                _ => unknown = true,
                            }
                        }
                        (!unknown && !list.is_unknown()).then_some(out)
                    }
                    None => Some(Vec::new()),
                };
                self.prefix_list(
                    &r.id,
                    text_value(p.get("PrefixListName")),
                    text_value(p.get("AddressFamily")),
                    entries,
                );
            }
            "AWS::ECS::Service" => {
                let network = p
                    .get("NetworkConfiguration")
                    .and_then(|n| n.get("AwsvpcConfiguration"));
                let capacity = p.get("CapacityProviderStrategy").map(|s| {
                    s.items()
                        .iter()
                        .map(|i| id_value(i.get("CapacityProvider")))
                        .collect::<Vec<_>>()
                });
                self.out.services.push(TemplateService {
                    id: r.id.clone(),
                    id_span: r.id_span,
                    task_definition: id_value(p.get("TaskDefinition")),
                    launch_type: text_value(p.get("LaunchType")),
                    capacity_providers: capacity_value(capacity),
                    platform_version: text_value(p.get("PlatformVersion")),
                    subnets: network.map_or(Value::Absent, |n| id_list(n.get("Subnets"))),
                    subnets_span: network.and_then(|n| n.get("Subnets")).map(|n| n.span),
                    security_groups: network
                        .map_or(Value::Absent, |n| id_list(n.get("SecurityGroups"))),
                    security_groups_span: network
                        .and_then(|n| n.get("SecurityGroups"))
                        .map(|n| n.span),
                    assign_public_ip: network.map_or(Value::Absent, |n| {
                        match text_value(n.get("AssignPublicIp")) {
                            Value::Known(v) if v.eq_ignore_ascii_case("ENABLED") => {
                                Value::Known(true)
                            }
                            Value::Known(v) if v.eq_ignore_ascii_case("DISABLED") => {
                                Value::Known(false)
                            }
                            Value::Known(v) => {
                                Value::Unknown(format!("`{v}` is not ENABLED or DISABLED"))
                            }
                            Value::Absent => Value::Absent,
                            Value::Unknown(why) => Value::Unknown(why),
                        }
                    }),
                    has_network_configuration: network.is_some(),
                    cluster: id_value(p.get("Cluster")),
                    service_name: text_value(p.get("ServiceName")),
                });
            }
            _ => {}
        }
    }

    fn cfn_rules(&self, node: Option<&Node>, peer: &str) -> Value<Vec<IpPermission>> {
        let Some(node) = node else {
            return Value::Absent;
        };
        match &node.kind {
            NodeKind::Array(items) => {
                Value::Known(items.iter().map(|rule| self.cfn_rule(rule, peer)).collect())
            }
            NodeKind::Unresolved(why) => Value::Unknown(why.clone()),
            _ => Value::Unknown(format!("the rules are {}, not a list", node.type_name())),
        }
    }

    /// One CloudFormation rule (inline or a separate resource): `peer` is `Source` for
    /// ingress, `Destination` for egress.
    fn cfn_rule(&self, rule: &Node, peer: &str) -> IpPermission {
        let mut permission = IpPermission::default();
        let protocol = text_value(rule.get("IpProtocol"));
        permission.ip_protocol = protocol.clone().known();
        set_unresolved(&mut permission, protocol, "protocol");
        let from = int_value(rule.get("FromPort"));
        let to = int_value(rule.get("ToPort"));
        permission.from_port = from.clone().known();
        permission.to_port = to.clone().known();
        set_unresolved(&mut permission, from, "port");
        set_unresolved(&mut permission, to, "port");
        let cidr = text_value(rule.get("CidrIp"));
        if let Value::Known(c) = &cidr {
            permission.ip_ranges.push(IpRange {
                cidr_ip: Some(c.clone()),
                description: None,
            });
        }
        set_unresolved(&mut permission, cidr, "CidrIp");
        if let Value::Known(c) = text_value(rule.get("CidrIpv6")) {
            permission.ipv6_ranges.push(Ipv6Range {
                cidr_ipv6: Some(c),
                description: None,
            });
        }
        let group = id_value(rule.get(&format!("{peer}SecurityGroupId")));
        if let Value::Known(g) = &group {
            permission.user_id_group_pairs.push(UserIdGroupPair {
                group_id: Some(g.clone()),
                ..UserIdGroupPair::default()
            });
        }
        set_unresolved(&mut permission, group, "security group");
        // A group named by name only (default VPC, EC2-Classic): its id is not known here.
        if let Value::Known(name) = text_value(rule.get(&format!("{peer}SecurityGroupName"))) {
            permission.unresolved.get_or_insert(format!(
                "a rule names security group `{name}` by name, whose id is not known here"
            ));
        }
        let list = id_value(rule.get(&format!("{peer}PrefixListId")));
        if let Value::Known(l) = &list {
            permission.prefix_list_ids.push(PrefixListIdRef {
                prefix_list_id: Some(l.clone()),
                description: None,
            });
        }
        set_unresolved(&mut permission, list, "prefix list");
        permission
    }
}

fn capacity_value(items: Option<Vec<Value<String>>>) -> Value<Vec<String>> {
    let Some(items) = items else {
        return Value::Absent;
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::Known(s) => out.push(s),
            Value::Absent => {
                return Value::Unknown(
                    "a capacity provider strategy item names no provider".into(),
                );
            }
            Value::Unknown(why) => return Value::Unknown(why),
        }
    }
    if out.is_empty() {
        Value::Absent
    } else {
        Value::Known(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform plans

impl Reader<'_> {
    fn terraform(&mut self, r: &Resource) {
        let p = &r.properties;
        match r.kind.as_str() {
            "aws_vpc" => {
                self.declare(r);
                self.vpc(
                    &r.id,
                    text_value(p.get("cidr_block")),
                    bool_value(p.get("enable_dns_support")),
                    true,
                    bool_value(p.get("enable_dns_hostnames")),
                    false,
                );
            }
            "aws_subnet" => {
                self.declare(r);
                self.subnet(
                    &r.id,
                    id_value(p.get("vpc_id")),
                    text_value(p.get("cidr_block")),
                    text_value(p.get("availability_zone")),
                    bool_value(p.get("map_public_ip_on_launch")),
                );
            }
            "aws_route_table" | "aws_default_route_table" => {
                self.declare(r);
                let vpc = if r.kind == "aws_default_route_table" {
                    // The VPC's main table, adopted: the table id is the VPC's default one. An
                    // update plan knows the VPC's id itself.
                    match p.get("vpc_id").and_then(Node::as_str) {
                        Some(vpc) => Value::Known(vpc.to_string()),
                        None => {
                            id_value(p.get("default_route_table_id")).map_vpc_of_default_table()
                        }
                    }
                } else {
                    id_value(p.get("vpc_id"))
                };
                self.route_table(&r.id, vpc.clone());
                if r.kind == "aws_default_route_table"
                    && let Value::Known(vpc) = vpc
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
                if let Value::Known(table) = id_value(p.get("route_table_id")) {
                    self.routes.push((table, route));
                }
            }
            "aws_route_table_association" => {
                self.declare(r);
                if let (Value::Known(table), Value::Known(subnet)) = (
                    id_value(p.get("route_table_id")),
                    id_value(p.get("subnet_id")),
                ) {
                    self.associations.push((table, subnet));
                }
            }
            "aws_main_route_table_association" => {
                self.declare(r);
                if let (Value::Known(vpc), Value::Known(table)) =
                    (id_value(p.get("vpc_id")), id_value(p.get("route_table_id")))
                {
                    self.main_associations.push((vpc, table));
                }
            }
            "aws_internet_gateway" | "aws_internet_gateway_attachment" | "aws_eip" => {
                self.declare(r);
            }
            "aws_nat_gateway" => {
                self.declare(r);
                self.nat(
                    &r.id,
                    id_value(p.get("subnet_id")),
                    text_value(p.get("connectivity_type")),
                );
            }
            "aws_vpc_endpoint" => {
                self.declare(r);
                self.endpoint(
                    &r.id,
                    EndpointProps {
                        vpc: id_value(p.get("vpc_id")),
                        service: text_value(p.get("service_name")),
                        kind: text_value(p.get("vpc_endpoint_type")),
                        private_dns: bool_value(p.get("private_dns_enabled")),
                        subnets: id_list(p.get("subnet_ids")),
                        groups: id_list(p.get("security_group_ids")),
                        route_tables: id_list(p.get("route_table_ids")),
                        policy: policy_text(p.get("policy")),
                        // `policy` is computed: unknown in a plan when the configuration does
                        // not set it, which means the default policy.
                        policy_default_when_unknown: true,
                    },
                );
            }
            "aws_vpc_endpoint_route_table_association" => {
                self.declare(r);
                if let (Value::Known(endpoint), Value::Known(table)) = (
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
                    Value::Known("default".to_string())
                } else {
                    text_value(p.get("name"))
                };
                self.group(&r.id, name, id_value(p.get("vpc_id")), ingress, egress);
            }
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                self.declare(r);
                let Value::Known(group) = id_value(p.get("security_group_id")) else {
                    return;
                };
                let mut permission = IpPermission::default();
                let protocol = text_value(p.get("ip_protocol"));
                permission.ip_protocol = protocol.clone().known();
                set_unresolved(&mut permission, protocol, "protocol");
                let all = permission.ip_protocol.as_deref() == Some("-1");
                let (from, to) = (int_value(p.get("from_port")), int_value(p.get("to_port")));
                if !all {
                    permission.from_port = from.clone().known();
                    permission.to_port = to.clone().known();
                    set_unresolved(&mut permission, from, "port");
                    set_unresolved(&mut permission, to, "port");
                }
                let cidr = text_value(p.get("cidr_ipv4"));
                if let Value::Known(c) = &cidr {
                    permission.ip_ranges.push(IpRange {
                        cidr_ip: Some(c.clone()),
                        description: None,
                    });
                }
                set_unresolved(&mut permission, cidr, "CIDR");
                let peer = id_value(p.get("referenced_security_group_id"));
                if let Value::Known(g) = &peer {
                    permission.user_id_group_pairs.push(UserIdGroupPair {
                        group_id: Some(g.clone()),
                        ..UserIdGroupPair::default()
                    });
                }
                set_unresolved(&mut permission, peer, "security group");
                let list = id_value(p.get("prefix_list_id"));
                if let Value::Known(l) = &list {
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
                let Value::Known(group) = id_value(p.get("security_group_id")) else {
                    return;
                };
                let permission = self.terraform_rule(p, &group, "source_security_group_id");
                match text_value(p.get("type")) {
                    Value::Known(t) if t == "ingress" => self.ingress.push((group, permission)),
                    Value::Known(t) if t == "egress" => self.egress.push((group, permission)),
                    _ => {}
                }
            }
            "aws_ec2_managed_prefix_list" => {
                self.declare(r);
                let entries = match p.get("entry") {
                    Some(list) if list.is_unknown() => None,
                    Some(list) => {
                        let cidrs: Vec<Value<String>> = list
                            .items()
                            .iter()
                            .map(|e| text_value(e.get("cidr")))
                            .collect();
                        cidrs
                            .into_iter()
                            .map(|c| {
                                c.known().map(|c| PrefixListEntry {
                                    cidr: Some(c),
                                    description: None,
                                })
                            })
                            .collect::<Option<Vec<_>>>()
                    }
                    None => Some(Vec::new()),
                };
                self.prefix_list(
                    &r.id,
                    text_value(p.get("name")),
                    text_value(p.get("address_family")),
                    entries,
                );
            }
            "aws_ecs_service" => {
                let network = block(p.get("network_configuration"));
                let capacity = p.get("capacity_provider_strategy").map(|s| {
                    s.items()
                        .iter()
                        .map(|i| id_value(i.get("capacity_provider")))
                        .collect::<Vec<_>>()
                });
                self.out.services.push(TemplateService {
                    id: r.id.clone(),
                    id_span: r.id_span,
                    task_definition: id_value(p.get("task_definition")),
                    launch_type: text_value(p.get("launch_type")),
                    capacity_providers: capacity_value(capacity),
                    platform_version: text_value(p.get("platform_version")),
                    subnets: network.map_or(Value::Absent, |n| id_list(n.get("subnets"))),
                    subnets_span: network.and_then(|n| n.get("subnets")).map(|n| n.span),
                    security_groups: network
                        .map_or(Value::Absent, |n| id_list(n.get("security_groups"))),
                    security_groups_span: network
                        .and_then(|n| n.get("security_groups"))
                        .map(|n| n.span),
                    // A boolean in Terraform, default false.
                    assign_public_ip: network
                        .map_or(Value::Absent, |n| bool_value(n.get("assign_public_ip"))),
                    has_network_configuration: network.is_some(),
                    cluster: id_value(p.get("cluster")),
                    service_name: text_value(p.get("name")),
                });
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

    fn terraform_rules(&self, node: Option<&Node>, group: &str) -> Value<Vec<IpPermission>> {
        let Some(node) = node else {
            return Value::Absent;
        };
        match &node.kind {
            NodeKind::Array(items) => Value::Known(
                items
                    .iter()
                    .map(|rule| self.terraform_rule(rule, group, "security_groups"))
                    .collect(),
            ),
            // Not in the configuration: Terraform creates the group without rules (it removes
            // the default egress rule); separate rule resources add theirs.
            NodeKind::Unresolved(why) if why.contains(crate::model::tfplan::NOT_CONFIGURED) => {
                Value::Known(Vec::new())
            }
            NodeKind::Unresolved(why) => Value::Unknown(why.clone()),
            NodeKind::Null => Value::Absent,
            _ => Value::Unknown(format!("the rules are {}, not a list", node.type_name())),
        }
    }

    /// An `ingress`/`egress` block or an `aws_security_group_rule`: protocol, ports, CIDR
    /// blocks, prefix lists, referenced groups (`groups_key`) and `self`.
    fn terraform_rule(&self, p: &Node, group: &str, groups_key: &str) -> IpPermission {
        let mut permission = IpPermission::default();
        let protocol = text_value(p.get("protocol"));
        let protocol = match protocol {
            // Terraform accepts names and "all"/"-1".
            Value::Known(s) if s == "all" || s == "-1" => Value::Known("-1".to_string()),
            other => other,
        };
        permission.ip_protocol = protocol.clone().known();
        set_unresolved(&mut permission, protocol, "protocol");
        let (from, to) = (int_value(p.get("from_port")), int_value(p.get("to_port")));
        permission.from_port = from.clone().known();
        permission.to_port = to.clone().known();
        set_unresolved(&mut permission, from, "port");
        set_unresolved(&mut permission, to, "port");
        let cidrs = text_list(p.get("cidr_blocks"));
        if let Value::Known(list) = &cidrs {
            permission.ip_ranges.extend(list.iter().map(|c| IpRange {
                cidr_ip: Some(c.clone()),
                description: None,
            }));
        }
        set_unresolved(&mut permission, cidrs, "CIDR blocks");
        let lists = id_list(p.get("prefix_list_ids"));
        if let Value::Known(list) = &lists {
            permission
                .prefix_list_ids
                .extend(list.iter().map(|l| PrefixListIdRef {
                    prefix_list_id: Some(l.clone()),
                    description: None,
                }));
        }
        set_unresolved(&mut permission, lists, "prefix lists");
        let groups = id_list(p.get(groups_key));
        if let Value::Known(list) = &groups {
            permission
                .user_id_group_pairs
                .extend(list.iter().map(|g| UserIdGroupPair {
                    group_id: Some(g.clone()),
                    ..UserIdGroupPair::default()
                }));
        }
        set_unresolved(&mut permission, groups, "security groups");
        if bool_value(p.get("self")) == Value::Known(true) {
            permission.user_id_group_pairs.push(UserIdGroupPair {
                group_id: Some(group.to_string()),
                ..UserIdGroupPair::default()
            });
        }
        permission
    }
}

impl Value<String> {
    /// `aws_default_route_table.default_route_table_id` is usually `aws_vpc.x.default_route_table_id`:
    /// the VPC is the resource referenced.
    fn map_vpc_of_default_table(self) -> Value<String> {
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Shared builders

struct EndpointProps {
    vpc: Value<String>,
    service: Value<String>,
    kind: Value<String>,
    private_dns: Value<bool>,
    subnets: Value<Vec<String>>,
    groups: Value<Vec<String>>,
    route_tables: Value<Vec<String>>,
    policy: Value<String>,
    policy_default_when_unknown: bool,
}

impl Reader<'_> {
    fn vpc(
        &mut self,
        id: &str,
        cidr: Value<String>,
        support: Value<bool>,
        support_default: bool,
        hostnames: Value<bool>,
        hostnames_default: bool,
    ) {
        let ec2 = &mut self.out.ec2;
        ec2.vpcs.get_or_insert_default().push(Vpc {
            vpc_id: Some(id.to_string()),
            cidr_block: cidr.clone().known(),
            state: Some("available".into()),
            ..Vpc::default()
        });
        let attribute = |value: Value<bool>, default: bool| match value {
            Value::Known(b) => Some(AttributeBooleanValue { value: Some(b) }),
            Value::Absent => Some(AttributeBooleanValue {
                value: Some(default),
            }),
            // Left out: the index says it is an expression that cannot be resolved.
            Value::Unknown(_) => None,
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
        if let Value::Known(cidr) = cidr {
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

    fn subnet(
        &mut self,
        id: &str,
        vpc: Value<String>,
        cidr: Value<String>,
        zone: Value<String>,
        public_ip: Value<bool>,
    ) {
        self.out.ec2.subnets.get_or_insert_default().push(Subnet {
            subnet_id: Some(id.to_string()),
            vpc_id: vpc.known(),
            cidr_block: cidr.known(),
            availability_zone: zone.known(),
            map_public_ip_on_launch: public_ip.known(),
            state: Some("available".into()),
            ..Subnet::default()
        });
    }

    fn route_table(&mut self, id: &str, vpc: Value<String>) {
        self.out
            .ec2
            .route_tables
            .get_or_insert_default()
            .push(RouteTable {
                route_table_id: Some(id.to_string()),
                vpc_id: vpc.known(),
                associations: Some(Vec::new()),
                routes: Some(Vec::new()),
                owner_id: None,
            });
    }

    /// A route from its destination and its target fields (`(API field name, value)`).
    fn route(
        &self,
        cidr: Value<String>,
        ipv6: Value<String>,
        prefix_list: Value<String>,
        targets: &[(&str, Option<&Node>)],
    ) -> Route {
        let mut route = Route {
            destination_cidr_block: cidr.known(),
            destination_ipv6_cidr_block: ipv6.known(),
            destination_prefix_list_id: prefix_list.known(),
            state: Some("active".into()),
            ..Route::default()
        };
        for (field, node) in targets {
            let value = id_value(*node);
            let id = match value {
                Value::Absent => continue,
                Value::Unknown(why) => {
                    route.template_target = Some(TemplateRouteTarget::Unresolved(format!(
                        "its {field} is not known: {why}"
                    )));
                    break;
                }
                Value::Known(id) => id,
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

    fn nat(&mut self, id: &str, subnet: Value<String>, connectivity: Value<String>) {
        let vpc = None;
        self.out
            .ec2
            .nat_gateways
            .get_or_insert_default()
            .push(NatGateway {
                nat_gateway_id: Some(id.to_string()),
                subnet_id: subnet.known(),
                vpc_id: vpc,
                state: Some("available".into()),
                connectivity_type: match connectivity {
                    Value::Known(c) => Some(c),
                    Value::Absent => Some("public".into()),
                    Value::Unknown(_) => None,
                },
            });
    }

    fn endpoint(&mut self, id: &str, e: EndpointProps) {
        let kind = match e.kind {
            Value::Known(k) => Some(k),
            // CloudFormation and Terraform both default to a gateway endpoint.
            Value::Absent => Some("Gateway".to_string()),
            Value::Unknown(_) => None,
        };
        let interface = kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("Interface"));
        let vpc = e.vpc.known();
        let groups = match e.groups {
            Value::Known(list) if !list.is_empty() => Some(list),
            // No group: the VPC's default group, when the template defines the VPC.
            Value::Known(_) | Value::Absent => vpc
                .as_ref()
                .filter(|v| self.types.contains_key(v.as_str()))
                .map(|v| vec![format!("{v}.DefaultSecurityGroup")]),
            Value::Unknown(_) => None,
        };
        let policy = match e.policy {
            Value::Known(text) => Some(text),
            Value::Absent => Some(DEFAULT_ENDPOINT_POLICY.to_string()),
            Value::Unknown(why)
                if e.policy_default_when_unknown
                    && why.contains(crate::model::tfplan::NOT_CONFIGURED) =>
            {
                Some(DEFAULT_ENDPOINT_POLICY.to_string())
            }
            Value::Unknown(_) => None,
        };
        let empty_when_absent = |v: Value<Vec<String>>| match v {
            Value::Known(list) => Some(list),
            Value::Absent => Some(Vec::new()),
            Value::Unknown(_) => None,
        };
        self.out
            .ec2
            .vpc_endpoints
            .get_or_insert_default()
            .push(VpcEndpoint {
                vpc_endpoint_id: Some(id.to_string()),
                vpc_endpoint_type: kind,
                vpc_id: vpc,
                service_name: e.service.known(),
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
                    Value::Known(b) => Some(b),
                    // Both CloudFormation and Terraform default to false.
                    Value::Absent => Some(false),
                    Value::Unknown(_) => None,
                },
                network_interface_ids: None,
                owner_id: None,
            });
    }

    fn group(
        &mut self,
        id: &str,
        name: Value<String>,
        vpc: Value<String>,
        ingress: Value<Vec<IpPermission>>,
        egress: Value<Vec<IpPermission>>,
    ) {
        let rules = |v: Value<Vec<IpPermission>>| match v {
            Value::Known(list) => Some(list),
            Value::Absent => Some(Vec::new()),
            Value::Unknown(_) => None,
        };
        self.out
            .ec2
            .security_groups
            .get_or_insert_default()
            .push(SecurityGroup {
                group_id: Some(id.to_string()),
                group_name: name.known(),
                vpc_id: vpc.known(),
                owner_id: None,
                description: None,
                ip_permissions: rules(ingress),
                ip_permissions_egress: rules(egress),
            });
    }

    fn prefix_list(
        &mut self,
        id: &str,
        name: Value<String>,
        family: Value<String>,
        entries: Option<Vec<PrefixListEntry>>,
    ) {
        self.out
            .ec2
            .prefix_lists
            .get_or_insert_default()
            .push(PrefixList {
                prefix_list_id: Some(id.to_string()),
                prefix_list_name: name.known(),
                address_family: family.known(),
                state: None,
                owner_id: None,
                entries,
                cidrs: None,
            });
    }

    /// Attaches the separate resources (routes, associations, rules) to their tables and groups.
    fn finish(mut self, format: Format) -> TemplateNet {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::known::Lookup;
    use crate::model::recognize::{Recognized, ResolveSettings, read_document};
    use crate::source::SourceFile;
    use crate::state::ec2::Ec2Index;

    fn read(text: &str, name: &str) -> TemplateNet {
        let file = SourceFile::new(name.into(), name.into(), text.to_string());
        let settings = ResolveSettings {
            account: Some("111122223333".into()),
            region: Some("us-east-1".into()),
        };
        let Recognized::Document(doc) = read_document(&file, &settings) else {
            panic!("not a document");
        };
        TemplateNet::from_document(&doc, &Settings::default())
    }

    const CFN: &str = r#"
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Private: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}}
  Loose: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: !Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]]}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Table: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  Default: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref Table, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}}
  Assoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref Private, RouteTableId: !Ref Table}}
  Open: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, VpcId: !Ref Vpc}}
  Closed:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      VpcId: !Ref Vpc
      SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}]
  Extra: {Type: AWS::EC2::SecurityGroupEgress, Properties: {GroupId: !Ref Closed, IpProtocol: tcp, FromPort: 443, ToPort: 443, DestinationSecurityGroupId: !ImportValue shared-sg}}
  Dkr: {Type: AWS::EC2::VPCEndpoint, Properties: {VpcEndpointType: Interface, VpcId: !Ref Vpc, ServiceName: !Sub "com.amazonaws.${AWS::Region}.ecr.dkr", SubnetIds: [!Ref Private]}}
  Mystery: {Type: AWS::EC2::VPCEndpoint, Properties: {VpcId: !Ref Vpc, ServiceName: !ImportValue endpoint-service}}
  TaskDef: {Type: AWS::ECS::TaskDefinition, Properties: {Family: web, ContainerDefinitions: []}}
  Svc:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: !Ref TaskDef
      NetworkConfiguration: {AwsvpcConfiguration: {Subnets: [!Ref Private], SecurityGroups: [!GetAtt Vpc.DefaultSecurityGroup]}}
"#;

    #[test]
    fn cloudformation_defaults_are_explicit() {
        let net = read(CFN, "t.yaml");
        assert!(net.has_network);
        let index = Ec2Index::layered(Some(&net.ec2), None);
        assert_eq!(index.dns_support("Vpc"), Lookup::Found(true));
        assert_eq!(index.dns_hostnames("Vpc"), Lookup::Found(false));
        // The explicit association, then the synthesized main table with the local route only.
        let table = index.route_table_for_subnet("Private").found().unwrap();
        assert_eq!(table.table.route_table_id.as_deref(), Some("Table"));
        let routes = table.table.routes.as_ref().unwrap();
        assert_eq!(routes[0].gateway_id.as_deref(), Some("local"));
        assert_eq!(
            routes[1].template_target,
            Some(TemplateRouteTarget::InternetGateway("Igw".into()))
        );
        let main = index.route_table_for_subnet("Loose").found().unwrap();
        assert_eq!(
            main.table.route_table_id.as_deref(),
            Some("Vpc.MainRouteTable")
        );
        assert_eq!(
            index.subnet("Loose").found().unwrap().cidr_block,
            None,
            "Fn::Cidr is not resolved"
        );
        // No egress rule: the default allow-all. An inline rule removes it; a separate
        // resource with an unresolved peer is kept as unknown.
        let open = index.security_group("Open").found().unwrap();
        assert_eq!(open.ip_permissions_egress.as_ref().unwrap().len(), 1);
        let closed = index.security_group("Closed").found().unwrap();
        let egress = closed.ip_permissions_egress.as_ref().unwrap();
        assert_eq!(egress.len(), 2);
        assert!(egress[1].unresolved.is_some());
        assert!(index.default_security_group("Vpc").is_found());
        // Endpoints: private DNS off by default, the VPC default group, the default policy;
        // an unresolved service name is kept (the index makes its VPC's endpoints unknown).
        let dkr = index.vpc_endpoint("Dkr").found().unwrap();
        assert_eq!(dkr.private_dns_enabled, Some(false));
        assert_eq!(
            dkr.groups.as_ref().unwrap()[0].group_id.as_deref(),
            Some("Vpc.DefaultSecurityGroup")
        );
        assert_eq!(
            dkr.policy_document.as_deref(),
            Some(DEFAULT_ENDPOINT_POLICY)
        );
        assert_eq!(
            index.vpc_endpoint("Mystery").found().unwrap().service_name,
            None
        );
        let service = &net.services[0];
        assert_eq!(service.task_definition, Value::Known("TaskDef".into()));
        assert_eq!(service.subnets, Value::Known(vec!["Private".into()]));
        assert_eq!(
            service.security_groups,
            Value::Known(vec!["Vpc.DefaultSecurityGroup".into()])
        );
        // Ids not in the template, with no state: unknown.
        assert!(index.subnet("subnet-123").is_unknown());
        assert!(index.vpc_endpoints_in("vpc-123").is_unknown());
        assert!(index.vpc_endpoints_in("Vpc").is_found());
    }

    #[test]
    fn a_plain_task_definition_has_no_template_network() {
        let net = read(r#"{"family": "x", "containerDefinitions": []}"#, "td.json");
        assert!(!net.has_network && net.services.is_empty());
    }
}
