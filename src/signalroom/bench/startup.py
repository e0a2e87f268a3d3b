"""Start-up cost of the CLI: ``signalroom --help`` and ``signalroom detect`` on one line.

Each is timed as a fresh process beside the baseline ``python -c "import typer"`` (starting
Python with the CLI library and nothing of ours), the runs interleaved so that a busy machine
slows all three alike. Bytecode is cached in a private folder after one warm-up run, as it is
for an installed CLI; ``detect`` runs in an empty home (no signalroom.toml, no ``SIGNALROOM_*``
settings), the first-run case.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

LINE = b"We are a team of 40 accountants and need this live next month.\n"


def _signalroom() -> list[str]:
    script = Path(sys.executable).with_name("signalroom")
    if script.exists():
        return [str(script)]
    found = shutil.which("signalroom")
    return [found] if found else [sys.executable, "-m", "signalroom"]


def _environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SIGNALROOM_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    env["SIGNALROOM_HOME"] = str(workdir / "home")
    return env


def _run_ms(argv: list[str], env: dict[str, str], cwd: Path, stdin: bytes = b"") -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd, check=False)
    elapsed = (time.perf_counter() - t0) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-300:]!r}")
    return elapsed


def bench_startup(workdir: Path, runs: int) -> dict[str, float]:
    """Median milliseconds of each command over ``runs`` interleaved rounds."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "home").mkdir(exist_ok=True)
    env = _environment(workdir)
    cli = _signalroom()
    commands = {
        "typer_import_ms": ([sys.executable, "-c", "import typer"], b""),
        "cli_help_ms": ([*cli, "--help"], b""),
        "detect_once_ms": ([*cli, "detect"], LINE),
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, (argv, stdin) in commands.items():
            elapsed = _run_ms(argv, env, workdir, stdin)
            if round_:  # round 0 writes the bytecode cache
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}
