"""A moto server on 127.0.0.1 (real boto3 over HTTP) and the estate the live tests build in it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.aws_estate import Built, build_estate

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    home = tmp_path_factory.mktemp("aws-home")
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret-never-in-output",
        "AWS_SESSION_TOKEN": "testing-token-never-in-output",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def built(moto_url: str) -> Built:
    return build_estate(moto_url, REGION)


@pytest.fixture(scope="session")
def snapshot(built: Built, moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    import json

    from iacscan.live.aws_collect import collect_regions

    doc = collect_regions([REGION], endpoint_url=moto_url)
    path = tmp_path_factory.mktemp("snap") / "estate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in path.read_text()
    return path, doc
