"""Shared helpers for the Kubernetes layer tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "k8s"
SHARED = REPO / ".." / "shared"
