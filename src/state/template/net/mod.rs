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
//!
//! Files: `names` is the property table of the resources both formats describe alike, read
//! once by `shared`; `cloudformation` and `terraform` read what differs in shape (routes,
//! security group rules, Terraform's adopted default tables and groups); `build` turns what
//! was read into the `ec2` section; `values` reads single values (known, absent, unknown).

mod build;
mod cloudformation;
mod names;
mod shared;
mod terraform;
mod values;

use std::collections::HashMap;

use crate::base::known::Lookup;
use crate::model::{Document, Format, Resource};
use crate::settings::Settings;
use crate::span::Span;
use crate::state::ec2::{Ec2State, IpPermission, Route};

use build::EndpointProps;

/// The default policy of a VPC endpoint created without one (full access).
pub const DEFAULT_ENDPOINT_POLICY: &str =
    r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// An ECS service the template defines.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateService {
    /// Logical ID or address.
    pub id: String,
    pub id_span: Span,
    /// The task definition it runs: the logical ID / address it references, or a literal ARN or
    /// family.
    pub task_definition: Lookup<String>,
    pub launch_type: Lookup<String>,
    /// Capacity provider names, when a strategy is given.
    pub capacity_providers: Lookup<Vec<String>>,
    pub platform_version: Lookup<String>,
    pub subnets: Lookup<Vec<String>>,
    pub subnets_span: Option<Span>,
    pub security_groups: Lookup<Vec<String>>,
    pub security_groups_span: Option<Span>,
    /// true for ENABLED.
    pub assign_public_ip: Lookup<bool>,
    /// Whether the service has a network configuration block at all.
    pub has_network_configuration: bool,
    pub cluster: Lookup<String>,
    pub service_name: Lookup<String>,
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
                    if !reader.shared(r, false) {
                        reader.cfn(r);
                    }
                }
            }
            Format::TerraformPlan | Format::TerraformSource => {
                for r in &doc.resources {
                    if !reader.shared(r, true) {
                        reader.terraform(r);
                    }
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

impl<'d> Reader<'d> {
    fn kind_of(&self, id: &str) -> Option<&'d str> {
        self.types.get(id).copied()
    }

    fn declare(&mut self, r: &Resource) {
        self.out.spans.insert(r.id.clone(), r.id_span);
        self.out.has_network = true;
    }
}

#[cfg(test)]
mod tests;
