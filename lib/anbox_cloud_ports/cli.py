"""The `anbox-ports` command: one door into the same model and engine.

Exit status is a contract CI relies on (as ruff's and kube-linter's): 0 no error finding, 1 at least
one error finding, 2 the input or the arguments cannot be used. Exit 2 prints exactly one line on
stderr, escaped by `text.for_terminal` (it quotes file names, arguments and input values, any of
which may hold a newline or an escape sequence); nothing but the requested document is ever printed
on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from .catalog import PROFILES, Catalog, Profile
from .errors import AnboxPortsError, InputError
from .findings import JUJU_VERSIONS
from .gcpause import gc_paused
from .render import FORMATS, RenderOptions, render
from .text import for_terminal

if TYPE_CHECKING:
    from .fix import FixResult
    from .model import Deployment

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2

# docs/juju-facts.md#open-port-conflicts: the hook tool decides first, with the same code in both.
JUJU_DEPRECATED = "--juju is deprecated and changes nothing: Juju 3.x and 4.x refuse the same open-port calls"

FIREWALL_FORMATS = ("ufw", "nftables", "iptables", "aws", "gcp", "azure")
"""`firewall.FORMATS`, spelt out so that building the parser does not import the firewall module
(tests/unit/test_cli.py checks that the two agree)."""

# Inputs are configuration documents; anything this big is a mistake or an attack, not a model.
MAX_INPUT_BYTES = 64 * 1024 * 1024

LIVE_TIMEOUT = 120.0
"""Seconds each juju command of `check --model` may take: a large model's status, or exec on its units."""


def _columns() -> int:
    """`shutil.get_terminal_size().columns`, without importing shutil (and with it bz2, lzma, zlib)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # pyright: ignore[reportOptionalMemberAccess]
        except (AttributeError, ValueError, OSError):  # no stdout, closed, detached, or not a terminal
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, as wide as argparse makes it.

    argparse builds a formatter for every argument it adds, and asks shutil for the terminal's width
    each time: importing shutil costs a tenth of `anbox-ports check`'s start.
    """

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ):
        # argparse's own default: the terminal's columns, less 2.
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2, like every other unusable input.

    argparse quotes some arguments with repr() but joins unrecognised ones raw, so the line is escaped.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_UNUSABLE, for_terminal(f"{self.prog}: {message} (see {self.prog} --help)") + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="anbox-ports",
        description="Anbox Cloud network ports: the catalog, and checks of bundles and live Juju models.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_check(sub)
    catalog = sub.add_parser("catalog", help="print the catalog of Anbox Cloud ports")
    catalog.add_argument("--profile", choices=(*PROFILES, "all"), default="all")
    catalog.add_argument("--format", choices=("markdown", "json", "table"), default="markdown")
    _add_preflight(sub)
    _add_firewall(sub)
    _add_fix(sub)
    return parser


def _add_check(sub: argparse._SubParsersAction[_Parser]) -> None:
    check = sub.add_parser(
        "check",
        help="find port conflicts and exposure mistakes in a bundle, juju status dumps or a live model",
        description=(
            "Check a bundle (with overlays), a `juju show-unit` dump of the validator unit, "
            "`terraform show -json` of a saved plan, a Terraform root module directory (with "
            "--var-file/--var, read as `terraform plan` reads them, TF_VAR_* included), or "
            "`juju status --format=json|yaml` dumps of one or more models, each completed by "
            "`juju show-application APP... --format=json`, `juju exec --application APP,... "
            "--format=json -- opened-ports --endpoints --format=json` and `juju spaces --format=json` "
            "dumps (which say the expose rules, the endpoint of each port and the subnets of each "
            "space, which status does not). With --model, run those juju commands on a live model. "
            "With no INPUT, check the built-in reference deployment (or, with --profile appliance, "
            "the appliance's own port map)."
        ),
    )
    check.add_argument(
        "input",
        nargs="*",
        metavar="INPUT",
        help="file to check, a Terraform directory, or - for standard input (once)",
    )
    _add_live(check)
    check.add_argument(
        "--overlay", action="append", default=[], metavar="FILE", help="bundle overlay (repeatable)"
    )
    check.add_argument(
        "--catalog", action="append", default=[], metavar="FILE", help="extra catalog rows (YAML, repeatable)"
    )
    check.add_argument(
        "--juju",
        choices=JUJU_VERSIONS,
        default=None,
        help="deprecated, no effect: Juju 3.x and 4.x refuse the same open-port calls",
    )
    check.add_argument("--profile", choices=PROFILES, default="charmed")
    check.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="PORT=NAME",
        help="with --profile appliance: another service's port on the appliance host (repeatable)",
    )
    check.add_argument(
        "--claims",
        action="append",
        default=[],
        metavar="FILE",
        help="with --profile appliance: a YAML file of such claims (claims: {my-service: 8444/tcp})",
    )
    check.add_argument("--format", choices=tuple(FORMATS), default="table")
    _add_terraform_variables(check)


def _add_terraform_variables(parser: argparse.ArgumentParser) -> None:
    # One list for both, in command-line order: Terraform applies -var and -var-file as given.
    parser.add_argument(
        "--var-file",
        dest="terraform_vars",
        action="append",
        default=[],
        type=lambda path: ("file", path),
        metavar="FILE",
        help="with a Terraform directory: a variable file, as `terraform plan -var-file` (repeatable)",
    )
    parser.add_argument(
        "--var",
        dest="terraform_vars",
        action="append",
        type=lambda text: ("var", text),
        metavar="NAME=VALUE",
        help="with a Terraform directory: a variable, as `terraform plan -var` (repeatable)",
    )


def _add_live(check: argparse.ArgumentParser) -> None:
    """What `check` needs to read a live model, or to know what status dumps do not say."""
    check.add_argument(
        "--model",
        metavar="[CONTROLLER:]MODEL",
        help="read this live model: run juju status, show-application, spaces and exec opened-ports",
    )
    check.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"with --model: how long each juju command may take (default {LIVE_TIMEOUT:g})",
    )
    check.add_argument(
        "--model-name",
        action="append",
        default=[],
        metavar="NAME",
        help="with several bundle INPUTs: the model each is deployed into, in order (repeatable; "
        "default: each bundle's file name)",
    )
    check.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="NAME=CIDR[,CIDR]",
        help="the subnets of a Juju space expose rules name (repeatable; `juju spaces` output as an "
        "INPUT lists them all)",
    )


def _add_preflight(sub: argparse._SubParsersAction[_Parser]) -> None:
    preflight = sub.add_parser(
        "preflight", help="report catalog ports already taken by listening sockets on this machine"
    )
    preflight.add_argument("--profile", choices=PROFILES, default="appliance")
    preflight.add_argument(
        "--service", action="append", default=[], metavar="NAME", help="only this service (repeatable)"
    )
    preflight.add_argument("--format", choices=tuple(FORMATS), default="table")


def _add_firewall(sub: argparse._SubParsersAction[_Parser]) -> None:
    firewall = sub.add_parser("firewall", help="print firewall rules admitting exactly the exposed ports")
    firewall.add_argument("--profile", choices=PROFILES, default="appliance")
    firewall.add_argument("--format", choices=FIREWALL_FORMATS, default="nftables")
    firewall.add_argument(
        "--service", action="append", default=[], metavar="NAME", help="only this service (repeatable)"
    )
    firewall.add_argument(
        "--internal",
        action="append",
        default=[],
        metavar="CIDR",
        help="admit internal ports from this network (private ranges only, unless --allow-public-internal)",
    )
    firewall.add_argument(
        "--allow-public-internal",
        action="store_true",
        help="accept an --internal network that holds public addresses (never one covering every address)",
    )


def _add_fix(sub: argparse._SubParsersAction[_Parser]) -> None:
    fix = sub.add_parser(
        "fix",
        help="print the bundle overlay, juju commands or Terraform changes that remove every error finding",
        description=(
            "For a bundle, print an overlay that removes every error `check` finds; for `juju status` "
            "dumps (completed by the dumps `check` takes beside them) or a live model (--model), the juju "
            "commands; for a Terraform root module directory (with --var-file/--var) or `terraform show "
            "-json` of a plan, the attribute changes per resource. The fix is proved first: the input is "
            "read again with it and checked; if an error would remain, nothing is printed, the remaining "
            "findings go to stderr and the exit status is 1."
        ),
    )
    fix.add_argument(
        "input",
        nargs="*",
        metavar="INPUT",
        help="bundle, juju status dump (and its completing dumps), Terraform directory or plan JSON, or - "
        "for standard input (once)",
    )
    _add_live(fix)
    fix.add_argument(
        "--overlay", action="append", default=[], metavar="FILE", help="bundle overlay (repeatable)"
    )
    fix.add_argument(
        "--catalog", action="append", default=[], metavar="FILE", help="extra catalog rows (YAML, repeatable)"
    )
    fix.add_argument(
        "--juju",
        choices=JUJU_VERSIONS,
        default=None,
        help="deprecated, no effect: Juju 3.x and 4.x refuse the same open-port calls",
    )
    fix.add_argument("--profile", choices=PROFILES, default="charmed")
    fix.add_argument(
        "--move-to",
        choices=("container", "machine"),
        default="container",
        help="where a colliding unit goes: a new LXD container on its machine (default) or a new machine",
    )
    _add_terraform_variables(fix)


def _fix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    result = _fix_result(args, err)
    if not result.ok:
        from .text import one_line, plural

        err.write(
            f"anbox-ports fix: with the best {result.kind} found, {plural(len(result.unresolved), 'error')} "
            "would remain, so nothing is printed:\n"
        )
        for item in result.unresolved:
            err.write(f"  {item.finding.rule}: {one_line(item.finding.message)}\n")
            err.write(f"    cure: {one_line(item.reason)}\n")
        return EXIT_FINDINGS
    out.write(result.text)
    return EXIT_OK


def _fix_result(args: argparse.Namespace, err: TextIO) -> FixResult:
    """The writer for what `fix` was given, as `check` reads the same arguments."""
    from .fix import fix_commands, fix_directory, fix_inputs

    catalog = _catalog(args.catalog)
    juju, into = args.juju or "3", args.move_to
    if args.terraform_vars and not _terraform_directory_input(args.input):
        flag = "--var-file" if args.terraform_vars[0][0] == "file" else "--var"
        raise InputError(flag, "applies to a Terraform root module directory INPUT")
    if args.timeout is not None and args.model is None:
        raise InputError("--timeout", "applies to --model")
    result: FixResult
    if args.model is not None:
        deployment = _live(args, catalog, err)
        result = fix_commands(deployment, catalog=catalog, juju=juju, into=into, model=args.model)
    elif not args.input:
        raise InputError(
            "INPUT", "give a bundle, juju status dumps, a Terraform directory or plan, or --model"
        )
    elif _terraform_directory_input(args.input):
        if args.overlay:
            raise InputError("--overlay", "applies to bundles, not to a Terraform directory")
        from .sources.terraform import VarArg, VarFile

        variables = [VarFile(v) if kind == "file" else VarArg(v) for kind, v in args.terraform_vars]
        result = fix_directory(
            args.input[0],
            variables,
            catalog=catalog,
            profile=args.profile,
            environ=os.environ,
            juju=juju,
            into=into,
            spaces=args.space,
        )
    elif any(path != "-" and os.path.isdir(path) for path in args.input):
        raise InputError("INPUT", "a Terraform directory is fixed on its own, not beside other inputs")
    elif args.input.count("-") > 1:
        raise InputError("-", "standard input can be given once")
    else:
        result = fix_inputs(
            [read_input(path) for path in args.input],
            overlays=[read_input(path) for path in args.overlay],
            catalog=catalog,
            profile=args.profile,
            juju=juju,
            into=into,
            spaces=args.space,
        )
    return result


def read_input(path: str, stdin: TextIO | None = None) -> tuple[bytes, str]:
    """The bytes of a file or of stdin, bounded, with the name findings and errors will cite."""
    if path == "-":
        stream = stdin or sys.stdin
        buffer = getattr(stream, "buffer", None)
        data = (
            buffer.read(MAX_INPUT_BYTES + 1)
            if buffer is not None
            else stream.read(MAX_INPUT_BYTES + 1).encode()
        )
        name = "<stdin>"
    else:
        name = path
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as err:
            raise InputError(path, f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(name, f"larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB, refusing to read it")
    return data, name


def _catalog(paths: Sequence[str]) -> Catalog:
    catalog = Catalog.builtin()
    if paths:
        from .sources.catalog_file import load_catalog_rows

        for path in paths:
            data, name = read_input(path)
            catalog = catalog.extend(load_catalog_rows(data, input=name, base=catalog))
    return catalog


def _colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import sources
    from .checks import check

    catalog = _catalog(args.catalog)
    profile: Profile = args.profile
    title = None
    if args.terraform_vars and not _terraform_directory_input(args.input):
        flag = "--var-file" if args.terraform_vars[0][0] == "file" else "--var"
        raise InputError(flag, "applies to a Terraform root module directory INPUT")
    if (args.claim or args.claims) and profile != "appliance":
        raise InputError("--claim" if args.claim else "--claims", "only applies with --profile appliance")
    if args.timeout is not None and args.model is None:
        raise InputError("--timeout", "applies to --model")
    if args.model is not None:
        deployment = _live(args, catalog, err)
    elif not args.input:
        if args.space:
            raise InputError("--space", "applies to an INPUT or --model")
        if args.overlay:
            raise InputError("--overlay", "needs an INPUT bundle to overlay")
        if profile == "appliance":
            from .sources.appliance import appliance_deployment, claims_from_file, parse_claim_arg

            extra = [parse_claim_arg(c) for c in args.claim]
            for path in args.claims:
                extra += claims_from_file(*read_input(path))
            deployment = appliance_deployment(catalog, extra=extra)
            title = "Anbox Cloud Appliance: the appliance's own ports on one host."
        else:
            deployment = sources.reference(catalog)
            title = (
                "Built-in reference deployment: the supported charmed Anbox Cloud layout "
                "(controller, AMS, database and LXD nodes)."
            )
    else:
        if args.claim or args.claims:
            raise InputError("--claim", "applies to the built-in appliance map, not to an INPUT file")
        if args.input.count("-") > 1:
            raise InputError("-", "standard input can be given once")
        if _terraform_directory_input(args.input):
            if args.overlay:
                raise InputError("--overlay", "applies to bundles, not to a Terraform directory")
            deployment = terraform_directory(args.input[0], args.terraform_vars, catalog, profile)
        elif any(path != "-" and os.path.isdir(path) for path in args.input):
            raise InputError("INPUT", "a Terraform directory is checked on its own, not beside other inputs")
        else:
            # The inputs' bytes are not kept past reading them: a 20,000-unit status is megabytes.
            deployment = sources.load_inputs(
                [read_input(path) for path in args.input],
                overlays=[read_input(path) for path in args.overlay],
                catalog=catalog,
                profile=profile,
                spaces=args.space,
                model_names=args.model_name,
                keep=_left_to_exit,
            )
    report = check(deployment, catalog=catalog, juju=args.juju or "3", keep=_left_to_exit)
    out.write(render(report, args.format, RenderOptions(colour=_colour(out), title=title)))
    if _left_to_exit is not None:
        _left_to_exit.append(report)
    return EXIT_FINDINGS if report.summary.errors else EXIT_OK


_left_to_exit: list[object] | None = None
"""Where `run` keeps a check's report (and its deployment), its index and its inputs' parsed
documents until the process exits, None in `main`.

Freed object by object, the units and claims of a 20,000-unit status cost about 8 ms more, and its
parsed document about 10 ms, for a process about to leave at once; a caller of `main` gets
everything freed as usual.
"""


def _terraform_directory_input(inputs: Sequence[str]) -> bool:
    """One INPUT that is a directory: a Terraform root module."""
    return len(inputs) == 1 and inputs[0] != "-" and os.path.isdir(inputs[0])


def terraform_directory(
    directory: str, variables: Sequence[tuple[str, str]], catalog: Catalog, profile: Profile
) -> Deployment:
    """A directory INPUT: a Terraform root module, with `--var-file`/`--var` in command-line order.

    `TF_VAR_*` come from this process's environment, as `terraform plan` reads them.
    """
    from .sources.terraform import VarArg, VarFile, load_directory

    sources = [VarFile(value) if kind == "file" else VarArg(value) for kind, value in variables]
    return load_directory(directory, sources, catalog=catalog, profile=profile, environ=os.environ)


def _live(args: argparse.Namespace, catalog: Catalog, err: TextIO) -> Deployment:
    """`check --model`: the juju commands, run with a progress line when stderr is a terminal."""
    from .sources.live import LiveModel

    if args.input or args.overlay:
        raise InputError("--model", "reads the model itself: give no INPUT or --overlay with it")
    progress = _Progress(err) if err.isatty() else None
    live = LiveModel(
        args.model,
        timeout=LIVE_TIMEOUT if args.timeout is None else args.timeout,
        progress=progress,
    )
    try:
        return live.read(catalog, args.profile, args.space)
    finally:
        if progress is not None:
            progress.clear()


class _Progress:
    """One line on a terminal, rewritten in place with a carriage return (no escape sequences)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.width = 0

    def __call__(self, text: str) -> None:
        line = f"anbox-ports: {text}..."
        self.width = max(self.width, len(line))
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _catalog_command(args: argparse.Namespace, out: TextIO) -> int:
    from .render.catalog import catalog_markdown, catalog_rows_json, catalog_table

    catalog = Catalog.builtin()
    profiles: tuple[Profile, ...] = PROFILES if args.profile == "all" else (args.profile,)
    if args.format == "json":
        import json

        out.write(json.dumps(catalog_rows_json(catalog, profiles), indent=2) + "\n")
    elif args.format == "table":
        out.write(catalog_table(catalog, profiles))
    else:
        out.write(catalog_markdown(catalog, profiles))
    return EXIT_OK


def _preflight(args: argparse.Namespace, out: TextIO) -> int:
    from .checks import check
    from .sources.local_host import local_host_deployment

    report = check(local_host_deployment(args.profile, args.service or None))
    title = f"Preflight: this machine's listening sockets against the {args.profile} catalog ports."
    out.write(render(report, args.format, RenderOptions(colour=_colour(out), title=title)))
    return EXIT_FINDINGS if report.summary.errors else EXIT_OK


def _firewall(args: argparse.Namespace, out: TextIO) -> int:
    from .firewall import firewall_rules

    out.write(
        firewall_rules(
            args.profile,
            args.format,
            services=args.service or None,
            internal=args.internal,
            allow_public=args.allow_public_internal,
        )
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    stdout: TextIO = out if out is not None else sys.stdout
    stderr: TextIO = err if err is not None else sys.stderr
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else EXIT_UNUSABLE
    command: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
        "check": lambda args, out: _check(args, out, stderr),
        "catalog": _catalog_command,
        "preflight": _preflight,
        "firewall": _firewall,
        "fix": lambda args, out: _fix(args, out, stderr),
    }
    try:
        # One command in a process of its own: nothing it builds is cyclic garbage worth collecting,
        # so the collector waits until it is done rather than walk the input's objects again and again.
        with gc_paused():
            status = command[args.command](args, stdout)
        if getattr(args, "juju", None) is not None:
            # After the report, and only when there is one: exit 2 stays one line on stderr.
            stderr.write(f"anbox-ports {args.command}: {JUJU_DEPRECATED}\n")
        return status
    except AnboxPortsError as error:
        stderr.write(for_terminal(f"anbox-ports {args.command}: {error}") + "\n")
        return EXIT_UNUSABLE
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        if os.environ.get("ANBOX_PORTS_DEBUG"):
            raise
        line = (
            f"anbox-ports {args.command}: internal error, please report it: {type(error).__name__}: {error}"
            " (set ANBOX_PORTS_DEBUG=1 for the traceback)"
        )
        stderr.write(for_terminal(line) + "\n")
        return EXIT_UNUSABLE


def run() -> NoReturn:
    """The `anbox-ports` command: `main()`, then out of the process at once.

    Freeing every object and module of a finished command one by one costs the interpreter more than
    checking a small bundle, and nothing is left to do once the output is flushed (the command
    registers no exit handlers); mypy's `hard_exit` does the same, and a check's report is kept
    for the exit rather than freed (`_left_to_exit`). Tests and other callers use `main()`, which
    returns and keeps nothing.
    """
    global _left_to_exit  # noqa: PLW0603 - the one process-wide switch, set once, by the process's entry point
    _left_to_exit = []
    # Nothing is freed before the exit, so the collector has nothing to find: resumed after the
    # command, it would walk the kept report's objects once, for nothing.
    gc.disable()
    status = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # the reader went away, or it is closed
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
