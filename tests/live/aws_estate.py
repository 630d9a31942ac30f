"""Builds, through real boto3 calls against the test's moto server, the estate that
``fixtures/live/terraform/main.tf`` describes — with deliberate drift:

* ``bastion`` (ssh from the internet): the same live and in Terraform → confirmed;
* ``prod-eks`` public endpoint: the same → confirmed;
* ``admin`` instance: Terraform opens ssh and rdp to the internet, live only ssh → differs;
* ``legacy`` instance: in Terraform only → not-deployed;
* ``debug`` instance with redis open to the internet: live only → live-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WORLD = [{"CidrIp": "0.0.0.0/0"}]


@dataclass
class Built:
    ids: dict[str, str] = field(default_factory=dict)  # logical name -> live id / ARN


def _tags(name: str, kind: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def build_estate(url: str, region: str) -> Built:
    import boto3

    s = boto3.session.Session(region_name=region)
    ec2 = s.client("ec2", endpoint_url=url)
    elbv2 = s.client("elbv2", endpoint_url=url)
    rds = s.client("rds", endpoint_url=url)
    eks = s.client("eks", endpoint_url=url)
    b = Built()

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=_tags("prod-vpc", "vpc"))["Vpc"]["VpcId"]
    b.ids["vpc"] = vpc
    subnets = {}
    for name, cidr, az in (
        ("public-a", "10.0.1.0/24", "a"),
        ("public-b", "10.0.2.0/24", "b"),
        ("private-a", "10.0.10.0/24", "a"),
        ("private-b", "10.0.11.0/24", "b"),
    ):
        sid = ec2.create_subnet(
            VpcId=vpc, CidrBlock=cidr, AvailabilityZone=region + az, TagSpecifications=_tags(name, "subnet")
        )["Subnet"]["SubnetId"]
        subnets[name] = sid
        b.ids[name] = sid
        if name.startswith("public"):
            ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway(TagSpecifications=_tags("prod-igw", "internet-gateway"))["InternetGateway"][
        "InternetGatewayId"
    ]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tags("public", "route-table"))["RouteTable"][
        "RouteTableId"
    ]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for n in ("public-a", "public-b"):
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=subnets[n])
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(
        SubnetId=subnets["public-a"], AllocationId=alloc, TagSpecifications=_tags("prod-nat", "natgateway")
    )["NatGateway"]["NatGatewayId"]
    private_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tags("private", "route-table"))["RouteTable"][
        "RouteTableId"
    ]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for n in ("private-a", "private-b"):
        ec2.associate_route_table(RouteTableId=private_rt, SubnetId=subnets[n])

    # A NACL for the private subnets: requests from the VPC only, responses anywhere.
    nacl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=_tags("private", "network-acl"))["NetworkAcl"][
        "NetworkAclId"
    ]
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=nacl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="10.0.0.0/16" if not egress else "0.0.0.0/0",
            PortRange={"From": 0, "To": 65535},
        )
    ec2.create_network_acl_entry(
        NetworkAclId=nacl,
        RuleNumber=110,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 1024, "To": 65535},
    )
    default_assocs = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
    for acl in default_assocs:
        for a in acl.get("Associations", []):
            if a["SubnetId"] in (subnets["private-a"], subnets["private-b"]):
                ec2.replace_network_acl_association(AssociationId=a["NetworkAclAssociationId"], NetworkAclId=nacl)
    b.ids["nacl"] = nacl

    def sg(name: str, ingress: list[dict[str, Any]]) -> str:
        gid = str(
            ec2.create_security_group(
                GroupName=name, Description=name, VpcId=vpc, TagSpecifications=_tags(name, "security-group")
            )["GroupId"]
        )
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=ingress)
        b.ids[name] = gid
        return gid

    bastion_sg = sg("bastion", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": WORLD}])
    admin_sg = sg("admin", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": WORLD}])
    debug_sg = sg("debug", [{"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "IpRanges": WORLD}])
    alb_sg = sg("alb", [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": WORLD}])
    app_sg = sg(
        "app",
        [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": alb_sg}]}],
    )
    db_sg = sg(
        "db", [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app_sg}]}]
    )

    def instance(name: str, subnet: str, group: str) -> str:
        iid = str(
            ec2.run_instances(
                ImageId="ami-12c6146b",
                InstanceType="t3.micro",
                MinCount=1,
                MaxCount=1,
                SubnetId=subnets[subnet],
                SecurityGroupIds=[group],
                TagSpecifications=_tags(name, "instance"),
            )["Instances"][0]["InstanceId"]
        )
        b.ids[name] = iid
        return iid

    instance("bastion", "public-a", bastion_sg)
    instance("admin", "public-b", admin_sg)
    instance("debug", "public-b", debug_sg)
    apps = [instance("app-1", "private-a", app_sg), instance("app-2", "private-b", app_sg)]

    lb = elbv2.create_load_balancer(
        Name="web",
        Subnets=[subnets["public-a"], subnets["public-b"]],
        SecurityGroups=[alb_sg],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="app", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in apps])
    elbv2.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}]
    )
    b.ids["web"] = lb
    b.ids["app-tg"] = tg

    rds.create_db_subnet_group(
        DBSubnetGroupName="db",
        DBSubnetGroupDescription="db",
        SubnetIds=[subnets["private-a"], subnets["private-b"]],
    )
    db = rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password-1",
        DBSubnetGroupName="db",
        VpcSecurityGroupIds=[db_sg],
        PubliclyAccessible=False,
    )["DBInstance"]["DBInstanceArn"]
    b.ids["orders"] = db

    cluster = eks.create_cluster(
        name="prod-eks",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={
            "subnetIds": [subnets["private-a"], subnets["private-b"]],
            "endpointPublicAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
    )["cluster"]["arn"]
    b.ids["prod-eks"] = cluster
    return b
