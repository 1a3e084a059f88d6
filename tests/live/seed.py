"""Seeds a moto server with the scenarios of tests/live.rs and prints what it created as JSON.

Usage: .venv-test/bin/python tests/live/seed.py ENDPOINT SCENARIO [N]
  scenarios: world   (roles, repositories, VPCs, endpoints, a cluster)
             bench N (N roles, 30 repositories, 10 subnets; see tests/live.rs)

Runs as account 123456789012 (moto's default) in us-east-1. The registry of another account is
made with `registryId` on CreateRepository, which moto keeps on the repository: the collector
then reads it with that registryId, as it would read a cross-account registry.

moto quirks worked around (observed with moto 5.2): digests are computed from the layer digests,
so each image gets distinct layers; a retagged image is deleted by moto, so old images are
pushed untagged; gateway endpoints report PrivateDnsEnabled: true.
"""

import json
import os
import sys
import time

import boto3

ACCOUNT = "123456789012"
OTHER = "222233334444"
REGION = "us-east-1"


def clients(endpoint):
    kw = dict(
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return {
        s: boto3.client(s, **kw)
        for s in ("iam", "ecr", "ec2", "ecs", "secretsmanager", "ssm", "kms", "logs", "s3")
    }


def manifest(n):
    """A Docker v2 manifest whose digest (in moto: from its layers) is unique to n."""
    layer = "sha256:" + format(n, "064x")
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 100 + n,
                "digest": "sha256:" + format(n + 1_000_000, "064x"),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 1000 + n,
                    "digest": layer,
                }
            ],
        }
    )


def push(ecr, repo, n, tag=None, registry=None):
    kw = dict(repositoryName=repo, imageManifest=manifest(n))
    if tag:
        kw["imageTag"] = tag
    if registry:
        kw["registryId"] = registry
    return ecr.put_image(**kw)["image"]["imageId"]["imageDigest"]


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def role(iam, name, managed=(), inline=None):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    for policy in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    if inline:
        iam.put_role_policy(
            RoleName=name, PolicyName=name + "-inline", PolicyDocument=json.dumps(inline)
        )
    return arn


EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def world(c):
    iam, ecr, ec2, ecs = c["iam"], c["ecr"], c["ec2"], c["ecs"]
    out = {"account": ACCOUNT, "other": OTHER, "region": REGION}

    # IAM: a role that may pull, one that may not (logs only), one explicitly denied.
    out["role_ok"] = role(iam, "exec-ok", managed=[EXEC_POLICY])
    out["role_logs_only"] = role(
        iam,
        "exec-logs-only",
        inline={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": "*",
                }
            ],
        },
    )
    out["role_denied"] = role(
        iam,
        "exec-denied",
        managed=[EXEC_POLICY],
        inline={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "NoPull",
                    "Effect": "Deny",
                    "Action": "ecr:BatchGetImage",
                    "Resource": "*",
                }
            ],
        },
    )

    # ECR: web (mutable: 1.0, latest, an untagged old image), api (immutable),
    # old (a lifecycle policy that keeps only the newest image).
    ecr.create_repository(repositoryName="web")
    out["web_old"] = push(ecr, "web", 1)
    out["web_1_0"] = push(ecr, "web", 2, "1.0")
    out["web_latest"] = push(ecr, "web", 3, "latest")
    ecr.create_repository(repositoryName="api", imageTagMutability="IMMUTABLE")
    out["api_2_0"] = push(ecr, "api", 4, "2.0")
    ecr.create_repository(repositoryName="old")
    out["old_v1"] = push(ecr, "old", 5, "v1")
    # moto keeps push times to the second: v2 must be newer for the count rule to be decided.
    time.sleep(1.1)
    out["old_v2"] = push(ecr, "old", 6, "v2")
    ecr.put_lifecycle_policy(
        repositoryName="old",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": "keep only the newest image",
                        "selection": {
                            "tagStatus": "any",
                            "countType": "imageCountMoreThan",
                            "countNumber": 1,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    # The other account's registry: shared/base grants this account the pull, shared/closed
    # has no policy.
    for name in ("shared/base", "shared/closed"):
        ecr.create_repository(repositoryName=name, registryId=OTHER)
    out["base_1"] = push(ecr, "shared/base", 7, "1", registry=OTHER)
    out["closed_1"] = push(ecr, "shared/closed", 8, "1", registry=OTHER)
    out["base_policy"] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PullFromProd",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                }
            ],
        }
    )
    ecr.set_repository_policy(
        repositoryName="shared/base", registryId=OTHER, policyText=out["base_policy"]
    )

    # EC2: VPC A with a public subnet (IGW), a NAT subnet and an isolated one; VPC B, isolated,
    # with the ECR, S3 and logs endpoints.
    vpc_a = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    vpc_b = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    for vpc in (vpc_a, vpc_b):
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    out["vpc_a"], out["vpc_b"] = vpc_a, vpc_b

    def subnet(vpc, cidr):
        return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone="us-east-1a")[
            "Subnet"
        ]["SubnetId"]

    public = subnet(vpc_a, "10.10.1.0/24")
    nat_subnet = subnet(vpc_a, "10.10.2.0/24")
    isolated = subnet(vpc_a, "10.10.3.0/24")
    with_endpoints = subnet(vpc_b, "10.20.1.0/24")
    out.update(
        subnet_public=public,
        subnet_nat=nat_subnet,
        subnet_isolated=isolated,
        subnet_endpoints=with_endpoints,
    )
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_a)
    rt_public = ec2.create_route_table(VpcId=vpc_a)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt_public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt_public, SubnetId=public)
    nat = ec2.create_nat_gateway(SubnetId=public)["NatGateway"]["NatGatewayId"]
    rt_nat = ec2.create_route_table(VpcId=vpc_a)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt_nat, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=rt_nat, SubnetId=nat_subnet)
    # The isolated subnet uses VPC A's main route table (local route only).
    out.update(igw=igw, nat=nat, rt_public=rt_public, rt_nat=rt_nat)

    rt_b = ec2.create_route_table(VpcId=vpc_b)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt_b, SubnetId=with_endpoints)
    task_sg_a = ec2.create_security_group(GroupName="task-a", Description="task", VpcId=vpc_a)[
        "GroupId"
    ]
    task_sg_b = ec2.create_security_group(GroupName="task-b", Description="task", VpcId=vpc_b)[
        "GroupId"
    ]
    endpoint_sg = ec2.create_security_group(
        GroupName="endpoints", Description="endpoints", VpcId=vpc_b
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=endpoint_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.20.0.0/16"}],
            }
        ],
    )
    out.update(task_sg_a=task_sg_a, task_sg_b=task_sg_b, endpoint_sg=endpoint_sg, rt_b=rt_b)
    endpoints = {}
    for service in ("ecr.api", "ecr.dkr", "logs"):
        endpoints[service] = ec2.create_vpc_endpoint(
            VpcId=vpc_b,
            ServiceName=f"com.amazonaws.{REGION}.{service}",
            VpcEndpointType="Interface",
            SubnetIds=[with_endpoints],
            SecurityGroupIds=[endpoint_sg],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]["VpcEndpointId"]
    endpoints["s3"] = ec2.create_vpc_endpoint(
        VpcId=vpc_b,
        ServiceName=f"com.amazonaws.{REGION}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[rt_b],
    )["VpcEndpoint"]["VpcEndpointId"]
    out["endpoints"] = endpoints

    # ECS: cluster prod, service web (family web) in the isolated subnet.
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "web", "image": "nginx", "memory": 512, "essential": True}
        ],
    )
    ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition="web",
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [isolated],
                "securityGroups": [task_sg_a],
                "assignPublicIp": "DISABLED",
            }
        },
    )
    ecs.register_task_definition(
        family="other",
        containerDefinitions=[{"name": "o", "image": "nginx", "memory": 512}],
    )
    ecs.create_service(cluster="prod", serviceName="other", taskDefinition="other", desiredCount=0)
    out.update(references(c))
    return out


def references(c):
    """What the task definition `refs` references: secrets (one encrypted with a customer
    managed key named by its alias, one scheduled for deletion), parameters (a SecureString
    under the same key), log groups, and environment files in a bucket with a policy. The
    missing ones are simply not created."""
    sm, ssm, kms, logs, s3 = c["secretsmanager"], c["ssm"], c["kms"], c["logs"], c["s3"]
    out = {}
    key = kms.create_key(Description="app secrets")["KeyMetadata"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    out["key_id"] = key["KeyId"]
    out["secret_db"] = sm.create_secret(
        Name="app/db", SecretString='{"password": "never-read"}', KmsKeyId="alias/app"
    )["ARN"]
    out["secret_api"] = sm.create_secret(Name="app/api", SecretString="never-read")["ARN"]
    out["secret_old"] = sm.create_secret(Name="app/old", SecretString="never-read")["ARN"]
    sm.delete_secret(SecretId="app/old", RecoveryWindowInDays=7)
    ssm.put_parameter(Name="/app/host", Value="db.internal", Type="String")
    ssm.put_parameter(
        Name="/app/token", Value="never-read", Type="SecureString", KeyId=key["KeyId"]
    )
    for group in ("/ecs/web", "/ecs/refs"):
        logs.create_log_group(logGroupName=group)
    s3.create_bucket(Bucket="app-config")
    s3.put_object(Bucket="app-config", Key="web.env", Body=b"MODE=prod\n")
    out["bucket_policy"] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "NoPlainHttp",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::app-config/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )
    s3.put_bucket_policy(Bucket="app-config", Policy=out["bucket_policy"])
    return out


def bench(c, roles):
    """`roles` roles, 30 repositories (2 tags each), one VPC with 10 subnets; 5 secrets under
    one customer managed key, 5 parameters, 5 log groups, a bucket with 5 environment files."""
    iam, ecr, ec2 = c["iam"], c["ecr"], c["ec2"]
    out = {"account": ACCOUNT, "region": REGION, "roles": [], "repos": [], "subnets": []}
    key = c["kms"].create_key()["KeyMetadata"]["KeyId"]
    out["secrets"] = [
        c["secretsmanager"].create_secret(Name=f"bench/s{i}", SecretString="x", KmsKeyId=key)[
            "ARN"
        ]
        for i in range(5)
    ]
    out["parameters"] = []
    out["log_groups"] = []
    c["s3"].create_bucket(Bucket="bench-config")
    out["objects"] = []
    for i in range(5):
        c["ssm"].put_parameter(Name=f"/bench/p{i}", Value="x", Type="String")
        out["parameters"].append(f"/bench/p{i}")
        c["logs"].create_log_group(logGroupName=f"/ecs/bench-{i}")
        out["log_groups"].append(f"/ecs/bench-{i}")
        c["s3"].put_object(Bucket="bench-config", Key=f"env/{i}.env", Body=b"A=1\n")
        out["objects"].append(f"arn:aws:s3:::bench-config/env/{i}.env")
    for i in range(roles):
        out["roles"].append(role(iam, f"bench-exec-{i}", managed=[EXEC_POLICY]))
    for i in range(30):
        name = f"bench/app-{i}"
        ecr.create_repository(repositoryName=name)
        push(ecr, name, 100 + 2 * i, "1.0")
        push(ecr, name, 101 + 2 * i, "2.0")
        out["repos"].append(name)
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    for i in range(10):
        out["subnets"].append(
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24")["Subnet"]["SubnetId"]
        )
    out["security_group"] = ec2.create_security_group(
        GroupName="bench", Description="bench", VpcId=vpc
    )["GroupId"]
    return out


def readers(c):
    """IAM users for the collector, once moto enforces IAM (POST /moto-api/reset-auth 0):
    `reader` has exactly the shipped read-only policy; `partial` lacks four of its actions."""
    iam = c["iam"]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "examples", "aws", "read-only-policy.json")) as f:
        policy = json.load(f)
    out = {}
    for user, drop in (
        ("reader", set()),
        (
            "partial",
            {
                "ecr:GetLifecyclePolicy",
                "iam:ListAttachedRolePolicies",
                "logs:DescribeLogGroups",
                "kms:ListGrants",
            },
        ),
    ):
        document = json.loads(json.dumps(policy))
        for statement in document["Statement"]:
            statement["Action"] = [a for a in statement["Action"] if a not in drop]
        # A statement left without actions is not a valid policy statement.
        document["Statement"] = [s for s in document["Statement"] if s["Action"]]
        iam.create_user(UserName=user)
        iam.put_user_policy(
            UserName=user, PolicyName="ecs-preflight", PolicyDocument=json.dumps(document)
        )
        key = iam.create_access_key(UserName=user)["AccessKey"]
        out[user] = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    return out


def main():
    endpoint, scenario = sys.argv[1], sys.argv[2]
    c = clients(endpoint)
    if scenario == "world":
        out = world(c)
    elif scenario == "world+readers":
        out = world(c)
        out["readers"] = readers(c)
    elif scenario == "bench":
        out = bench(c, int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
