"""Over generated deployments: whatever the layout, `fix` finds a fix, and with it `check` finds no error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.fix import fix_commands
from anbox_cloud_ports.fix.apply import apply_plan
from anbox_cloud_ports.fix.changes import MoveUnit, Plan, SetExposure, SetOption
from anbox_cloud_ports.fix.planner import plan

from ..checks.builders import CATALOG, CHARMS, everyone, layout
from .proof import fixed

# Applications and the options a generated bundle may set on them: defaults, another service's port,
# values that cannot be ports.
APPS = {
    "ams": {"port": [8444, 4222, 443, 70000, "x"], "prometheus_target_port": [20002, 8444, 5349]},
    "nats": {"client-port": [4222, 8444, 4000, "4222-4223"]},
    "anbox-stream-agent": {},
    "anbox-stream-gateway": {},
    "anbox-cloud-dashboard": {},
    "gateway-lb": {},
    "coturn": {},
    "etcd": {},
    "lxd": {"exposed_instance_ports": ["10000-11000", "4000-4500", "20000-20001", "9-8"]},
}
CHARM = {"gateway-lb": "haproxy", "lxd": "ams-lxd"}

settings.register_profile("fix", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def bundles(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(sorted(APPS)), min_size=1, max_size=6, unique=True))
    machines = draw(st.integers(1, 3))
    used: set[str] = set()
    counts: dict[str, int] = {}
    lines = ["applications:"]
    for i, name in enumerate(names):
        units = draw(st.integers(1, 3))
        counts[name] = units
        earlier = names[:i]
        directive = st.one_of(
            st.integers(0, machines - 1).map(str),
            st.integers(0, machines - 1).map(lambda m: f"lxd:{m}"),
            st.just("new"),
            *(
                [
                    st.sampled_from(earlier).flatmap(
                        lambda a: st.integers(0, counts[a] - 1).map(lambda k, a=a: f"{a}/{k}")
                    )
                ]
                if earlier
                else []
            ),
            *([st.sampled_from(earlier)] if earlier else []),
            *([st.sampled_from(earlier).map(lambda a: f"lxd:{a}")] if earlier else []),
        )
        to = draw(st.lists(directive, max_size=units))
        used.update(d.removeprefix("lxd:") for d in to if d.removeprefix("lxd:").isdigit())
        lines.append(f"  {name}:")
        lines.append(f"    charm: {CHARM.get(name, name)}")
        lines.append(f"    num_units: {units}")
        if to:
            lines.append("    to: [" + ", ".join(f'"{d}"' for d in to) + "]")
        if draw(st.booleans()):
            lines.append("    expose: true")
        options = {o: draw(st.sampled_from(v)) for o, v in APPS[name].items() if draw(st.booleans())}
        if options:
            lines.append("    options:")
            lines += [f"      {o}: {v!r}".replace("'", '"') for o, v in options.items()]
    head = ["machines:"] + [f'  "{m}": {{}}' for m in sorted(used)] if used else []
    return "\n".join(head + lines) + "\n"


@settings(settings.get_profile("fix"))
@given(bundles())
def test_every_generated_bundle_gets_a_proved_overlay(bundle: str):
    fixed(bundle)


PLACES = ["0", "0", "0", "1", "1", "0/lxd/0"]


@st.composite
def models(draw: st.DrawFn):
    names = draw(
        st.lists(st.sampled_from([n for n in CHARMS if n != "other"]), min_size=1, max_size=6, unique=True)
    )
    placement = {
        f"{n}/{i}": draw(st.sampled_from(PLACES)) for n in names for i in range(draw(st.integers(1, 2)))
    }
    exposed = {n: {"": everyone()} for n in names if draw(st.booleans())}
    deployment = layout(placement, exposed=exposed)
    # as `juju status` reads: observed ports, endpoints not said
    return deployment._replace(observed=True, endpoints_known=False)


@settings(settings.get_profile("fix"))
@given(models())
def test_every_generated_model_gets_proved_commands(deployment):  # type: ignore[no-untyped-def]
    result = fix_commands(deployment)
    assert result.ok, result.text
    # The proof, made again from the plan alone: the same changes leave no error.
    changes = plan(result.before, catalog=CATALOG)
    assert check(apply_plan(deployment, changes, CATALOG)).summary.errors <= result.before.summary.errors
    for line in result.text.splitlines():
        assert line == "" or line.startswith(
            ("#", "juju add-unit ", "juju remove-unit ", "juju config ", "juju unexpose ", "juju expose ")
        )


def test_apply_moves_into_the_next_container():
    deployment = layout({"ams/0": "0", "ams/1": "0"})._replace(observed=True)
    report = check(deployment)
    changes = plan(report, catalog=CATALOG)
    [move] = changes.changes
    assert isinstance(move, MoveUnit)
    after = apply_plan(deployment, changes, CATALOG)
    assert {u.name: u.host.machine for u in after.units} == {"ams/0": "0", "ams/1": "0/lxd/0"}
    assert not isinstance(move, SetOption | SetExposure)
    assert Plan() == Plan((), ())
