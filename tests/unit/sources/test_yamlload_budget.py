"""yamlload: documents of any size up to the limit are read or refused within a node budget."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources import load, yamlload
from anbox_cloud_ports.sources.yamlload import json_values

# The budget is read when a document is read: a small one keeps these tests fast, and the hostile
# documents in tests/fuzz/fuzz_targets.py BOMBS meet the real one.
BUDGET = 1000


@pytest.fixture(autouse=True)
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlload, "MAX_NODES", BUDGET)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("1", 1),
        ("[1,2,3]", 4),
        ('{"a": 1, "b": [2, 3]}', 7),
        ('{"a": {"b": {"c": 1}}}', 7),
        ("[]", 2),  # one more per empty array or object: an upper bound
    ],
)
def test_json_values_counts_what_json_would_build(text: str, values: int):
    assert json_values(text) == values


def test_json_values_ignores_punctuation_inside_strings_when_it_matters():
    text = '["' + ",:[{" * BUDGET + '"]'
    assert json_values(text) == 2


def test_a_yaml_document_of_more_nodes_than_the_budget_is_refused_for_that_reason():
    text = "[" + ",".join(["1"] * (BUDGET + 1)) + "]\n"
    with pytest.raises(InputError) as caught:
        yamlload.load(text, "flow.yaml")
    assert str(caught.value) == (
        f"flow.yaml: the input holds more than {BUDGET} YAML nodes; no bundle or juju status needs "
        "that many: refusing it"
    )


def test_the_budget_counts_every_document_of_a_stream():
    doc = "[" + ",".join(["1"] * (BUDGET // 4)) + "]\n"
    with pytest.raises(InputError, match="YAML nodes"):
        yamlload.load("---\n".join([doc] * 5), "stream.yaml")


def test_explicitly_tagged_nodes_count_too():
    text = "[" + ",".join(["!!str a"] * (BUDGET + 1)) + "]\n"
    with pytest.raises(InputError, match="YAML nodes"):
        yamlload.load(text, "tags.yaml")


def test_a_json_document_of_more_values_than_the_budget_is_refused_before_it_is_built():
    text = '{"a": [' + ",".join(["1"] * BUDGET) + "]}"
    with pytest.raises(InputError) as caught:
        load(text, input="big.json")
    assert str(caught.value) == (
        f"big.json: the input holds {BUDGET + 3} JSON values; no bundle or juju status needs more "
        f"than {BUDGET}: refusing it"
    )


def test_a_document_within_the_budget_is_read():
    text = "[" + ",".join(["1"] * (BUDGET - 1)) + "]\n"
    [document] = yamlload.load(text, "flow.yaml").documents
    assert isinstance(document, list)
    assert len(document) == BUDGET - 1
