"""`anbox-ports check --model [CONTROLLER:]MODEL`: run the juju commands that tell, and read them.

What `juju status` leaves unknown (docs/juju-facts.md#status-formats), the other juju commands say
exactly, so a live check runs them all and exposure verdicts are certain:

1. `juju status -m MODEL --format=json`: models, hosts, units, their ports;
2. `juju show-application -m MODEL --format=json APP...` for every exposed application: its expose
   rules (docs/juju-facts.md#show-application);
3. `juju spaces -m MODEL --format=json` when a rule names a space: the space's subnets
   (docs/juju-facts.md#spaces);
4. `juju exec -m MODEL --format=json --wait=Ns --application APP,... -- opened-ports --endpoints
   --format=json` for the exposed applications with units: the endpoint of each port, read in each
   unit's hook context (docs/juju-facts.md#juju-exec). Only exposed applications: the endpoint a port
   is opened on changes no verdict about an application that is not exposed, and each unit's task is
   an action the controller queues and the unit runs.

On a Kubernetes model `juju expose` has no effect (docs/juju-facts.md#expose), so only status runs.

Every command is an argument vector (no shell), built only from names that match Juju's own patterns
(names.py): the model argument before anything runs, application names before they are passed on.
Each command has a time limit. When `juju` is missing, the model cannot be reached, or a command
fails, one InputError says so, quoting the first line of juju's error.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..catalog import Catalog, Profile
from ..errors import InputError
from ..model import Deployment
from ..names import is_application, is_controller, is_model, is_user, validate_names
from ..text import quote
from . import detect, juju_status, yamlload
from .detect import Kind, Supplement

JUJU = "juju"


def exec_grace(timeout: float) -> float:
    """How much longer than its own `--wait` `juju exec` may take to print its results."""
    return min(15.0, max(2.0, timeout / 4))


@dataclass(frozen=True, slots=True)
class Completed:
    """What one juju command printed, and how it exited."""

    returncode: int
    stdout: bytes
    stderr: bytes


MAX_TIMEOUT = 86400.0
"""A day: longer is a typo, and would overflow juju exec's --wait."""

Runner = Callable[[Sequence[str], float], Completed]
"""Runs one argument vector with a time limit; raises FileNotFoundError or subprocess.TimeoutExpired."""

Progress = Callable[[str], None]


def run(argv: Sequence[str], timeout: float) -> Completed:
    """The real runner: no shell, no stdin, output captured."""
    done = subprocess.run(
        list(argv), stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
    )
    return Completed(done.returncode, done.stdout, done.stderr)


def model_argument(text: str) -> str:
    """`[CONTROLLER:][OWNER/]MODEL`, each part matching Juju's pattern (docs/juju-facts.md#names)."""
    # cmd/modelcmd SplitModelName splits at the first ':'; jujuclient SplitModelName at the first '/'.
    controller, colon, rest = text.partition(":") if ":" in text else ("", "", text)
    owner, slash, model = rest.partition("/") if "/" in rest else ("", "", rest)
    if colon and not is_controller(controller):
        raise InputError("--model", f"not a Juju controller name: {quote(controller)}")
    if slash and not is_user(owner):
        raise InputError("--model", f"not a Juju user name: {quote(owner)}")
    if not is_model(model):
        raise InputError("--model", f"not a Juju model name: {quote(model)}")
    return text


def status_command(model: str) -> tuple[str, ...]:
    return (JUJU, "status", "-m", model, "--format=json")


def show_application_command(model: str, applications: Sequence[str]) -> tuple[str, ...]:
    return (JUJU, "show-application", "-m", model, "--format=json", *_names(applications))


def spaces_command(model: str) -> tuple[str, ...]:
    return (JUJU, "spaces", "-m", model, "--format=json")


def exec_command(model: str, applications: Sequence[str], wait: float) -> tuple[str, ...]:
    targets = ",".join(_names(applications))
    return (
        *(JUJU, "exec", "-m", model, "--format=json", f"--wait={max(1, round(wait))}s"),
        *("--application", targets, "--", "opened-ports", "--endpoints", "--format=json"),
    )


def _names(applications: Sequence[str]) -> list[str]:
    for name in applications:
        if not is_application(name):
            raise InputError("juju status", f"not a Juju application name: {quote(name)}")
    return list(applications)


def juju_error(argv: Sequence[str], done: Completed) -> InputError:
    """One line: the command, its exit status, and the first line of juju's error, quoted."""
    lines = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    first = next((line for line in lines if line.startswith("ERROR")), lines[0] if lines else "")
    said = f": {quote(first, 200)}" if first else " and printed no error"
    return InputError(_title(argv), f"failed (exit status {done.returncode}){said}")


def _title(argv: Sequence[str]) -> str:
    """How an input read from a command is named in findings and errors: `juju status -m MODEL`."""
    return " ".join(argv[:4])


class LiveModel:
    """One live check: the commands, in order, each run once with the time limit."""

    def __init__(self, model: str, *, timeout: float, runner: Runner = run, progress: Progress | None = None):
        self.model = model_argument(model)
        if not 0 < timeout <= MAX_TIMEOUT:
            raise InputError("--timeout", f"must be a number of seconds above 0, up to {MAX_TIMEOUT:g}")
        self.timeout = timeout
        self.runner = runner
        self.progress = progress

    def _run(
        self, argv: Sequence[str], *, timeout: float | None = None, output_on_failure: bool = False
    ) -> bytes:
        if self.progress is not None:
            self.progress(f"running {' '.join(argv[:2])} -m {self.model}")
        limit = timeout or self.timeout
        try:
            done = self.runner(argv, limit)
        except FileNotFoundError:
            raise InputError(
                JUJU, "not found on PATH: install juju (`sudo snap install juju`), or check dumps instead"
            ) from None
        except subprocess.TimeoutExpired:
            raise InputError(_title(argv), f"gave no answer within {limit:g} seconds (--timeout)") from None
        if done.returncode != 0 and not (output_on_failure and done.stdout.strip()):
            raise juju_error(argv, done)
        return done.stdout

    def read(self, catalog: Catalog, profile: Profile, spaces: Sequence[str] = ()) -> Deployment:
        """The model as one Deployment: status, completed by what the other commands say."""
        from . import complete

        argv = status_command(self.model)
        parsed = self._parse(argv, self._run(argv))
        if not juju_status.looks_like_status(parsed.documents[0]):
            raise InputError(_title(argv), "printed something that is not juju status output")
        status = juju_status.from_parsed(parsed, catalog=catalog, profile=profile)
        deployment = complete(status, list(self._supplements(status)), catalog, spaces)
        validate_names(deployment)  # what juju printed is input like any other
        return deployment

    def _supplements(self, status: Deployment) -> Iterator[Supplement]:
        if status.model("").kind == "caas":
            return  # docs/juju-facts.md#expose: `juju expose` has no effect on sidecar charms
        exposed = sorted(app.name for app in status.applications.values() if app.is_exposed)
        if not exposed:
            return
        argv = show_application_command(self.model, exposed)
        shown = self._expect(detect.SHOW_APPLICATION, argv, self._run(argv))
        yield shown
        if _names_spaces(shown):
            argv = spaces_command(self.model)
            yield self._expect(detect.SPACES, argv, self._run(argv))
        with_units = sorted({unit.application for unit in status.units if unit.application in exposed})
        if with_units:
            argv = exec_command(self.model, with_units, self.timeout)
            # exec.go: a failed task still prints every result, then exits non-zero.
            output = self._run(argv, timeout=self.timeout + exec_grace(self.timeout), output_on_failure=True)
            yield self._expect(detect.OPENED_PORTS, argv, output)

    def _parse(self, argv: Sequence[str], output: bytes) -> yamlload.Parsed:
        parsed = yamlload.load(output, _title(argv))
        if not parsed.documents:
            raise InputError(_title(argv), "printed nothing")
        return parsed

    def _expect(self, kind: Kind, argv: Sequence[str], output: bytes) -> Supplement:
        parsed = self._parse(argv, output)
        if kind.complete is None or not kind.test(parsed.documents[0]):
            raise InputError(_title(argv), f"printed something that is not {kind.name} output")
        return kind.complete(parsed)


def _names_spaces(supplement: Supplement) -> bool:
    from .show_application import ShowApplication

    return isinstance(supplement, ShowApplication) and any(
        target.spaces for info in supplement.applications for target in (info.rules or {}).values()
    )
