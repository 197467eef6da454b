"""Built-in functions and expression semantics, each expected value checked against terraform itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .evaluate import outputs, plain

# (expression, the value `terraform console` gives): what the reference plan and its kin use.
CASES: list[tuple[str, object]] = [
    ('replace("b-x.y_z", "/[-_.]*/", "")', "bxyz"),
    ('replace("a1b22", "/(\\\\d+)/", "<$1>")', "a<1>b<22>"),
    ('replace("a.b", ".", "-")', "a-b"),
    ('true ? 1 : "a"', "1"),
    ("one([])", None),
    ('one(toset(["x"]))', "x"),
    ('element(["a", "b"], 3)', "b"),
    ('compact(["a", "", null, "b"])', ["a", "b"]),
    ('join(",", ["10.0.0.0/8", "172.16.0.0/12"])', "10.0.0.0/8,172.16.0.0/12"),
    ('join(" ", concat(["arch=amd64"], ["root-disk=100G"]))', "arch=amd64 root-disk=100G"),
    ('split("/", "1.30/stable")', ["1.30", "stable"]),
    ('split("", "abc")', ["a", "b", "c"]),
    ('trim("\\nssh-ed25519 AAAA\\n", "\\n")', "ssh-ed25519 AAAA"),
    ('trimspace(" a\\t")', "a"),
    ('length("e\\u0301")', 1),
    ("length({a = 1, b = 2})", 2),
    ("values({b = 2, a = 1})", [1, 2]),
    ("keys({b = 2, a = 1})", ["a", "b"]),
    (
        'alltrue([for c in [{r = null}, {r = "x"}] : c.r == null ? true : length(c.r) > 0 ? true : false])',
        True,
    ),
    ('contains(["lxd", "aws"], "aws")', True),
    ("contains([true], 1)", False),
    ('can(regex("\\\\d+\\\\.\\\\d+\\\\/\\\\w+", "latest/stable"))', False),
    ('can(regex("\\\\d+\\\\.\\\\d+\\\\/\\\\w+", "1.30/stable"))', True),
    ('regex("(\\\\d+)-(\\\\w+)", "a12-bc")', ["12", "bc"]),
    ('try(tolist([])[3], "d")', "d"),
    ("-7 % 3", -1),
    ("1 + 2 * 3 == 7 && !false", True),
    ('"${3 / 3}"', 1),
    ('"n-${1.5}-${true}"', "n-1.5-true"),
    ("{for k, v in {b = 2, a = 1} : v => k}", {"1": "a", "2": "b"}),
    ('{for s in ["a", "b", "a"] : s => s...}', {"a": ["a", "a"], "b": ["b"]}),
    ('[for i, v in ["a", "b"] : "${i}${v}" if v != "z"]', ["0a", "1b"]),
    ("null[*]", []),
    ('"x"[*]', ["x"]),
    ("{a = 1}[*].a", [1]),
    ("flatten([[1, [2]], 3])", [1, 2, 3]),
    ("range(1, 4, 2)", [1, 3]),
    ('zipmap(["a"], [1])', {"a": 1}),
    ('lookup({a = 1}, "b", 2)', 2),
    ("merge({a = 1}, null, {b = 2})", {"a": 1, "b": 2}),
    ('coalesce("", "x")', "x"),
    ("min(3, 1.5)", 1.5),
    ("max(-1)", -1),
    ("ceil(1.2)", 2),
    ("floor(-1.5)", -2),
    ('tolist(toset(["b", "a", "b"]))', ["a", "b"]),
    ('tobool("true")', True),
    ('tonumber("1e3")', 1000),
    ("tostring(null)", None),
    ('startswith("abc", "ab")', True),
    ('strcontains("abc", "bc")', True),
    ('trimprefix("abc", "a")', "bc"),
    ('upper("a")', "A"),
    ('cidrhost("fd00::/64", 3)', "fd00::3"),
    ('cidrsubnet("10.0.0.0/8", 8, 2)', "10.2.0.0/16"),
    ('cidrnetmask("10.0.0.0/12")', "255.240.0.0"),
    ('distinct(["a", "b", "a"])', ["a", "b"]),
    ('anytrue([false, "true"])', True),
]


def body() -> str:
    lines = [f'output "o{i}" {{\n  value = {expression}\n}}\n' for i, (expression, _) in enumerate(CASES)]
    return "".join(lines)


def test_expressions_evaluate_to_what_terraform_gives(tmp_path: Path) -> None:
    got = outputs(tmp_path, body())
    for i, (expression, expected) in enumerate(CASES):
        assert plain(got[f"o{i}"]) == expected, expression


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform binary is not installed")
def test_the_expected_values_are_terraform_s_own(tmp_path: Path) -> None:
    expression = "jsonencode([" + ", ".join(e for e, _ in CASES) + "])"
    done = subprocess.run(
        ["terraform", "console"],
        input=expression + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"},
        timeout=120,
        check=True,
    )
    assert json.loads(json.loads(done.stdout)) == [expected for _, expected in CASES]


def test_a_function_this_checker_lacks_is_unknown_and_says_which(tmp_path: Path) -> None:
    got = outputs(tmp_path, 'output "x" {\n  value = [templatefile("t", {}), "ok"]\n}\n')
    assert plain(got["x"]) == [
        {
            "unknown": f'function templatefile() is not evaluated by this checker: `templatefile("t", {{}})` at {tmp_path}/main.tf:2'
        },
        "ok",
    ]


def test_a_catastrophic_regex_is_given_up_as_unknown_in_bounded_time(tmp_path: Path) -> None:
    got = outputs(
        tmp_path, 'output "x" {\n  value = regex("(a|a)*$", "${join("", [for i in range(40) : "a"])}b")\n}\n'
    )
    value = plain(got["x"])
    assert isinstance(value, dict)
    assert "took longer than" in str(value["unknown"])


def test_file_reads_stay_inside_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "key.pub").write_text("ssh-ed25519 AAAA\n")
    got = plain(
        outputs(tmp_path, 'output "k" {\n  value = [file("key.pub"), file("/etc/hostname")]\n}\n')["k"]
    )
    assert isinstance(got, list)
    assert got[0] == "ssh-ed25519 AAAA\n"
    assert isinstance(got[1], dict)
    assert "file '/etc/hostname' is outside the configuration's directories" in str(got[1]["unknown"])
