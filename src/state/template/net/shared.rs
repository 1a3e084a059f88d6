//! The resources both formats describe alike, read once through the property table.

use super::names::{Prop, Props, SharedKind};
use super::values::{bool_value, capacity_value, id_list, id_value, policy_text, text_value};
use super::{EndpointProps, Reader, TemplateService};
use crate::base::known::Lookup;
use crate::model::Resource;
use crate::parse::Node;
use crate::state::ec2::PrefixListEntry;

impl Reader<'_> {
    /// Reads `r` when its type is a shared kind of its format; false when it is not one.
    pub(super) fn shared(&mut self, r: &Resource, terraform: bool) -> bool {
        let Some(kind) = SharedKind::of(&r.kind, terraform) else {
            return false;
        };
        let p = Props {
            node: &r.properties,
            terraform,
        };
        if kind != SharedKind::EcsService {
            self.declare(r);
        }
        match kind {
            SharedKind::Vpc => self.vpc(
                &r.id,
                text_value(p.get(Prop::CidrBlock)),
                bool_value(p.get(Prop::EnableDnsSupport)),
                true,
                bool_value(p.get(Prop::EnableDnsHostnames)),
                false,
            ),
            SharedKind::Subnet => self.subnet(
                &r.id,
                id_value(p.get(Prop::VpcId)),
                text_value(p.get(Prop::CidrBlock)),
                text_value(p.get(Prop::AvailabilityZone)),
                bool_value(p.get(Prop::MapPublicIpOnLaunch)),
            ),
            SharedKind::SubnetRouteTableAssociation => {
                if let (Lookup::Found(table), Lookup::Found(subnet)) = (
                    id_value(p.get(Prop::RouteTableId)),
                    id_value(p.get(Prop::SubnetId)),
                ) {
                    self.associations.push((table, subnet));
                }
            }
            SharedKind::Declared => {}
            SharedKind::NatGateway => self.nat(
                &r.id,
                id_value(p.get(Prop::SubnetId)),
                text_value(p.get(Prop::ConnectivityType)),
            ),
            SharedKind::VpcEndpoint => self.endpoint(
                &r.id,
                EndpointProps {
                    vpc: id_value(p.get(Prop::VpcId)),
                    service: text_value(p.get(Prop::EndpointServiceName)),
                    kind: text_value(p.get(Prop::VpcEndpointType)),
                    private_dns: bool_value(p.get(Prop::PrivateDnsEnabled)),
                    subnets: id_list(p.get(Prop::SubnetIds)),
                    groups: id_list(p.get(Prop::SecurityGroupIds)),
                    route_tables: id_list(p.get(Prop::RouteTableIds)),
                    policy: policy_text(p.get(Prop::EndpointPolicy)),
                    // Terraform's `policy` is computed: unknown in a plan when the
                    // configuration does not set it, which means the default policy.
                    policy_default_when_unknown: terraform,
                },
            ),
            SharedKind::PrefixList => {
                let entries = match p.get(Prop::PrefixListEntries) {
                    Some(list) if list.is_unknown() => None,
                    // Every entry's CIDR must be known, or the list is not.
                    Some(list) => list
                        .items()
                        .iter()
                        .map(|e| {
                            text_value(p.nested(e).get(Prop::EntryCidr))
                                .found()
                                .map(|cidr| PrefixListEntry {
                                    cidr: Some(cidr),
                                    description: None,
                                })
                        })
                        .collect::<Option<Vec<_>>>(),
                    None => Some(Vec::new()),
                };
                self.prefix_list(
                    &r.id,
                    text_value(p.get(Prop::PrefixListName)),
                    text_value(p.get(Prop::AddressFamily)),
                    entries,
                );
            }
            SharedKind::EcsService => self.out.services.push(service(r, p)),
        }
        true
    }
}

/// Where an ECS service of the template runs its tasks.
fn service(r: &Resource, p: Props) -> TemplateService {
    let network: Option<&Node> = if p.terraform {
        super::values::block(p.get(Prop::NetworkConfiguration))
    } else {
        p.get(Prop::NetworkConfiguration)
            .and_then(|n| n.get("AwsvpcConfiguration"))
    };
    let n = network.map(|n| p.nested(n));
    let capacity = p.get(Prop::CapacityProviderStrategy).map(|s| {
        s.items()
            .iter()
            .map(|i| id_value(p.nested(i).get(Prop::CapacityProvider)))
            .collect::<Vec<_>>()
    });
    TemplateService {
        id: r.id.clone(),
        id_span: r.id_span,
        task_definition: id_value(p.get(Prop::TaskDefinition)),
        launch_type: text_value(p.get(Prop::LaunchType)),
        capacity_providers: capacity_value(capacity),
        platform_version: text_value(p.get(Prop::PlatformVersion)),
        subnets: n.map_or(Lookup::Absent, |n| id_list(n.get(Prop::Subnets))),
        subnets_span: n.and_then(|n| n.get(Prop::Subnets)).map(|n| n.span),
        security_groups: n.map_or(Lookup::Absent, |n| id_list(n.get(Prop::SecurityGroups))),
        security_groups_span: n.and_then(|n| n.get(Prop::SecurityGroups)).map(|n| n.span),
        assign_public_ip: n.map_or(Lookup::Absent, |n| assign_public_ip(n)),
        has_network_configuration: network.is_some(),
        cluster: id_value(p.get(Prop::Cluster)),
        service_name: text_value(p.get(Prop::EcsServiceName)),
    }
}

/// CloudFormation says `ENABLED`/`DISABLED`; Terraform has a boolean (default false).
fn assign_public_ip(n: Props) -> Lookup<bool> {
    let value = n.get(Prop::AssignPublicIp);
    if n.terraform {
        return bool_value(value);
    }
    match text_value(value) {
        Lookup::Found(v) if v.eq_ignore_ascii_case("ENABLED") => Lookup::Found(true),
        Lookup::Found(v) if v.eq_ignore_ascii_case("DISABLED") => Lookup::Found(false),
        Lookup::Found(v) => Lookup::Unknown(format!("`{v}` is not ENABLED or DISABLED")),
        Lookup::Absent => Lookup::Absent,
        Lookup::Unknown(why) => Lookup::Unknown(why),
    }
}
