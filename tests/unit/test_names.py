"""names.py: Juju's own name grammars, and the pass that refuses a Deployment naming what Juju cannot."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports import names
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import Application, Claim, Deployment, ExposeTarget, Host, Location, Model, Unit
from anbox_cloud_ports.names import sorted_units, unit_sort_key
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.sources import load_status


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (
            names.is_application,
            ["ams", "ams-lxd", "a1-b2c", "remote-0b6f2c1e8d9a4b7e"],
            ["Ams", "app-1", "a-", "1a", "a_b", "a\x1b[31m", ""],
        ),
        (
            names.is_unit,
            ["ams/0", "ams-lxd/12"],
            ["ams/01", "ams", "ams/-1", "app-1/0", "ams/0\n", "ams/0\u2029"],
        ),
        (
            names.is_machine,
            ["0", "12", "0/lxd/1", "0/lxd/0/kvm/3"],
            ["01", "0/lxd", "0/LXD/1", "m0", "0\x1b"],
        ),
        (names.is_endpoint, ["public", "db-admin", "a_b1"], ["Public", "a-", "a__b", "1a", "a b"]),
        (names.is_space, ["alpha", "dmz-1", "1"], ["Alpha", "a_b", "-a", "a-"]),
        (names.is_model, ["default", "m-", "0ab"], ["-m", "M", "a_b", "a:b"]),
        (
            names.is_model_label,
            ["default", "5d0c52b4", "admin/default", "lab:default"],
            [":b", "a:", "A:b", "x y", "a\nb", "`x`"],
        ),
        (names.is_host, ["0/lxd/1", "ams/0"], ["ams", "0/lxd"]),
        (
            names.is_cidr,
            ["10.0.0.0/8", "10.0.0.1/8", "fd00::/8"],
            ["10.0.0.0/33", "x", "10.0.0.0/8\x1b", "10.0.0.1"],
        ),
    ],
)
def test_grammars(check, good: list[str], bad: list[str]):
    assert all(check(text) for text in good), [t for t in good if not check(t)]
    assert not any(check(text) for text in bad), [t for t in bad if check(t)]


def _deployment(
    *,
    app: str = "ams",
    unit: str = "ams/0",
    machine: str = "0",
    model: str = "",
    endpoint: str = "",
    exposed: dict[str, ExposeTarget] | None = None,
    models: dict[str, Model] | None = None,
) -> Deployment:
    where = Location("status.yaml", 7)
    application = Application(
        app, "ams", MappingProxyType(exposed or {}), location=Location("status.yaml", 3)
    )
    return Deployment(
        input="status.yaml",
        applications={app: application},
        units=(Unit(unit, app, "ams", Host(machine, model), location=where),),
        claims=(Claim(unit, PortRange.parse("8444/tcp"), endpoint, location=where),),
        models=MappingProxyType(models or {}),
    )


def test_a_well_named_deployment_passes():
    names.validate_names(
        _deployment(
            model="5d0c52b4",
            endpoint="api",
            exposed={"public": ExposeTarget(("10.0.0.0/8",), ("dmz",))},
            models={"5d0c52b4": Model("5d0c52b4", "default", "iaas")},
        )
    )
    names.validate_names(_deployment(unit="ams/0", machine="ams/0"))  # a Kubernetes pod is its own host


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"app": "ams\x1b[31m"}, 'status.yaml:3: application "ams\\u001b[31m" is not one Juju accepts'),
        (
            {"unit": "ams/0\n"},
            'status.yaml:7: unit "ams/0\\n" is not one Juju accepts: expected <application>/<number>',
        ),
        ({"machine": "0\x1b[8m"}, 'status.yaml:7: machine "0\\u001b[8m" is not one Juju accepts'),
        ({"model": "a b"}, 'status.yaml:7: model label "a b" is not one Juju accepts'),
        ({"endpoint": "api`"}, 'status.yaml:7: endpoint "api`" is not one Juju accepts'),
        (
            {"exposed": {"a[x](y)": ExposeTarget()}},
            'status.yaml:3: endpoint "a[x](y)" is not one Juju accepts',
        ),
        (
            {"exposed": {"": ExposeTarget((), ("<img>",))}},
            'status.yaml:3: space "<img>" is not one Juju accepts',
        ),
        (
            {"exposed": {"": ExposeTarget(("10.0.0.0/8\u202e",), ())}},
            'status.yaml:3: CIDR "10.0.0.0/8\\u202e" is not one',
        ),
        (
            {"models": {"": Model("", "Model\u2028")}},
            'status.yaml: model "Model\\u2028" is not one Juju accepts',
        ),
    ],
)
def test_a_name_juju_refuses_is_refused_in_one_line_naming_its_place(kwargs: dict[str, object], message: str):
    with pytest.raises(InputError) as caught:
        names.validate_names(_deployment(**kwargs))  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    assert str(caught.value).isprintable()


def test_a_status_dump_with_a_hostile_application_is_refused_before_anything_is_judged():
    text = (
        '{"model": {"name": "m"}, "machines": {"0": {}}, "applications": {"ams\\u001b[31m": '
        '{"charm": "ams", "units": {"ams\\u001b[31m/0": {"machine": "0", "open-ports": ["8444/tcp"]}}}}}'
    )
    with pytest.raises(
        InputError, match=r'^status\.json: application "ams\\u001b\[31m" is not one Juju accepts'
    ):
        load_status(text, input="status.json")


_UNIT_NAMES = st.one_of(
    st.builds(lambda n: f"lxd/{n}", st.integers(0, 10**6)),
    st.builds(lambda n: f"m:lxd/{n}", st.integers(0, 99)),
    st.sampled_from(("lxd/007", "lxd/x", "lxd/", "lxd", "lxd/1/2", "lxd/١٢", "ams/3", "")),
)


@given(st.lists(_UNIT_NAMES, max_size=200), st.booleans())
def test_sorted_units_is_sorting_on_unit_sort_key(names: list[str], one_app: bool) -> None:
    """The C-speed order for one application's many units is `unit_sort_key`'s, ties included."""
    if one_app:
        names = [f"lxd/{len(name) * 7919 % 1000}" for name in names] * 2
    assert sorted_units(names) == sorted(names, key=unit_sort_key)
    assert sorted_units(sorted(names, key=unit_sort_key)) == sorted(names, key=unit_sort_key)


@pytest.mark.parametrize(
    "odd",
    [["lxd/1\nlxd/2"], ["lxd/007", "lxd/7"], ["lxd/ 1"], ["lxd/+1"], ["lxd/١٢"], ["lxd/"], ["lxd/1/2"]],
)
def test_sorted_units_on_many_names_with_odd_ones_among_them(odd: list[str]) -> None:
    names = [f"lxd/{n}" for n in range(100, 30, -1)] + odd
    assert sorted_units(names) == sorted(names, key=unit_sort_key)
    assert sorted_units(list(reversed(names))) == sorted(reversed(names), key=unit_sort_key)


@pytest.mark.parametrize("app", ["lxd", "lÿd", "l١d"])
def test_sorted_units_on_many_names_of_an_application_named_in_any_text(app: str) -> None:
    """The numbered check reads the names as ASCII bytes: other text takes the general order."""
    names = [f"{app}/{n}" for n in range(100)] + [f"{app}/١٢", f"{app}/07"]
    assert sorted_units(names) == sorted(names, key=unit_sort_key)
    assert sorted_units(names[:100]) == names[:100]
    assert sorted_units(list(reversed(names))) == sorted(reversed(names), key=unit_sort_key)


_NAME_TEXTS = st.one_of(
    _UNIT_NAMES,
    st.sampled_from(("0", "0/lxd/1", "10", "01", "0/lxd", "a\nb/0", "lxd/0\nlxd/1", "0\n1", "\n", "x" * 129)),
    st.text(alphabet="az09-_/\n.", max_size=12),
    st.integers(0, 3),
    st.sampled_from((None, b"lxd/0", ["lxd/0"])),  # not text: join refuses them, as isinstance did
)


@given(st.lists(_NAME_TEXTS, max_size=30))
def test_names_joined_one_a_line_match_as_each_name_does(texts: list[object]) -> None:
    """`_all_match` checks names joined one a line: the answer is each name's own, newlines included."""
    for pattern in (names.UNIT, names.APPLICATION, names.ENDPOINT, names._HOST):
        assert names._all_match(texts, pattern) == all(names._valid(pattern, text) for text in texts)
