"""The JSON renderer's own layout against `json.dumps(indent=2)`, which it stands in for."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import Host
from anbox_cloud_ports.render.as_json import finding_json, indented, render_json, report_json
from anbox_cloud_ports.render.common import host_name
from anbox_cloud_ports.sources import load_inputs

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner)
        | st.lists(st.text())
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner)
        | st.dictionaries(st.integers() | st.booleans() | st.none(), inner)
    ),
    max_leaves=30,
)


@given(_DOCUMENTS)
def test_indented_is_json_dumps_with_indent_2(document: object):
    assert indented(document) == json.dumps(document, indent=2)


@pytest.mark.parametrize("document", [{"a": {1, 2}}, [object()]])
def test_a_type_json_does_not_know_fails_as_json_dumps_does(document: object):
    with pytest.raises(TypeError) as expected:
        json.dumps(document, indent=2)
    with pytest.raises(TypeError, match=f"^{re.escape(str(expected.value))}$"):
        indented(document)


def test_a_report_renders_as_json_dumps_would():
    from tests.bench.anbox_shapes import status_json

    text = status_json(300)
    report = check(load_inputs([(text.encode(), "status.json")]), catalog=Catalog.builtin())
    rendered = render_json(report)
    assert rendered == json.dumps(report_json(report), indent=2) + "\n"
    assert any(len(finding["units"]) > 10 for finding in json.loads(rendered)["findings"])


@pytest.mark.parametrize("models", [("",), ("", "edge"), ("core", "edge")])
def test_hosts_are_named_as_host_name_names_them(models: tuple[str, ...]):
    from tests.bench.anbox_shapes import status_json

    text = status_json(40)
    finding = check(load_inputs([(text.encode(), "status.json")]), catalog=Catalog.builtin()).findings[0]
    hosts = tuple(Host(str(i), models[i % len(models)]) for i in range(70))
    assert finding_json(finding._replace(hosts=hosts))["hosts"] == [host_name(h) for h in hosts]
