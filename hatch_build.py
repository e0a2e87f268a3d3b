"""Build hook: compiles the signal detector's hot modules to C extensions with mypyc.

hatchling runs this for wheels and for editable installs (``uv sync``). The modules in
``COMPILED`` are type-checked and translated by mypyc (shipped with mypy) and built by
setuptools' ``build_ext`` next to their sources; the extension is loaded before the ``.py``
of the same name. The detector is about 2.8x faster compiled (docs/benchmarks.md); its results
are the same, and the pure-Python modules stay in the package as the fallback:

- when compiling fails (no C compiler, say) the build warns and carries on as pure Python;
- ``SIGNALROOM_BUILD_PURE=1`` skips compiling (a faster build while editing the detector);
- ``_native.json`` records a hash of each compiled source, so a stale extension (its source
  edited since the build) is noticed at import and the source is used instead
  (``signalroom.signals.native``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = Path("src/signalroom/signals")
#: The detector's per-utterance path; the rest of the package is not worth a C build.
COMPILED = ("model", "phrases", "tokens", "rules", "fragments", "quantities", "lexicon", "detector")
GROUP = "signalroom.signals._detector"
GROUP_LIBRARY = "_detector__mypyc"  # mypyc's name for the group's shared library
BUILD_INFO = PACKAGE / "_native.json"

# mypy reads the project's settings from pyproject.toml, whose plugins need the runtime
# dependencies this isolated build does not have; these are the settings mypyc needs.
_MYPY_CONFIG = """\
[mypy]
python_version = {version}
strict = True
ignore_missing_imports = True
follow_imports = silent
warn_unused_ignores = False
"""

# Run in a child process: setuptools and mypy keep global state this process should not share.
_SETUP = """\
import sys
from setuptools import setup
from mypyc.build import mypycify

config, group, build_temp, *paths = sys.argv[1:]
setup(
    name="signalroom-detector",
    package_dir={"": "src"},
    ext_modules=mypycify(["--config-file", config, *paths], opt_level="3", group_name=group,
                        target_dir=build_temp),
    script_args=["build_ext", "--inplace", "--build-temp", build_temp, "--build-lib", build_temp],
)
"""


def source_hashes(root: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((root / PACKAGE / f"{name}.py").read_bytes()).hexdigest()
        for name in COMPILED
    }


class DetectorBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        self._clean(root)
        # the build record ships either way: `signalroom doctor` reads why a build is pure
        build_data["artifacts"].append(f"/{BUILD_INFO.as_posix()}")
        if os.environ.get("SIGNALROOM_BUILD_PURE", "").strip() not in ("", "0"):
            self._record(root, compiled=False, why="SIGNALROOM_BUILD_PURE is set")
            return
        try:
            outputs = self._compile(root)
        except CompileError as exc:
            sys.stderr.write(
                f"warning: signalroom: the signal detector was not compiled ({exc}); "
                "installing it as pure Python (same results, about 2.8x slower)\n"
            )
            self._record(root, compiled=False, why=str(exc))
            return
        self._record(root, compiled=True, why="")
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["artifacts"].extend(f"/{p.relative_to(root).as_posix()}" for p in outputs)

    def clean(self, versions: list[str]) -> None:
        self._clean(Path(self.root))

    def _compile(self, root: Path) -> list[Path]:
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        with tempfile.TemporaryDirectory(prefix="signalroom-mypyc-") as tmp:
            config = Path(tmp) / "mypy.ini"
            version = f"{sys.version_info.major}.{sys.version_info.minor}"
            config.write_text(_MYPY_CONFIG.format(version=version))
            script = Path(tmp) / "setup.py"
            script.write_text(_SETUP)
            paths = [str(PACKAGE / f"{name}.py") for name in COMPILED]
            env = {**os.environ, "MYPY_CACHE_DIR": str(Path(tmp) / "mypy-cache")}
            try:
                done = subprocess.run(
                    [
                        sys.executable,
                        str(script),
                        str(config),
                        GROUP,
                        str(Path(tmp) / "build"),
                        *paths,
                    ],
                    cwd=root,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            except OSError as exc:
                raise CompileError(str(exc)) from exc
            if done.returncode:
                lines = (done.stdout + done.stderr).strip().splitlines() or ["no output"]
                first_error = next((line for line in lines if "error" in line.lower()), lines[-1])
                raise CompileError(f"mypyc/setuptools exited {done.returncode}: {first_error}")
        # one small module per source, and the shared library that holds their code
        outputs = [root / PACKAGE / f"{name}{suffix}" for name in (*COMPILED, GROUP_LIBRARY)]
        missing = [p.name for p in outputs if not p.is_file()]
        if missing:
            raise CompileError(f"the build did not produce {', '.join(missing)}")
        return outputs

    def _record(self, root: Path, *, compiled: bool, why: str) -> None:
        info = {"compiled": compiled, "why": why, "sources": source_hashes(root)}
        (root / BUILD_INFO).write_text(json.dumps(info, indent=1) + "\n")

    @staticmethod
    def _clean(root: Path) -> None:
        for path in (root / PACKAGE).iterdir():
            if path.suffix in (".so", ".pyd") or path.name == BUILD_INFO.name:
                path.unlink()


class CompileError(Exception):
    pass
