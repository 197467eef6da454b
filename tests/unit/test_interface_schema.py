"""The specification's schema (interfaces/anbox_ports/v1/schema.py) and the library's decoder agree.

schema.py imports pydantic alone, as charm-relation-interfaces and charmlibs expect, so it is a
second implementation of the databag rules: here both judge the same databags, good and bad.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from anbox_cloud_ports.databag import DecodedUnit, PublishedClaim, decode_unit, encode_provider
from anbox_cloud_ports.ports import PortRange

SPEC = Path(__file__).resolve().parents[2] / "interfaces" / "anbox_ports" / "v1"
MODEL = "0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40"


def _load_schema() -> ModuleType:
    spec = importlib.util.spec_from_file_location("anbox_ports_v1_schema", SPEC / "schema.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


schema = _load_schema()


def test_the_schema_imports_without_the_library() -> None:
    code = (
        "import sys, schema; "
        "loaded = [m for m in sys.modules if m.startswith('anbox_cloud_ports')]; "
        "assert not loaded, loaded; print(sorted(schema.ProviderSchema.model_fields))"
    )
    env = {**os.environ, "PYTHONPATH": str(SPEC)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['app', 'unit']"


def test_charmlibs_model_names_are_there() -> None:
    for name in ("ProviderUnitData", "ProviderAppData", "RequirerUnitData", "RequirerAppData"):
        assert hasattr(schema, name), name


def _both(databag: dict[str, str]) -> tuple[bool, bool]:
    library = isinstance(decode_unit("ams/0", databag, app="ams"), DecodedUnit)
    try:
        schema.ProviderUnitData.model_validate(databag)
    except (ValidationError, ValueError):
        return library, False
    return library, True


GOOD = encode_provider(
    "ams-lxd",
    "charmed",
    MODEL,
    "1/lxd/0",
    [
        PublishedClaim(PortRange.parse("8443/tcp"), "internal", False, "default", held=True),
        PublishedClaim(
            PortRange.parse("20000-21000/udp"),
            "public",
            True,
            "option:exposed_instance_ports",
            held=False,
            moved_from=PortRange.parse("10000-11000/udp"),
        ),
    ],
)
_CLAIM: dict[str, Any] = {"endpoint": "", "exposed": False, "port": "8444/tcp", "source": "default"}

CHANGES: list[dict[str, str | None]] = [
    {},
    {"ingress-address": "10.0.0.1", "claims-v2": "[]"},
    {"claims": json.dumps([{**_CLAIM, "priority": {"later": "field"}}])},
    {"claims": json.dumps([{**_CLAIM, "port": "80"}, {**_CLAIM, "port": "ICMP"}])},
    {"claims": json.dumps([{**_CLAIM, "port": "0/tcp"}])},
    {"claims": json.dumps([{**_CLAIM, "port": "70000/tcp"}])},
    {"claims": json.dumps([{**_CLAIM, "port": "20-10/udp"}])},
    {"claims": json.dumps([{**_CLAIM, "port": "80/sctp"}])},
    {"claims": json.dumps([{**_CLAIM, "port": "80/tcp; rm -rf /"}])},
    {"claims": json.dumps([{**_CLAIM, "held": "yes"}])},
    {"claims": json.dumps([{**_CLAIM, "moved_from": "x"}])},
    {"claims": json.dumps([{k: v for k, v in _CLAIM.items() if k != "endpoint"}])},
    {"claims": json.dumps([{**_CLAIM, "source": "whim"}])},
    {"claims": json.dumps([_CLAIM] * 1001)},
    {"claims": "not json"},
    {"claims": None},
    {"version": "0"},
    {"version": '"1"'},
    {"version": "2"},
    {"profile": '"desktop"'},
    {"model": '"../etc"'},
    {"machine": '"0/lxd/1"'},
    {"machine": '"0\\n1"'},
    {"machine": "0"},
    {"service": '"Ams"'},
    {"service": '"' + "a" * 300_000 + '"'},
]


@pytest.mark.parametrize("change", CHANGES)
def test_the_schema_and_the_decoder_judge_alike(change: dict[str, str | None]) -> None:
    databag = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    library, spec = _both(databag)
    assert library == spec, (change, library, spec)


_PORT_TEXT = st.one_of(
    st.from_regex(r"[0-9]{1,6}(-[0-9]{1,6})?(/(tcp|udp|TCP|icmp|sctp))?", fullmatch=True),
    st.sampled_from(["icmp", "ICMP", "", "80/", "-1/tcp", "1-2-3", "+80/tcp"]),
)


@settings(max_examples=200)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "port": _PORT_TEXT,
                "endpoint": st.sampled_from(["", "public", "Bad", "a b"]),
                "exposed": st.booleans(),
            },
            optional={
                "source": st.sampled_from(["default", "extra", "option:port", "opt"]),
                "held": st.booleans(),
            },
        ),
        max_size=4,
    )
)
def test_random_claims_are_judged_alike(claims: list[dict[str, Any]]) -> None:
    library, spec = _both({**GOOD, "claims": json.dumps(claims)})
    assert library == spec, claims


def test_interface_yaml_is_complete_and_names_a_library_that_exists() -> None:
    import yaml

    document = yaml.safe_load((SPEC / "interface.yaml").read_text())
    assert {
        "name",
        "version",
        "status",
        "lib",
        "summary",
        "description",
        "providers",
        "requirers",
        "maintainer",
    } <= set(document)
    assert (document["name"], document["version"], document["status"]) == ("anbox_ports", 1, "draft")
    assert "\n" not in document["summary"].strip()
    importlib.import_module(document["lib"])
    # No guessed URLs: a charm is listed only once it is published where its url says.
    assert "http" not in (SPEC / "interface.yaml").read_text()
