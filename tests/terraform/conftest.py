"""Fixtures for the Terraform ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tf_helpers import Loader, make_loader


@pytest.fixture
def load(tmp_path: Path) -> Loader:
    return make_loader(tmp_path)
