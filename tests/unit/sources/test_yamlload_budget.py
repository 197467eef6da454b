"""yamlload: documents of any size up to the limit are read or refused within a node budget."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

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


_JSON_TEXTS = st.recursive(
    st.none() | st.integers() | st.text(alphabet='a:,[{" \\', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet='a: ",', max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
).flatmap(
    lambda doc: st.sampled_from([(",", ":"), (", ", ": "), (",", " :"), (",\n", ":\t")]).map(
        lambda separators: json.dumps(doc, separators=separators)
    )
)


def _outcome(text: str) -> object:
    try:
        parsed = yamlload.load(text, "in.json")
    except InputError as err:
        return str(err)
    return (parsed.documents, parsed.is_json)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(
    text=_JSON_TEXTS | st.text(alphabet='a:,[{}]" \\\n', max_size=40).map("{".__add__),
    budget=st.integers(0, 40),
)
@example(text="{a:1,b:2,c:3}", budget=6)  # YAML: no `":`, yet refused as too many JSON values before
def test_the_key_colons_count_reads_and_refuses_as_the_plain_count(
    monkeypatch: pytest.MonkeyPatch, text: str, budget: int
):
    """A text read with the `":` count is read, or refused, exactly as with the plain count alone."""
    monkeypatch.setattr(yamlload, "MAX_NODES", budget)
    shared = _outcome(text)
    monkeypatch.setattr(yamlload, "_key_colons", lambda _text: None)
    assert shared == _outcome(text)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(text=_JSON_TEXTS, budget=st.integers(0, 40))
def test_the_key_colons_bound_what_json_builds(monkeypatch: pytest.MonkeyPatch, text: str, budget: int):
    """Of JSON text, the `":` count refuses whatever the plain count refuses, naming the same count."""
    monkeypatch.setattr(yamlload, "MAX_NODES", budget)
    plain = json_values(text)
    shared = json_values(text, yamlload._key_colons(text))  # pyright: ignore[reportPrivateUsage]
    assert (shared > budget) == (plain > budget)
    if plain > budget:
        assert shared == plain
