"""The YAML/JSON reader: lines, Go-relevant scalar texts, `<<` where it stands, duplicate keys."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources import yamlload
from anbox_cloud_ports.sources.yamlload import JsonFloat, assignments, line_of, load, scalar_text
from anbox_cloud_ports.text import quote


def document(text: str) -> dict[str, object]:
    [doc] = load(text, "t.yaml").documents
    assert isinstance(doc, dict)
    return doc  # type: ignore[return-value]


# -- the `<<` merge key, as yaml.v2 applies it (docs/juju-facts.md#bundle-yaml) ------------------------


def test_a_key_before_the_merge_is_overwritten_and_one_after_it_wins():
    """The probe's own case: `x: {a: 2, <<: *b, c: 3}` with b = {a: 1, b: 1} gives a=1, b=1, c=3."""
    doc = document("base: &b {a: 1, b: 1}\nx:\n  a: 2\n  <<: *b\n  c: 3\ny:\n  <<: *b\n  a: 5\n")
    assert doc["x"] == {"a": 1, "b": 1, "c": 3}
    assert doc["y"] == {"a": 5, "b": 1}
    assert line_of(doc["x"], "a") == 1  # the value came from the anchored map on line 1
    assert line_of(doc["y"], "a") == 8


def test_from_a_list_of_maps_the_earlier_map_wins():
    """yaml.v2 applies `<<: [*a, *b]` from the last map to the first: `{charm: first, num_units: 2}`."""
    doc = document("x:\n  <<: [{charm: first}, {charm: second, num_units: 2}]\n")
    assert doc["x"] == {"charm": "first", "num_units": 2}


def test_every_assignment_is_kept_in_order_where_a_merge_is():
    """Juju decodes each assignment into its struct field: a map field merges key by key."""
    doc = document("x:\n  <<: {options: {a: 1, b: 1}}\n  options: {b: 2}\nplain: {options: {b: 2}}\n")
    assert assignments(doc["x"], "options") == [{"a": 1, "b": 1}, {"b": 2}]
    assert assignments(doc["plain"], "options") == [{"b": 2}]
    assert assignments(doc["plain"], "missing") == []


def test_a_merge_of_something_else_is_refused_in_yaml_v2s_words():
    with pytest.raises(InputError, match=r"map merge requires map or sequence of maps as the value"):
        load("x:\n  <<: 3\n", "t.yaml")


def test_explicit_keys_may_still_not_repeat():
    with pytest.raises(InputError, match=r't\.yaml:3: mapping key "a" already defined at line 2'):
        load("x:\n  a: 1\n  a: 2\n", "t.yaml")


# -- scalar texts for Go readers ----------------------------------------------------------------------


def test_plain_scalars_keep_their_text_where_go_could_read_them_otherwise():
    doc = document('to: [010, 0x1, 1.0, true, ~, 0o7, 1_0, 1e+3, y, nats, "010", ams]\n')
    to = doc["to"]
    assert isinstance(to, list)
    texts = [scalar_text(to, i) for i in range(len(to))]
    assert texts == ["010", "0x1", "1.0", "true", "~", "0o7", "1_0", "1e+3", "y", None, None, None]


def test_plain_keys_are_their_text_as_go_reads_them():
    """Probe: `{0x1: {}, 010: {}, 1: {}, 1.0: {}, ~: {}}` gives the keys "0x1", "010", "1", "1.0", ""."""
    doc = document("machines: {0x1: {}, 010: {}, 1: {}, 1.0: {}, ~: {}, '7': {}, lxd: {}}\n")
    assert list(doc["machines"]) == ["0x1", "010", "1", "1.0", "", "7", "lxd"]  # type: ignore[call-overload]


def test_json_numbers_keep_their_text():
    doc = document('{"a": 1.0, "b": 1e3, "c": 2}')
    assert (scalar_text(doc, "a"), scalar_text(doc, "b"), scalar_text(doc, "c")) == ("1.0", "1e3", None)
    assert doc == {"a": 1.0, "b": 1000.0, "c": 2}


# -- JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"applications": {"ams": {"charm": "ams"}, "ams": {"charm": "x"}}}',
        '{"model": {"name": "m"}, "model": {"name": "n"}}',
        '{"ams/0": {"charm": "ams", "leader": true, "leader": false}}',
    ],
)
def test_a_key_repeated_in_a_json_object_is_refused_as_in_yaml(text: str):
    with pytest.raises(InputError) as info:
        load(text, "dump.json")
    assert str(info.value).startswith("dump.json: invalid JSON: key ")
    assert "is defined twice in one object" in str(info.value)


def test_the_duplicate_check_keeps_json_fast():
    """Figures, not a timed assertion (about +45% over json.loads alone): a status-like document."""
    units = {
        f"app{i}/{j}": {"machine": str(i), "open-ports": ["80/tcp"]} for i in range(300) for j in range(30)
    }
    text = json.dumps({"model": {"name": "m"}, "applications": {"app": {"units": units}}})
    started = time.perf_counter()
    load(text, "s.json")
    ours = time.perf_counter() - started
    started = time.perf_counter()
    json.loads(text)
    plain = time.perf_counter() - started
    print(f"{len(text) / 1e6:.1f} MB: load {ours * 1000:.0f} ms, json.loads alone {plain * 1000:.0f} ms")
    assert load(text, "s.json").documents[0] == json.loads(text)


# -- the repeated-key check without pairs, held to the check by pairs -----------------------------------


def _by_pairs(text: str) -> tuple[str, object]:
    """What `load` read before the counting shortcut: every object through `_object`, or the error."""
    try:
        return ("document", json.loads(text, object_pairs_hook=yamlload._object, parse_float=JsonFloat))  # pyright: ignore[reportPrivateUsage]
    except yamlload._DuplicateKeyError as err:  # pyright: ignore[reportPrivateUsage]
        return ("repeated", err.args[0])
    except (ValueError, RecursionError):
        return ("not json", None)


def _by_load(text: str) -> tuple[str, object]:
    try:
        parsed = load(text, "s.json")
    except InputError as err:
        if str(err).startswith("s.json: invalid JSON: key "):
            return ("repeated", str(err))
        return ("not json", None)  # refused by the YAML reader
    if not parsed.is_json:
        return ("not json", None)
    [doc] = parsed.documents
    return ("document", doc)


# Keys and strings that test the count: quotes, backslashes, colons, blanks, `":` itself, non-ASCII.
_KEY_TEXTS = st.text(alphabet=st.sampled_from(["a", "b", '"', "\\", ":", " ", "\n", "é", "/"]), max_size=4)


def _key(key: str, escaped: bool) -> str:
    """A key as JSON text: plain, or with every character escaped (`\\u0061` for `a`)."""
    return '"' + "".join(f"\\u{ord(c):04x}" for c in key) + '"' if escaped else json.dumps(key)


@st.composite
def _json_texts(draw: st.DrawFn, depth: int = 0) -> str:
    """A JSON object as text, written by hand so that a key may repeat, nested or not, and a colon
    may follow its key after blanks."""
    members: list[str] = []
    keys = draw(st.lists(_KEY_TEXTS, max_size=4))
    if keys and draw(st.booleans()):
        keys.append(draw(st.sampled_from(keys)))  # a repeated key, escaped or not
    for key in keys:
        colon = draw(st.sampled_from([":", ":", ":", " :", ": ", "\n:", "\t : ", "\r:", "\r\n\t:"]))
        kind = draw(st.integers(0, 3 if depth < 3 else 2))
        if kind == 0:
            value = json.dumps(draw(_KEY_TEXTS))
        elif kind == 1:
            value = draw(st.sampled_from(["1", "1.5", "true", "null", '":"', '"a\\":"']))
        elif kind == 2:
            value = "[" + ",".join(draw(st.lists(st.sampled_from(['"x"', '":', "2"]), max_size=2))) + "]"
        else:
            value = draw(_json_texts(depth + 1))
        members.append(_key(key, draw(st.booleans())) + colon + value)
    return "{" + ",".join(members) + "}"


@settings(max_examples=400)
@given(_json_texts())
def test_counting_keys_refuses_and_reads_exactly_what_pairs_do(text: str):
    expected = _by_pairs(text)
    got = _by_load(text)
    if expected[0] == "repeated":
        assert got == (
            "repeated",
            f"s.json: invalid JSON: key {quote(str(expected[1]))} is defined twice in one object",
        )
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("text", "shortcut"),
    [
        ('{"a":{"b":1,"c":[{"d":2}]}}', True),  # Juju's own writing: read by counting
        ('{"a":1,"b":{"c":2,"c":3}}', False),  # a nested key repeated: one key short
        ('{"a":1,"\\u0061":2}', False),  # the same key, escaped once
        ('{"a" :1}', False),  # blanks before a colon: keys not counted
        ('{"a"\t:1}', False),
        ('{"a"\r:1}', False),
        ('{"a"\n:1}', False),
        ('{"a" : 1, "a" : 2, "b": "\\":"}', False),  # blank-colon keys hidden by a `":` in a string
        ('{"a": "x :y"}', False),  # a blank before a colon in a string: not counted, to be safe
        ('{"a": "x y", "b":[1, 2],\t"c":\n3}', True),  # blanks elsewhere: counted
        ('{"a":":"}', False),  # a string opening with a colon: one `":` more than keys
        ('{"a":1,', False),  # not JSON: the pairs pass says so
    ],
)
def test_keys_are_counted_only_where_the_count_is_exact(text: str, shortcut: bool):
    found = yamlload._without_repeated_keys(text)  # pyright: ignore[reportPrivateUsage]
    assert (found is not None) is shortcut
    if found is not None:
        assert found == (json.loads(text),)


def _as_utf_8_sig(data: bytes) -> str:
    """`_decode` of bytes as it was written: Python's utf-8-sig codec; an error names the input's offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        # utf-8-sig counts from after a BOM it dropped; the message counts from the input's first byte.
        at = err.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        return f"x: not UTF-8 text: byte 0x{data[at]:02x} at offset {at} ({err.reason})"


def test_an_undecodable_byte_after_a_bom_is_named_at_its_offset_in_the_file() -> None:
    with pytest.raises(InputError) as raised:
        yamlload._decode(b"\xef\xbb\xbfab\xff", "x")  # pyright: ignore[reportPrivateUsage]
    assert str(raised.value) == "x: not UTF-8 text: byte 0xff at offset 5 (invalid start byte)"


@given(
    data=st.tuples(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb"]), st.binary(max_size=12)).map(
        lambda parts: parts[0] + parts[1]
    )
    | st.text(max_size=8).map(lambda text: b"\xef\xbb\xbf" + text.encode())
)
def test_utf_8_is_decoded_as_the_utf_8_sig_codec_decodes_it(data: bytes) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return  # a UTF-16 or UTF-32 byte order mark: another codec's
    try:
        found = yamlload._decode(data, "x")  # pyright: ignore[reportPrivateUsage]
    except InputError as err:
        found = str(err)
    assert found == _as_utf_8_sig(data)
