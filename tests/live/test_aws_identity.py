"""Live confirmation by identity when instances carry no Name tag, and live VPC peering.

Built through real boto3 calls against the moto server, in a region of its own so the estate of
``aws_estate.py`` is untouched; ``fixtures/live/identity/main.tf`` is the code side:

* ``aws_instance.worker[0..1]`` (no Name tag): two live instances with the ``worker`` group of a
  VPC without Name tag (matched by group name + VPC CIDR) -> confirmed, one live instance each;
* ``aws_autoscaling_group.web``: a live instance tagged ``aws:autoscaling:groupName = web-asg``;
* ``aws_eks_node_group.ng``: two live instances tagged ``eks:nodegroup-name = ng-1``, only one of
  them with the ``nodes`` group that opens the kubelet -> confirmed by that one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iacscan.cli import main
from iacscan.ingest import ScanOptions
from iacscan.pipeline import scan

REGION = "us-west-2"
ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "fixtures" / "live" / "identity"
WORLD = [{"CidrIp": "0.0.0.0/0"}]


def _build(url: str) -> dict[str, Any]:
    import boto3

    ec2 = boto3.session.Session(region_name=REGION).client("ec2", endpoint_url=url)
    ids: dict[str, Any] = {}
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24", AvailabilityZone=REGION + "a")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)

    def sg(name: str, port: int | None, vpc_id: str = vpc, cidrs: list[dict[str, str]] = WORLD) -> str:
        gid = str(ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)["GroupId"])
        ec2.revoke_security_group_egress(
            GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        if port is not None:
            ec2.authorize_security_group_ingress(
                GroupId=gid, IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": cidrs}]
            )
        return gid

    def instance(group: str, tags: dict[str, str], sub: str = subnet) -> str:
        kw: dict[str, Any] = {}
        if tags:
            kw["TagSpecifications"] = [
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ]
        return str(
            ec2.run_instances(
                ImageId="ami-12c6146b",
                InstanceType="t3.micro",
                MinCount=1,
                MaxCount=1,
                SubnetId=sub,
                SecurityGroupIds=[group],
                **kw,
            )["Instances"][0]["InstanceId"]
        )

    worker, web, nodes, other = sg("worker", 22), sg("web", 8080), sg("nodes", 10250), sg("other", None)
    ids["workers"] = [instance(worker, {}), instance(worker, {})]
    ids["web"] = instance(web, {"aws:autoscaling:groupName": "web-asg"})
    ids["ng-closed"] = instance(other, {"eks:nodegroup-name": "ng-1"})
    ids["ng-open"] = instance(nodes, {"eks:nodegroup-name": "ng-1"})

    # Peering: 10.60/16 peers with the VPC above, routes both ways; its ssh host admits 10.0.0.0/8.
    pvpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    psub = ec2.create_subnet(VpcId=pvpc, CidrBlock="10.60.1.0/24", AvailabilityZone=REGION + "a")["Subnet"]["SubnetId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=pvpc)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.60.0.0/16", VpcPeeringConnectionId=pcx)
    prt = ec2.create_route_table(VpcId=pvpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=prt, DestinationCidrBlock="10.50.0.0/16", VpcPeeringConnectionId=pcx)
    ec2.associate_route_table(RouteTableId=prt, SubnetId=psub)
    ids["peer-vpc"], ids["vpc"], ids["pcx"] = pvpc, vpc, pcx

    # An internal ALB whose target group registers the ASG instance by private IP (target_type ip).
    elbv2 = boto3.session.Session(region_name=REGION).client("elbv2", endpoint_url=url)
    sub_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.2.0/24", AvailabilityZone=REGION + "b")["Subnet"]["SubnetId"]
    lb = elbv2.create_load_balancer(Name="ipt", Subnets=[subnet, sub_b], SecurityGroups=[web], Scheme="internal")
    tg = elbv2.create_target_group(Name="ipt", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    inst = ec2.describe_instances(InstanceIds=[ids["web"]])["Reservations"][0]["Instances"][0]
    elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": inst["PrivateIpAddress"], "Port": 8080}])
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )
    ids["ip-tg"] = tg_arn
    ids["peer-host"] = instance(sg("peer-ssh", 22, pvpc, [{"CidrIp": "10.0.0.0/8"}]), {"Name": "peer-host"}, psub)
    return ids


@pytest.fixture(scope="module")
def estate(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from iacscan.live.aws_collect import collect_regions

    ids = _build(moto_url)
    path = tmp_path_factory.mktemp("identity") / "snap.json"
    path.write_text(json.dumps(collect_regions([REGION], endpoint_url=moto_url)), encoding="utf-8")
    return path, ids


def test_snapshot_exposes_group_tags_and_security_groups(estate: tuple[Path, dict[str, Any]]) -> None:
    path, ids = estate
    r = scan([path], ScanOptions(), layers=("aws-snapshot",))
    ident = dict(r.model.endpoints[ids["ng-open"]].identity)
    assert ident["eks"] == "ng-1" and ident["sg"] == "10.50.0.0/16/nodes"
    assert dict(r.model.endpoints[ids["web"]].identity)["asg"] == "web-asg"


def test_confirm_unnamed_instances_asg_and_node_group(
    estate: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, ids = estate
    argv = ["scan", str(TF), "--no-cache", "--format", "json", "--fail-on", "none"]
    code = main([*argv, "--confirm", "aws", "--live-snapshot", str(path)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    got = {(f["rule"], f["target"]): f["confirmation"] for f in doc["findings"] if f["source"] == "internet"}
    status = {k: (v["status"], v["live_id"]) for k, v in got.items()}
    w0, w1 = (
        status[("mgmt-api-internet", "aws_instance.worker[0]")],
        status[("mgmt-api-internet", "aws_instance.worker[1]")],
    )
    assert w0[0] == w1[0] == "confirmed"
    assert {w0[1], w1[1]} == set(ids["workers"])  # one live instance each, none left as live-only
    assert status[("internet-exposed", "aws_autoscaling_group.web")] == ("confirmed", ids["web"])
    assert status[("mgmt-api-internet", "aws_eks_node_group.ng")] == ("confirmed", ids["ng-open"])
    assert not [k for k, v in got.items() if v["status"] == "live-only" and k[0] != "mgmt-api-lan"]


def test_live_peering_gives_peer_lan_reach(estate: tuple[Path, dict[str, Any]]) -> None:
    path, ids = estate
    r = scan([path], ScanOptions(), layers=("aws-snapshot",))
    got = {(f.rule, f.source, f.target) for f in r.findings if f.target == ids["peer-host"]}
    assert got == {
        ("mgmt-api-lan", "lan", ids["peer-host"]),
        ("mgmt-api-lan", f"peer:{ids['vpc']}", ids["peer-host"]),
    }
    conns = {(s, t) for c in r.model.conns for s in c.sources for t in c.targets}
    assert (ids["workers"][0], ids["peer-host"]) not in conns  # the worker group has no egress


def test_ip_targets_resolve_to_the_instance_holding_the_address(estate: tuple[Path, dict[str, Any]]) -> None:
    from iacscan.ingest.aws_snapshot import convert
    from iacscan.source import Diagnostics, Location

    path, ids = estate
    doc = json.loads(path.read_text(encoding="utf-8"))
    e = convert(doc["regions"][REGION], Location(str(path)), Diagnostics(), REGION)
    tg = e.target_groups[ids["ip-tg"]]
    assert tg.target_type == "ip" and tg.targets == ((ids["web"], 8080),)


def test_not_deployed_names_the_identity_looked_for(
    snapshot: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    other_region, _ = snapshot  # the us-east-1 estate: none of this code is deployed there
    argv = ["scan", str(TF), "--no-cache", "--format", "json", "--fail-on", "none"]
    assert main([*argv, "--confirm", "aws", "--live-snapshot", str(other_region)]) == 0
    doc = json.loads(capsys.readouterr().out)
    got = {f["target"]: f["confirmation"] for f in doc["findings"] if f["source"] == "internet"}
    assert got["aws_eks_node_group.ng"]["status"] == "not-deployed"
    assert got["aws_eks_node_group.ng"]["detail"] == "no live instance tagged eks:nodegroup-name='ng-1'"
    assert got["aws_instance.worker[0]"]["detail"] == "no live aws_instance with security groups 10.50.0.0/16/worker"
