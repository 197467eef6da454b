"""The `anbox-ports` command: one door into the same model and engine.

Exit status is a contract CI relies on (as ruff's and kube-linter's): 0 no error finding, 1 at least
one error finding, 2 the input or the arguments cannot be used. Exit 2 prints exactly one line on
stderr; nothing but the requested document is ever printed on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from .catalog import PROFILES, Catalog, Profile
from .errors import AnboxPortsError, InputError
from .findings import JUJU_VERSIONS
from .firewall import FORMATS as FIREWALL_FORMATS
from .render import FORMATS, RenderOptions, render

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2

# docs/juju-facts.md#open-port-conflicts: the hook tool decides first, with the same code in both.
JUJU_DEPRECATED = "--juju is deprecated and changes nothing: Juju 3.x and 4.x refuse the same open-port calls"

# Inputs are configuration documents; anything this big is a mistake or an attack, not a model.
MAX_INPUT_BYTES = 64 * 1024 * 1024


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2, like every other unusable input."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_UNUSABLE, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    return parser


def _add_check(sub: argparse._SubParsersAction[_Parser]) -> None:
    check = sub.add_parser(
        "check",
        help="find port conflicts and exposure mistakes in a bundle, juju status or show-unit dump",
        description=(
            "Check a bundle (with overlays), a `juju status --format=json|yaml` dump or a "
            "`juju show-unit` dump of the validator unit. With no INPUT, check the built-in "
            "reference deployment (or, with --profile appliance, the appliance's own port map)."
        ),
    )
    check.add_argument("input", nargs="?", help="file to check, or - for standard input")
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
        help="admit internal ports from this network",
    )


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
            catalog = catalog.extend(load_catalog_rows(data, input=name))
    return catalog


def _colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _check(args: argparse.Namespace, out: TextIO) -> int:
    from . import sources
    from .checks import check

    catalog = _catalog(args.catalog)
    profile: Profile = args.profile
    title = None
    if (args.claim or args.claims) and profile != "appliance":
        raise InputError("--claim" if args.claim else "--claims", "only applies with --profile appliance")
    if args.input is None:
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
        data, name = read_input(args.input)
        overlays = [read_input(path) for path in args.overlay]
        deployment = sources.load(data, input=name, overlays=overlays, catalog=catalog, profile=profile)
    report = check(deployment, catalog=catalog, juju=args.juju or "3")
    out.write(render(report, args.format, RenderOptions(colour=_colour(out), title=title)))
    return EXIT_FINDINGS if report.summary.errors else EXIT_OK


def _catalog_command(args: argparse.Namespace, out: TextIO) -> int:
    from .render.catalog import catalog_markdown, catalog_rows_json, catalog_table

    catalog = Catalog.builtin()
    profiles: tuple[Profile, ...] = PROFILES if args.profile == "all" else (args.profile,)
    if args.format == "json":
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
        firewall_rules(args.profile, args.format, services=args.service or None, internal=args.internal)
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
    command = {"check": _check, "catalog": _catalog_command, "preflight": _preflight, "firewall": _firewall}
    try:
        status = command[args.command](args, stdout)
        if getattr(args, "juju", None) is not None:
            # After the report, and only when there is one: exit 2 stays one line on stderr.
            stderr.write(f"anbox-ports check: {JUJU_DEPRECATED}\n")
        return status
    except AnboxPortsError as error:
        stderr.write(f"anbox-ports {args.command}: {error}\n")
        return EXIT_UNUSABLE
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        if os.environ.get("ANBOX_PORTS_DEBUG"):
            raise
        stderr.write(
            f"anbox-ports {args.command}: internal error, please report it: {type(error).__name__}: {error}"
            " (set ANBOX_PORTS_DEBUG=1 for the traceback)\n"
        )
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
