"""CLI startup: `ecs-why explain FILE` and `ecs-why --help`, each a whole process, wall and CPU time.

Target (issue 16): each under 150 ms wall, the median of 5 runs, on this machine.
Run: .venv/bin/python bench/cli_startup.py [--runs N] [--importtime] [--instructions]

Each command runs once to warm the caches (the page cache), then N times; the median is the figure (the
machine is shared: a wide min–max says it was busy, and the CPU time, the process's own user + system time,
moves less with the load than the wall). `--importtime` also prints the modules that cost `explain` the
most (`python -X importtime`, self time, the lowest of 3 runs), the list to cut from. `--instructions` also
counts each command's instructions once under valgrind's callgrind: a figure the machine's load does not
move, to compare two trees by on a busy machine.

Bytecode: an installed ecs-why (pip install, the image) carries its modules' bytecode; an editable checkout
run with PYTHONDONTWRITEBYTECODE=1 (the image's setting, often a developer's) has none and compiles every
module at every start, about a quarter more time. So the bench first compiles the project's stale modules,
as pip install does, and says how many were; `--as-is` measures the checkout as it is instead.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "diagnosis" / "examples" / "stopped-tasks.json"
TARGET_MS = 150.0
_ENTRY = "import sys; from bot.cli_start import main; sys.argv[0] = 'ecs-why'; main()"
_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


PACKAGES = ("diagnosis", "bot", "handlers")


def stale_bytecode() -> list[Path]:
    """The project's modules whose bytecode is missing or older than the source (Python then compiles them
    at every start, when it may not write the bytecode)."""
    stale = []
    for source in (path for package in PACKAGES for path in (ROOT / package).rglob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16] if cached.exists() else b""
        stat = source.stat()
        fresh = len(header) == 16 and header[8:12] == int(stat.st_mtime).to_bytes(4, "little")
        if not (fresh and header[12:16] == (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")):
            stale.append(source)
    return stale


def command(*args: str) -> list[str]:
    """The installed `ecs-why` next to this Python, else the same entry point through `python -c`."""
    script = Path(sys.executable).with_name("ecs-why")
    return [str(script), *args] if script.exists() else [sys.executable, "-c", _ENTRY, *args]


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one whole process; its output is read and dropped."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def measure(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    run_once(argv)  # warm-up, not counted
    walls, cpus = zip(*(run_once(argv) for _ in range(runs)), strict=True)
    return list(walls), list(cpus)


def instructions(argv: list[str]) -> int | None:
    """The instructions one whole process runs (callgrind's count), or None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found[1]) if found else None


def importtime(args: list[str], top: int = 15) -> list[tuple[float, float, str]]:
    """(self ms, cumulative ms, module) of the costliest imports of one command, the lowest of 3 runs."""
    selfs: dict[str, list[int]] = defaultdict(list)
    cumulative: dict[str, list[int]] = defaultdict(list)
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "__all__"}  # as main() sets it
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _ENTRY, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        for line in done.stderr.splitlines():
            if found := _IMPORT.match(line):
                selfs[found[4]].append(int(found[1]))
                cumulative[found[4]].append(int(found[2]))
    rows = [(min(selfs[m]) / 1000, min(cumulative[m]) / 1000, m) for m in selfs]
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--importtime", action="store_true", help="also list explain's costliest imports")
    parser.add_argument("--as-is", action="store_true", help="do not compile stale bytecode first")
    parser.add_argument("--instructions", action="store_true", help="also count instructions (callgrind)")
    options = parser.parse_args()
    stale = stale_bytecode()
    if stale and not options.as_is:
        for package in PACKAGES:
            compileall.compile_dir(ROOT / package, quiet=1)
    if stale:
        done = "left as is (--as-is)" if options.as_is else "compiled first, as pip install does"
        print(f"bytecode: {len(stale)} of the project's modules had none up to date; {done}")
    cases = {"explain FILE": ["explain", str(EXAMPLE)], "--help": ["--help"]}
    print(f"CLI startup, whole process, median of {options.runs} (target: under {TARGET_MS:.0f} ms wall)")
    met = True
    for label, args in cases.items():
        walls, cpus = measure(command(*args), options.runs)
        wall = statistics.median(walls)
        met &= wall < TARGET_MS
        print(
            f"  ecs-why {label:<13} wall {wall:6.1f} ms (min {min(walls):.1f}, max {max(walls):.1f})  "
            f"cpu {statistics.median(cpus):6.1f} ms  {'met' if wall < TARGET_MS else 'NOT met'}"
        )
        if options.instructions:
            count = instructions(command(*args))
            print(
                f"  {'':<21} {f'{count / 1e6:,.0f} M instructions' if count else 'no valgrind: not counted'}"
            )
    if options.importtime:
        print("explain's costliest imports (self ms, cumulative ms):")
        for own, total, module in importtime(cases["explain FILE"]):
            print(f"  {own:6.1f} {total:7.1f}  {module}")
    print("target met" if met else "target NOT met")


if __name__ == "__main__":
    main()
