use super::*;
use crate::base::known::Lookup;
use crate::model::recognize::{Recognized, ResolveSettings, read_document};
use crate::source::SourceFile;
use crate::state::ec2::{Ec2Index, TemplateRouteTarget};

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
    assert_eq!(service.task_definition, Lookup::Found("TaskDef".into()));
    assert_eq!(service.subnets, Lookup::Found(vec!["Private".into()]));
    assert_eq!(
        service.security_groups,
        Lookup::Found(vec!["Vpc.DefaultSecurityGroup".into()])
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
