//! Help material: the AWS CLI commands and the CloudFormation snippet that create the missing
//! piece, with the real ids filled in (docs/architecture.md#say-how-to-fix-it).

use crate::net::index::NetIndex;
use crate::net::report::{EgressDestination, Finding, NetworkReport, Problem};
use crate::net::security_groups::Access;
use crate::net::services::{ServiceKind, endpoint_service_name};
use crate::net::task::NoPublicIp;

/// "container `web`", "containers `web`, `worker`".
pub fn containers_words(containers: &[String]) -> String {
    let names: Vec<String> = containers.iter().map(|c| format!("`{c}`")).collect();
    if names.len() == 1 {
        format!("container {}", names[0])
    } else {
        format!("containers {}", names.join(", "))
    }
}

/// A fix, as shell commands and as CloudFormation YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// One line saying what the commands do.
    pub summary: String,
    /// AWS CLI commands, one per line (lines continued with `\`).
    pub cli: String,
    /// CloudFormation YAML: resources to add, or properties to set on an existing resource.
    pub cloudformation: String,
}

/// Who an endpoint's security group must let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngressSource {
    Groups(Vec<String>),
    Cidrs(Vec<String>),
}

/// Where the task's security group must let 443 out to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EgressPeer {
    Group(String),
    Cidr(String),
    PrefixList(String),
}

/// An interface endpoint with private DNS in the given subnets (one per Availability Zone).
/// With no `endpoint_groups`, a new security group letting `source` in on 443 is created too.
pub fn create_interface_endpoint(
    vpc_id: &str,
    kind: ServiceKind,
    region: &str,
    subnet_ids: &[String],
    endpoint_groups: &[String],
    source: &IngressSource,
) -> Fix {
    let service_name = endpoint_service_name(kind, region);
    let logical = format!("{}Endpoint", logical_name(kind));
    let mut cli = String::new();
    let mut cfn = String::new();
    let group_args: Vec<String>;
    let cfn_groups: Vec<String>;
    if endpoint_groups.is_empty() {
        let group_name = format!("{}-endpoint", kind.endpoint_suffix().replace('.', "-"));
        cli.push_str(&format!(
            "SG=$(aws ec2 create-security-group --region {} --vpc-id {} --group-name {} \\\n  --description {} --query GroupId --output text)\n",
            shell(region),
            shell(vpc_id),
            shell(&group_name),
            shell(&format!("HTTPS from ECS tasks to the {} endpoint", kind.endpoint_suffix())),
        ));
        cli.push_str(&format!(
            "aws ec2 authorize-security-group-ingress --region {} --group-id \"$SG\" \\\n  --ip-permissions {}\n",
            shell(region),
            shell(&ip_permissions_from(source)),
        ));
        group_args = vec!["\"$SG\"".to_string()];
        cfn.push_str(&format!(
            "{logical}SecurityGroup:\n  Type: AWS::EC2::SecurityGroup\n  Properties:\n    GroupDescription: HTTPS from ECS tasks to the {} endpoint\n    VpcId: {}\n    SecurityGroupIngress:\n",
            kind.endpoint_suffix(),
            yaml(vpc_id)
        ));
        for rule in cfn_ingress_rules(source) {
            cfn.push_str(&format!(
                "      - IpProtocol: tcp\n        FromPort: 443\n        ToPort: 443\n        {rule}\n"
            ));
        }
        cfn_groups = vec![format!("!Ref {logical}SecurityGroup")];
    } else {
        group_args = endpoint_groups.iter().map(|g| shell(g)).collect();
        cfn_groups = endpoint_groups.iter().map(|g| yaml(g)).collect();
    }
    let (endpoint_cli, endpoint_cfn) =
        interface_endpoint(vpc_id, kind, region, subnet_ids, &group_args, cfn_groups);
    cli.push_str(&endpoint_cli);
    cfn.push_str(&endpoint_cfn);
    Fix {
        summary: format!(
            "create an interface endpoint for {service_name} with private DNS in {vpc_id}"
        ),
        cli,
        cloudformation: cfn,
    }
}

/// The command and the CloudFormation resource of one interface endpoint with private DNS,
/// its security groups given as shell words and YAML values.
fn interface_endpoint(
    vpc_id: &str,
    kind: ServiceKind,
    region: &str,
    subnet_ids: &[String],
    group_args: &[String],
    cfn_groups: Vec<String>,
) -> (String, String) {
    let service_name = endpoint_service_name(kind, region);
    let logical = format!("{}Endpoint", logical_name(kind));
    let cli = format!(
        "aws ec2 create-vpc-endpoint --region {} --vpc-id {} --vpc-endpoint-type Interface \\\n  --service-name {} \\\n  --subnet-ids {} \\\n  --security-group-ids {} \\\n  --private-dns-enabled\n",
        shell(region),
        shell(vpc_id),
        shell(&service_name),
        words(subnet_ids),
        group_args.join(" "),
    );
    let cfn = format!(
        "{logical}:\n  Type: AWS::EC2::VPCEndpoint\n  Properties:\n    VpcEndpointType: Interface\n    ServiceName: {}\n    VpcId: {}\n    PrivateDnsEnabled: true\n    SubnetIds:\n{}    SecurityGroupIds:\n{}",
        yaml(&service_name),
        yaml(vpc_id),
        yaml_list(subnet_ids.iter().map(|s| yaml(s)), 6),
        yaml_list(cfn_groups.into_iter(), 6),
    );
    (cli, cfn)
}

/// One fix for every service a subnet set without an internet path cannot reach (NET003–NET007
/// share this cause). The simplest fix comes first: one 0.0.0.0/0 route to a NAT gateway covers
/// every service. The alternative creates every missing endpoint, the interface endpoints
/// sharing one security group (or reusing one that already lets the task in), instead of one
/// group per endpoint. `None` when none of the findings is a missing or misattached endpoint.
pub fn no_internet_path(
    index: &NetIndex,
    report: &NetworkReport,
    findings: &[&Finding],
) -> Option<Fix> {
    let mut interface: Vec<(ServiceKind, String, String)> = Vec::new();
    let mut s3: Option<(String, String)> = None;
    let mut s3_attach: Option<String> = None;
    let mut route_tables: Vec<String> = Vec::new();
    for finding in findings {
        let tables = finding
            .subnets
            .iter()
            .filter_map(|s| s.route_table_id.clone());
        match &finding.problem {
            Problem::EndpointMissing { service, vpc_id } if service.kind == ServiceKind::S3 => {
                s3 = Some((vpc_id.clone(), service.region.clone()));
            }
            Problem::EndpointMissing { service, vpc_id } => {
                if !interface.iter().any(|(k, _, _)| *k == service.kind) {
                    interface.push((service.kind, vpc_id.clone(), service.region.clone()));
                }
            }
            Problem::S3GatewayNotOnRouteTable {
                gateway_endpoint_ids,
                ..
            } => s3_attach = gateway_endpoint_ids.first().cloned(),
            _ => continue,
        }
        route_tables.extend(tables);
    }
    let route_tables = distinct(route_tables.into_iter());
    if route_tables.is_empty() || (interface.is_empty() && s3.is_none() && s3_attach.is_none()) {
        return None;
    }
    let vpc_id = interface
        .first()
        .map(|(_, v, _)| v.clone())
        .or_else(|| s3.as_ref().map(|(v, _)| v.clone()))
        .or_else(|| report.subnets.iter().find_map(|s| s.vpc_id.clone()))?;
    let region = report.region.clone();

    let mut cli = String::from(
        "# Simplest: a default route to a NAT gateway in a public subnet of the VPC\n",
    );
    cli.push_str(&format!(
        "# (find one: aws ec2 describe-nat-gateways --filter Name=vpc-id,Values={vpc_id})\n"
    ));
    let mut cfn = String::from(
        "# Simplest: a default route to a NAT gateway (NatGateway: an AWS::EC2::NatGateway in a public subnet)\n",
    );
    for (i, table) in route_tables.iter().enumerate() {
        cli.push_str(&format!(
            "aws ec2 create-route --route-table-id {} --destination-cidr-block 0.0.0.0/0 \\\n  --nat-gateway-id \"$NAT_GATEWAY_ID\"\n",
            shell(table)
        ));
        cfn.push_str(&format!(
            "DefaultRouteViaNat{}:\n  Type: AWS::EC2::Route\n  Properties:\n    RouteTableId: {}\n    DestinationCidrBlock: 0.0.0.0/0\n    NatGatewayId: !Ref NatGateway\n",
            if route_tables.len() > 1 { (i + 1).to_string() } else { String::new() },
            yaml(table)
        ));
    }
    let mut names: Vec<String> = Vec::new();
    cli.push_str("# Or, without internet access: the VPC endpoints");
    cfn.push_str("# Or, without internet access: the VPC endpoints\n");
    if !interface.is_empty() {
        let reuse = reusable_endpoint_groups(index, report, &vpc_id);
        let (group_args, cfn_groups) = if reuse.is_empty() {
            let source = if report.task_security_groups.is_empty() {
                let cidrs = report.subnets.iter().filter_map(|s| s.cidr.clone());
                IngressSource::Cidrs(distinct(cidrs))
            } else {
                IngressSource::Groups(report.task_security_groups.clone())
            };
            cli.push_str(", one security group for all of them\n");
            cli.push_str(&format!(
                "SG=$(aws ec2 create-security-group --region {} --vpc-id {} \\\n  --group-name ecs-task-endpoints \\\n  --description {} \\\n  --query GroupId --output text)\n",
                shell(&region),
                shell(&vpc_id),
                shell("HTTPS from ECS tasks to VPC endpoints"),
            ));
            cli.push_str(&format!(
                "aws ec2 authorize-security-group-ingress --region {} --group-id \"$SG\" \\\n  --ip-permissions {}\n",
                shell(&region),
                shell(&ip_permissions_from(&source)),
            ));
            cfn.push_str(&format!(
                "TaskEndpointsSecurityGroup:\n  Type: AWS::EC2::SecurityGroup\n  Properties:\n    GroupDescription: HTTPS from ECS tasks to VPC endpoints\n    VpcId: {}\n    SecurityGroupIngress:\n",
                yaml(&vpc_id)
            ));
            for rule in cfn_ingress_rules(&source) {
                cfn.push_str(&format!(
                    "      - IpProtocol: tcp\n        FromPort: 443\n        ToPort: 443\n        {rule}\n"
                ));
            }
            (
                vec!["\"$SG\"".to_string()],
                vec!["!Ref TaskEndpointsSecurityGroup".to_string()],
            )
        } else {
            cli.push_str(&format!(
                ", with the security group of an existing endpoint that lets the task in ({})\n",
                reuse.join(", ")
            ));
            (
                reuse.iter().map(|g| shell(g)).collect(),
                reuse.iter().map(|g| yaml(g)).collect(),
            )
        };
        let subnets = one_subnet_per_zone(report, &vpc_id);
        for (kind, _, service_region) in &interface {
            let (c, f) = interface_endpoint(
                &vpc_id,
                *kind,
                service_region,
                &subnets,
                &group_args,
                cfn_groups.clone(),
            );
            cli.push_str(&c);
            cfn.push_str(&f);
            names.push(endpoint_service_name(*kind, service_region));
        }
    } else {
        cli.push('\n');
    }
    if let Some((vpc, s3_region)) = &s3 {
        let fix = create_s3_gateway_endpoint(vpc, s3_region, &route_tables);
        cli.push_str(&fix.cli);
        cfn.push_str(&fix.cloudformation);
        names.push(format!(
            "{} (gateway)",
            endpoint_service_name(ServiceKind::S3, s3_region)
        ));
    }
    if let Some(endpoint) = &s3_attach {
        let fix = add_route_tables_to_gateway_endpoint(endpoint, &route_tables);
        cli.push_str(&fix.cli);
        cfn.push_str(&fix.cloudformation);
        names.push(format!(
            "the route tables on S3 gateway endpoint {endpoint}"
        ));
    }
    Some(Fix {
        summary: format!(
            "route 0.0.0.0/0 from {} to a NAT gateway (one route for every service), or add these endpoints to {vpc_id}: {}",
            route_tables.join(", "),
            names.join(", ")
        ),
        cli,
        cloudformation: cfn,
    })
}

/// An S3 gateway endpoint on the given route tables.
pub fn create_s3_gateway_endpoint(vpc_id: &str, region: &str, route_table_ids: &[String]) -> Fix {
    let service_name = endpoint_service_name(ServiceKind::S3, region);
    Fix {
        summary: format!(
            "create an S3 gateway endpoint in {vpc_id} on route tables {}",
            route_table_ids.join(", ")
        ),
        cli: format!(
            "aws ec2 create-vpc-endpoint --region {} --vpc-id {} --vpc-endpoint-type Gateway \\\n  --service-name {} \\\n  --route-table-ids {}\n",
            shell(region),
            shell(vpc_id),
            shell(&service_name),
            words(route_table_ids),
        ),
        cloudformation: format!(
            "S3GatewayEndpoint:\n  Type: AWS::EC2::VPCEndpoint\n  Properties:\n    VpcEndpointType: Gateway\n    ServiceName: {}\n    VpcId: {}\n    RouteTableIds:\n{}",
            yaml(&service_name),
            yaml(vpc_id),
            yaml_list(route_table_ids.iter().map(|s| yaml(s)), 6),
        ),
    }
}

/// Adds route tables to an existing gateway endpoint.
pub fn add_route_tables_to_gateway_endpoint(endpoint_id: &str, route_table_ids: &[String]) -> Fix {
    Fix {
        summary: format!(
            "add route tables {} to gateway endpoint {endpoint_id}",
            route_table_ids.join(", ")
        ),
        cli: format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --add-route-table-ids {}\n",
            shell(endpoint_id),
            words(route_table_ids)
        ),
        cloudformation: format!(
            "# on the AWS::EC2::VPCEndpoint resource of {endpoint_id}, add to RouteTableIds:\nRouteTableIds:\n{}",
            yaml_list(route_table_ids.iter().map(|s| yaml(s)), 2)
        ),
    }
}

/// Turns on private DNS for an interface endpoint.
pub fn enable_private_dns(endpoint_id: &str) -> Fix {
    Fix {
        summary: format!("enable private DNS on {endpoint_id}"),
        cli: format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --private-dns-enabled\n",
            shell(endpoint_id)
        ),
        cloudformation: format!(
            "# on the AWS::EC2::VPCEndpoint resource of {endpoint_id}:\nPrivateDnsEnabled: true\n"
        ),
    }
}

/// Lets TCP 443 into an endpoint's security group.
pub fn allow_endpoint_ingress(endpoint_group_id: &str, source: &IngressSource) -> Fix {
    let mut cfn = String::new();
    for (i, rule) in cfn_ingress_rules(source).into_iter().enumerate() {
        cfn.push_str(&format!(
            "EndpointHttpsIngress{}:\n  Type: AWS::EC2::SecurityGroupIngress\n  Properties:\n    GroupId: {}\n    IpProtocol: tcp\n    FromPort: 443\n    ToPort: 443\n    {rule}\n",
            i + 1,
            yaml(endpoint_group_id)
        ));
    }
    Fix {
        summary: format!("allow inbound TCP 443 to {endpoint_group_id} from the task"),
        cli: format!(
            "aws ec2 authorize-security-group-ingress --group-id {} \\\n  --ip-permissions {}\n",
            shell(endpoint_group_id),
            shell(&ip_permissions_from(source))
        ),
        cloudformation: cfn,
    }
}

/// Lets TCP 443 out of the task's security group.
pub fn allow_task_egress(task_group_id: &str, peer: &EgressPeer) -> Fix {
    let (permission_peer, cfn_peer, described) = match peer {
        EgressPeer::Group(id) => (
            format!("UserIdGroupPairs=[{{GroupId={id}}}]"),
            format!("DestinationSecurityGroupId: {}", yaml(id)),
            id.clone(),
        ),
        EgressPeer::Cidr(cidr) => (
            format!("IpRanges=[{{CidrIp={cidr}}}]"),
            format!("CidrIp: {}", yaml(cidr)),
            cidr.clone(),
        ),
        EgressPeer::PrefixList(id) => (
            format!("PrefixListIds=[{{PrefixListId={id}}}]"),
            format!("DestinationPrefixListId: {}", yaml(id)),
            id.clone(),
        ),
    };
    Fix {
        summary: format!("allow outbound TCP 443 from {task_group_id} to {described}"),
        cli: format!(
            "aws ec2 authorize-security-group-egress --group-id {} \\\n  --ip-permissions {}\n",
            shell(task_group_id),
            shell(&format!(
                "IpProtocol=tcp,FromPort=443,ToPort=443,{permission_peer}"
            ))
        ),
        cloudformation: format!(
            "TaskHttpsEgress:\n  Type: AWS::EC2::SecurityGroupEgress\n  Properties:\n    GroupId: {}\n    IpProtocol: tcp\n    FromPort: 443\n    ToPort: 443\n    {cfn_peer}\n",
            yaml(task_group_id)
        ),
    }
}

/// Turns on the VPC DNS attributes that are off (one `modify-vpc-attribute` call each).
pub fn enable_vpc_dns(vpc_id: &str, support: bool, hostnames: bool) -> Fix {
    let mut cli = String::new();
    let mut cfn = format!("# on the AWS::EC2::VPC resource of {vpc_id}:\n");
    if support {
        cli.push_str(&format!(
            "aws ec2 modify-vpc-attribute --vpc-id {} --enable-dns-support '{{\"Value\":true}}'\n",
            shell(vpc_id)
        ));
        cfn.push_str("EnableDnsSupport: true\n");
    }
    if hostnames {
        cli.push_str(&format!("aws ec2 modify-vpc-attribute --vpc-id {} --enable-dns-hostnames '{{\"Value\":true}}'\n", shell(vpc_id)));
        cfn.push_str("EnableDnsHostnames: true\n");
    }
    Fix {
        summary: format!("enable DNS resolution and DNS hostnames in {vpc_id}"),
        cli,
        cloudformation: cfn,
    }
}

/// Gives the service's tasks a public IP. `cluster` and `service` are placeholders when unknown.
pub fn enable_public_ip(
    cluster: Option<&str>,
    service: Option<&str>,
    subnet_ids: &[String],
    group_ids: &[String],
) -> Fix {
    let configuration = format!(
        "awsvpcConfiguration={{subnets=[{}],securityGroups=[{}],assignPublicIp=ENABLED}}",
        subnet_ids.join(","),
        group_ids.join(",")
    );
    let mut cfn = String::from(
        "# on the AWS::ECS::Service resource:\nNetworkConfiguration:\n  AwsvpcConfiguration:\n    AssignPublicIp: ENABLED\n    Subnets:\n",
    );
    cfn.push_str(&yaml_list(subnet_ids.iter().map(|s| yaml(s)), 6));
    if !group_ids.is_empty() {
        cfn.push_str("    SecurityGroups:\n");
        cfn.push_str(&yaml_list(group_ids.iter().map(|s| yaml(s)), 6));
    }
    Fix {
        summary: "assign a public IP to the tasks (assignPublicIp ENABLED)".into(),
        cli: format!(
            "aws ecs update-service --cluster {} --service {} \\\n  --network-configuration {}\n",
            shell(cluster.unwrap_or("<cluster>")),
            shell(service.unwrap_or("<service>")),
            shell(&configuration)
        ),
        cloudformation: cfn,
    }
}

/// The fix for a finding, with the ids of the report and the state. `None` when there is no
/// single piece to create (a public registry or another region without internet, an
/// unverifiable route, an endpoint in a transitional state, EC2 tasks that cannot get a
/// public IP): the rule's help text explains those.
pub fn suggested_fix(index: &NetIndex, report: &NetworkReport, finding: &Finding) -> Option<Fix> {
    let route_tables = distinct(
        finding
            .subnets
            .iter()
            .filter_map(|s| s.route_table_id.clone()),
    );
    match &finding.problem {
        Problem::PublicIpDisabled {
            why: NoPublicIp::AssignPublicIpDisabled,
            ..
        } => {
            let subnets: Vec<String> = report.subnets.iter().map(|s| s.subnet_id.clone()).collect();
            Some(enable_public_ip(
                None,
                None,
                &subnets,
                &report.task_security_groups,
            ))
        }
        Problem::PublicIpDisabled {
            why: NoPublicIp::Ec2LaunchType,
            ..
        } => None,
        Problem::EndpointMissing { service, vpc_id } if service.kind == ServiceKind::S3 => {
            (!route_tables.is_empty())
                .then(|| create_s3_gateway_endpoint(vpc_id, &service.region, &route_tables))
        }
        Problem::EndpointMissing { service, vpc_id } => {
            let subnets = one_subnet_per_zone(report, vpc_id);
            let groups = reusable_endpoint_groups(index, report, vpc_id);
            Some(create_interface_endpoint(
                vpc_id,
                service.kind,
                &service.region,
                &subnets,
                &groups,
                &task_source(report, finding),
            ))
        }
        Problem::S3GatewayNotOnRouteTable {
            gateway_endpoint_ids,
            ..
        } => {
            let endpoint = gateway_endpoint_ids.first()?;
            (!route_tables.is_empty())
                .then(|| add_route_tables_to_gateway_endpoint(endpoint, &route_tables))
        }
        Problem::PrivateDnsDisabled { endpoint_id, .. } => Some(enable_private_dns(endpoint_id)),
        Problem::EndpointIngressBlocked {
            endpoint_groups, ..
        } => Some(allow_endpoint_ingress(
            endpoint_groups.first()?,
            &task_source(report, finding),
        )),
        Problem::TaskEgressBlocked {
            destination,
            task_groups,
            ..
        } => {
            let peer = match destination {
                EgressDestination::Internet => EgressPeer::Cidr("0.0.0.0/0".into()),
                EgressDestination::InterfaceEndpoint {
                    endpoint_groups, ..
                } => EgressPeer::Group(endpoint_groups.first()?.clone()),
                EgressDestination::S3PrefixList {
                    prefix_list_ids, ..
                } => EgressPeer::PrefixList(prefix_list_ids.first()?.clone()),
            };
            Some(allow_task_egress(task_groups.first()?, &peer))
        }
        Problem::VpcDnsDisabled {
            vpc_id,
            dns_support,
            dns_hostnames,
        } => Some(enable_vpc_dns(
            vpc_id,
            *dns_support == Some(false),
            *dns_hostnames == Some(false),
        )),
        Problem::EndpointNotAvailable { .. }
        | Problem::PublicRegistryUnreachable { .. }
        | Problem::NoEndpointPath { .. }
        | Problem::EgressUnverifiable { .. } => None,
    }
}

/// The task's groups, or else the CIDRs of the affected subnets.
fn task_source(report: &NetworkReport, finding: &Finding) -> IngressSource {
    if !report.task_security_groups.is_empty() {
        return IngressSource::Groups(report.task_security_groups.clone());
    }
    let cidrs = finding
        .subnets
        .iter()
        .filter_map(|affected| report.subnet(&affected.subnet_id)?.cidr.clone());
    IngressSource::Cidrs(distinct(cidrs))
}

/// The task's subnets in the VPC, at most one per Availability Zone (an interface endpoint
/// takes one subnet per zone).
fn one_subnet_per_zone(report: &NetworkReport, vpc_id: &str) -> Vec<String> {
    let mut zones: Vec<&str> = Vec::new();
    let mut subnets = Vec::new();
    for subnet in report
        .subnets
        .iter()
        .filter(|s| s.vpc_id.as_deref() == Some(vpc_id))
    {
        if let Some(zone) = subnet.availability_zone.as_deref() {
            if zones.contains(&zone) {
                continue;
            }
            zones.push(zone);
        }
        subnets.push(subnet.subnet_id.clone());
    }
    subnets
}

/// The security groups of another interface endpoint of the VPC that already lets the task's
/// groups in: reusing them is what most VPCs do.
fn reusable_endpoint_groups(index: &NetIndex, report: &NetworkReport, vpc_id: &str) -> Vec<String> {
    if report.task_security_groups.is_empty() {
        return Vec::new();
    }
    let Some(endpoints) = index.ec2.vpc_endpoints_in(vpc_id).found() else {
        return Vec::new();
    };
    for endpoint in endpoints {
        let interface = endpoint
            .vpc_endpoint_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Interface"));
        if !interface {
            continue;
        }
        let peers = index.endpoint_ingress(endpoint);
        let admits = peers.admits(&report.task_security_groups, Err("by group only".into()))
            == Access::Allowed;
        if admits {
            return endpoint
                .groups
                .iter()
                .flatten()
                .filter_map(|g| g.group_id.clone())
                .collect();
        }
    }
    Vec::new()
}

fn ip_permissions_from(source: &IngressSource) -> String {
    let peers = match source {
        IngressSource::Groups(groups) => {
            let pairs: Vec<String> = groups.iter().map(|g| format!("{{GroupId={g}}}")).collect();
            format!("UserIdGroupPairs=[{}]", pairs.join(","))
        }
        IngressSource::Cidrs(cidrs) => {
            let ranges: Vec<String> = cidrs.iter().map(|c| format!("{{CidrIp={c}}}")).collect();
            format!("IpRanges=[{}]", ranges.join(","))
        }
    };
    format!("IpProtocol=tcp,FromPort=443,ToPort=443,{peers}")
}

fn cfn_ingress_rules(source: &IngressSource) -> Vec<String> {
    match source {
        IngressSource::Groups(groups) => groups
            .iter()
            .map(|g| format!("SourceSecurityGroupId: {}", yaml(g)))
            .collect(),
        IngressSource::Cidrs(cidrs) => cidrs
            .iter()
            .map(|c| format!("CidrIp: {}", yaml(c)))
            .collect(),
    }
}

fn logical_name(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::EcrApi => "EcrApi",
        ServiceKind::EcrDkr => "EcrDkr",
        ServiceKind::S3 => "S3",
        ServiceKind::Logs => "Logs",
        ServiceKind::SecretsManager => "SecretsManager",
        ServiceKind::Ssm => "Ssm",
        ServiceKind::EcsAgent => "EcsAgent",
        ServiceKind::EcsTelemetry => "EcsTelemetry",
        ServiceKind::Ecs => "Ecs",
    }
}

fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn is_plain(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/:=,-".contains(&b))
}

/// A shell word: as is when plain, else single-quoted.
fn shell(text: &str) -> String {
    if is_plain(text) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn words(items: &[String]) -> String {
    items.iter().map(|i| shell(i)).collect::<Vec<_>>().join(" ")
}

/// A YAML scalar: as is when plain, else double-quoted.
fn yaml(text: &str) -> String {
    let plain = is_plain(text) && !text.contains(": ") && !text.starts_with(['-', ':', '=', ',']);
    if plain {
        text.to_string()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// A block sequence, items indented by `spaces`.
fn yaml_list(items: impl Iterator<Item = String>, spaces: usize) -> String {
    items
        .map(|item| format!("{}- {item}\n", " ".repeat(spaces)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn interface_endpoint_with_new_group() {
        let fix = create_interface_endpoint(
            "vpc-1",
            ServiceKind::EcrDkr,
            "us-east-1",
            &ids(&["subnet-a", "subnet-b"]),
            &[],
            &IngressSource::Groups(ids(&["sg-task"])),
        );
        assert!(fix.cli.contains("aws ec2 create-security-group --region us-east-1 --vpc-id vpc-1 --group-name ecr-dkr-endpoint"));
        assert!(fix.cli.contains("--ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,UserIdGroupPairs=[{GroupId=sg-task}]'"));
        assert!(
            fix.cli
                .contains("--service-name com.amazonaws.us-east-1.ecr.dkr")
        );
        assert!(fix.cli.contains("--subnet-ids subnet-a subnet-b"));
        assert!(fix.cli.contains("--security-group-ids \"$SG\""));
        assert!(fix.cli.trim_end().ends_with("--private-dns-enabled"));
        let expected_cfn = "\
EcrDkrEndpointSecurityGroup:
  Type: AWS::EC2::SecurityGroup
  Properties:
    GroupDescription: HTTPS from ECS tasks to the ecr.dkr endpoint
    VpcId: vpc-1
    SecurityGroupIngress:
      - IpProtocol: tcp
        FromPort: 443
        ToPort: 443
        SourceSecurityGroupId: sg-task
EcrDkrEndpoint:
  Type: AWS::EC2::VPCEndpoint
  Properties:
    VpcEndpointType: Interface
    ServiceName: com.amazonaws.us-east-1.ecr.dkr
    VpcId: vpc-1
    PrivateDnsEnabled: true
    SubnetIds:
      - subnet-a
      - subnet-b
    SecurityGroupIds:
      - !Ref EcrDkrEndpointSecurityGroup
";
        assert_eq!(fix.cloudformation, expected_cfn);
    }

    #[test]
    fn interface_endpoint_reusing_groups_in_china() {
        let fix = create_interface_endpoint(
            "vpc-1",
            ServiceKind::EcrApi,
            "cn-north-1",
            &ids(&["subnet-a"]),
            &ids(&["sg-e"]),
            &IngressSource::Cidrs(vec![]),
        );
        assert!(!fix.cli.contains("create-security-group"));
        assert!(
            fix.cli
                .contains("--service-name cn.com.amazonaws.cn-north-1.ecr.api")
        );
        assert!(fix.cli.contains("--security-group-ids sg-e"));
        assert!(
            fix.cloudformation
                .contains("    SecurityGroupIds:\n      - sg-e\n")
        );
    }

    #[test]
    fn gateway_and_route_tables() {
        let fix = create_s3_gateway_endpoint("vpc-1", "eu-west-1", &ids(&["rtb-1", "rtb-2"]));
        assert!(fix.cli.contains("--vpc-endpoint-type Gateway"));
        assert!(fix.cli.contains("--route-table-ids rtb-1 rtb-2"));
        assert!(
            fix.cloudformation
                .contains("ServiceName: com.amazonaws.eu-west-1.s3\n")
        );
        assert!(
            fix.cloudformation
                .ends_with("    RouteTableIds:\n      - rtb-1\n      - rtb-2\n")
        );
        let add = add_route_tables_to_gateway_endpoint("vpce-1", &ids(&["rtb-3"]));
        assert_eq!(
            add.cli,
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-1 --add-route-table-ids rtb-3\n"
        );
    }

    #[test]
    fn security_group_rules() {
        let ingress = allow_endpoint_ingress("sg-e", &IngressSource::Cidrs(ids(&["10.0.1.0/24"])));
        assert!(ingress.cli.contains("--group-id sg-e"));
        assert!(ingress.cli.contains("IpRanges=[{CidrIp=10.0.1.0/24}]"));
        assert!(ingress.cloudformation.contains("    CidrIp: 10.0.1.0/24\n"));
        let egress = allow_task_egress("sg-t", &EgressPeer::PrefixList("pl-63a5400a".into()));
        assert!(
            egress
                .cli
                .starts_with("aws ec2 authorize-security-group-egress --group-id sg-t")
        );
        assert!(
            egress
                .cli
                .contains("PrefixListIds=[{PrefixListId=pl-63a5400a}]")
        );
        assert!(
            egress
                .cloudformation
                .contains("DestinationPrefixListId: pl-63a5400a")
        );
        let internet = allow_task_egress("sg-t", &EgressPeer::Cidr("0.0.0.0/0".into()));
        assert!(internet.cloudformation.contains("CidrIp: 0.0.0.0/0"));
    }

    #[test]
    fn dns_public_ip_and_quoting() {
        let dns = enable_vpc_dns("vpc-1", false, true);
        assert_eq!(
            dns.cli,
            "aws ec2 modify-vpc-attribute --vpc-id vpc-1 --enable-dns-hostnames '{\"Value\":true}'\n"
        );
        assert!(
            dns.cloudformation.contains("EnableDnsHostnames: true")
                && !dns.cloudformation.contains("EnableDnsSupport")
        );
        let ip = enable_public_ip(
            Some("prod"),
            None,
            &ids(&["subnet-a", "subnet-b"]),
            &ids(&["sg-t"]),
        );
        assert!(ip.cli.contains("--cluster prod --service '<service>'"));
        assert!(ip.cli.contains("'awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-t],assignPublicIp=ENABLED}'"));
        assert!(ip.cloudformation.contains("    AssignPublicIp: ENABLED\n    Subnets:\n      - subnet-a\n      - subnet-b\n    SecurityGroups:\n      - sg-t\n"));
        assert_eq!(shell("it's"), r"'it'\''s'");
        assert_eq!(yaml("a: b"), "\"a: b\"");
        assert_eq!(yaml("vpc-1"), "vpc-1");
    }
}
