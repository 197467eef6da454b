"""Configured InterfaceTesters for each role, for interfaces/anbox_ports/v1/interface_tests.

A spec runner (charm-relation-interfaces' or this repository's tests/unit/test_interface_tester.py)
asks for these fixtures by name; the configuration lives in plain functions so that the local
test can point the same setup at a local copy of the spec.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from interface_tester import InterfaceTester

from .provider import CONFIG as PROVIDER_CONFIG
from .provider import META as PROVIDER_META
from .provider import ProviderCharm
from .requirer import META as REQUIRER_META
from .requirer import RequirerCharm

# The repository holding interfaces/anbox_ports: this checkout (the tester fetches it with git clone).
SPEC_REPO = Path(__file__).resolve().parents[3].as_uri()
INTERFACE = "anbox_ports"
VERSION = 1


def configure_provider(tester: InterfaceTester, *, repo: str = SPEC_REPO, branch: str = "main") -> None:
    tester.configure(
        charm_type=ProviderCharm,
        meta=PROVIDER_META,
        config=PROVIDER_CONFIG,
        repo=repo,
        branch=branch,
        interface_name=INTERFACE,
        interface_version=VERSION,
    )


def configure_requirer(tester: InterfaceTester, *, repo: str = SPEC_REPO, branch: str = "main") -> None:
    tester.configure(
        charm_type=RequirerCharm,
        meta=REQUIRER_META,
        repo=repo,
        branch=branch,
        interface_name=INTERFACE,
        interface_version=VERSION,
    )


@pytest.fixture
def provider_interface_tester(interface_tester: InterfaceTester) -> InterfaceTester:
    configure_provider(interface_tester)
    return interface_tester


@pytest.fixture
def requirer_interface_tester(interface_tester: InterfaceTester) -> InterfaceTester:
    configure_requirer(interface_tester)
    return interface_tester
