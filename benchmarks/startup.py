"""Start-up time of unspin, in fresh processes: `import unspin`, loading the model, and
`unspin analyze ARTICLE --format json` on one article.

Compares variants side by side in one run, interleaving their runs so that a busy
machine slows them alike: git revisions (each exported with `git archive` and run from
its own src/ and models/), the working tree, other source trees, another interpreter,
and any extra shell commands.

    python benchmarks/startup.py                          # the working tree, 5 runs each
    python benchmarks/startup.py --rev HEAD~1 --rev .     # a revision against the working tree
    python benchmarks/startup.py --rev main --command "unspin analyze examples/article-en.txt --threads 1"
    python benchmarks/startup.py --baseline-python /other/venv/bin/python
    python benchmarks/startup.py --src /tmp/old-checkout/src --rev .

Prints a markdown table: median, min and max wall seconds, the median's ratio to the
first variant's, and the median CPU seconds (steadier than wall time on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKING_TREE = "."


@dataclass(frozen=True)
class Variant:
    name: str
    python: str
    src: Path | None  # put first on PYTHONPATH; None: whatever the interpreter imports


@dataclass
class Case:
    name: str
    argv: list[str] | None  # None: the shell command in ``shell``
    shell: str | None = None
    times: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # variant -> (wall, cpu) per run


def main() -> None:
    args = _parse_args()
    with tempfile.TemporaryDirectory(prefix="unspin-startup-") as tmp:
        variants = _variants(args, Path(tmp))
        cases = _cases(args)
        env = _environment(args.env)
        plan = [(case, variant) for case in cases for variant in _variants_of(case, variants)]
        for case, variant in plan:  # warm-up: page cache, the encoder cache, .pyc files
            _time_once(case, variant, env)
        for round_ in range(args.runs):
            for case, variant in plan if round_ % 2 == 0 else reversed(plan):
                case.times.setdefault(variant.name, []).append(_time_once(case, variant, env))
    print(_table(cases, args))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rev",
        action="append",
        default=[],
        metavar="REV",
        help="a git revision to measure ('.' is the working tree; repeatable; default: '.')",
    )
    parser.add_argument(
        "--src",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="another source tree to measure, e.g. an exported checkout's src/ (repeatable)",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the revisions (default: this one)")
    parser.add_argument(
        "--baseline-python",
        metavar="PATH",
        help="also measure another interpreter (another checkout's venv) as it is installed there",
    )
    parser.add_argument(
        "--command",
        action="append",
        default=[],
        metavar="CMD",
        help="an extra shell command to time alongside, run from the repository root (repeatable)",
    )
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "article-en.txt")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per variant (after one warm-up run)")
    parser.add_argument(
        "--only",
        choices=("import", "load", "analyze"),
        action="append",
        help="measure only these cases (repeatable; default: all three)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment for every run, e.g. OMP_NUM_THREADS=1 (repeatable)",
    )
    return parser.parse_args()


def _variants(args: argparse.Namespace, tmp: Path) -> list[Variant]:
    variants = [Variant(str(src), args.python, src.resolve()) for src in args.src]
    variants += [_variant(rev, args.python, tmp) for rev in args.rev or ([] if args.src else [WORKING_TREE])]
    if args.baseline_python:
        variants.insert(0, Variant(f"python {args.baseline_python}", args.baseline_python, None))
    return variants


def _variant(rev: str, python: str, tmp: Path) -> Variant:
    if rev == WORKING_TREE:
        return Variant("working tree", python, ROOT / "src")
    commit = _git("rev-parse", "--short", rev).strip()
    target = tmp / commit
    target.mkdir(exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return Variant(rev if commit.startswith(rev) else f"{rev} ({commit})", python, target / "src")


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout


def _cases(args: argparse.Namespace) -> list[Case]:
    article = str(args.article.resolve())
    all_cases = {
        "import": Case("python -c 'import unspin'", ["-c", "import unspin"]),
        "load": Case("load the model", ["-c", "import unspin; unspin.load()"]),
        "analyze": Case(
            f"unspin analyze {args.article.name} --format json",
            ["-m", "unspin", "analyze", article, "--format", "json"],
        ),
    }
    cases = [all_cases[name] for name in args.only or all_cases]
    return cases + [Case(command, None, shell=command) for command in args.command]


def _variants_of(case: Case, variants: list[Variant]) -> list[Variant]:
    """A shell command is one variant of its own; the built-in cases run under every variant."""
    if case.argv is None:
        return [Variant("command", "", None)]
    return variants


def _environment(pairs: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    for pair in pairs:
        key, _, value = pair.partition("=")
        env[key] = value
    return env


def _time_once(case: Case, variant: Variant, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run."""
    if case.argv is None:
        command: list[str] | str = case.shell  # type: ignore[assignment]
    else:
        command = [variant.python, *case.argv]
    if variant.src is not None:
        env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(variant.src), env.get("PYTHONPATH")]))}
    cpu_before, start = _children_cpu(), time.perf_counter()
    result = subprocess.run(
        command,
        check=False,
        cwd=ROOT,
        env=env,
        shell=case.argv is None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu_before
    if result.returncode != 0:
        shown = command if isinstance(command, str) else shlex.join(command)
        sys.exit(f"{variant.name}: `{shown}` failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _table(cases: list[Case], args: argparse.Namespace) -> str:
    env = f", env {' '.join(args.env)}" if args.env else ""
    lines = [
        f"Seconds per fresh process, {args.runs} interleaved runs each{env}; CPU is user + system.",
        "",
        "| case | variant | median wall | min | max | vs first | median CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        first = statistics.median(wall for wall, _ in next(iter(case.times.values())))
        for variant, runs in case.times.items():
            walls = [wall for wall, _ in runs]
            median = statistics.median(walls)
            lines.append(
                f"| {case.name} | {variant} | {median:.2f} | {min(walls):.2f} | {max(walls):.2f} "
                f"| {median / first:.2f} | {statistics.median(cpu for _, cpu in runs):.2f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
