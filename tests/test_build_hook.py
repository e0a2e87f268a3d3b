"""The build hook (hatch_build.py): a machine that cannot compile the detector still installs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from signalroom.signals import native

ROOT = Path(__file__).parents[1]
_RECORD = "/src/signalroom/signals/_native.json"

_HOOK = """
import json, sys
sys.path.insert(0, ".")
from hatch_build import DetectorBuildHook
hook = DetectorBuildHook(".", {}, None, None, "dist", "wheel")
build_data = {"artifacts": [], "force_include": {}}
hook.initialize("editable", build_data)
print(json.dumps(build_data))
"""


def _project(tmp_path: Path) -> Path:
    """A project with the hook and one small typed module under each compiled name: what the
    hook does on failure does not depend on what the modules hold, and mypy checks these in
    a few seconds instead of the detector's twenty."""
    root = tmp_path / "project"
    package = root / "src" / "signalroom" / "signals"
    package.mkdir(parents=True)
    (root / "src" / "signalroom" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    for name in native.COMPILED:
        (package / f"{name}.py").write_text(
            f"def {name}_size(words: list[str]) -> int:\n    return len(words)\n"
        )
    shutil.copy(ROOT / "hatch_build.py", root / "hatch_build.py")
    return root


def _hook(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _HOOK],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=280,
    )


def test_without_a_c_compiler_the_detector_is_installed_as_pure_python(tmp_path: Path) -> None:
    root = _project(tmp_path)
    done = _hook(root, CC="/bin/false", SIGNALROOM_BUILD_PURE="")
    build_data = json.loads(done.stdout)
    # a pure-Python wheel, with the build record saying why
    assert build_data == {"artifacts": [_RECORD], "force_include": {}}
    assert "the signal detector was not compiled" in done.stderr
    info = json.loads((root / "src/signalroom/signals/_native.json").read_text())
    assert info["compiled"] is False
    assert "exited" in info["why"]
    assert not list((root / "src/signalroom/signals").glob("*.so"))


def test_asking_for_a_pure_build_skips_the_compiler(tmp_path: Path) -> None:
    root = _project(tmp_path)
    done = _hook(root, SIGNALROOM_BUILD_PURE="1")
    assert json.loads(done.stdout) == {"artifacts": [_RECORD], "force_include": {}}
    info = json.loads((root / "src/signalroom/signals/_native.json").read_text())
    assert (info["compiled"], info["why"]) == (False, "SIGNALROOM_BUILD_PURE is set")
    assert done.stderr == ""
