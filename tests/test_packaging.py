"""A non-editable install works on its own: the wheel carries the shipped questions, drills and the
live component, and `rehearse check`, `rehearse drill --help` and `rehearse transcribe` run from a
folder outside the checkout.

No copy of the world: the wheel is installed with --no-deps into a fresh virtualenv that sees the
test venv's libraries through a plain path in a .pth file (so the test venv's own editable install of
Rehearse stays inactive there) and nothing is installed from an index. The wheel is built without
build isolation, with the setuptools `make install` put in the test venv, so nothing is fetched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from paths import ROOT, SHARED_SPEECH

pytestmark = pytest.mark.slow


def _run(args: list, cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("packaging")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            work / "dist",
            ROOT,
        ],
        work,
        env,
        600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("rehearse-*.whl")

    target = work / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    site = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work, env).stdout.strip()
    )
    (site / "test-venv-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel], work, env)
    assert done.returncode == 0, done.stderr
    outside = work / "elsewhere"
    outside.mkdir()
    return wheel, target, outside, {**env, "REHEARSE_HOME": str(work / "home")}


def test_the_wheel_carries_the_shipped_data(installed):
    wheel, *_ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("rehearse/questions/") and n.endswith(".toml") for n in names)
    assert any(n.startswith("rehearse/drills/") and n.endswith(".toml") for n in names)
    assert "rehearse/web/live_component/index.html" in names
    assert not any(n.startswith(("tests/", "pages/")) for n in names)


def test_installed_commands_run_outside_the_checkout(installed):
    _wheel, target, outside, env = installed
    where = _run([target / "bin" / "python", "-c", "import rehearse; print(rehearse.__file__)"], outside, env)
    assert where.returncode == 0, where.stderr
    assert str(target) in where.stdout and str(ROOT) not in where.stdout  # the installed copy, not the checkout

    check = _run([target / "bin" / "rehearse", "check"], outside, env)
    assert check.returncode == 0, check.stderr
    loaded = check.stdout.split()
    assert int(loaded[0]) > 10 and int(loaded[3]) > 3 and "0 broken file(s)" in check.stdout

    helped = _run([target / "bin" / "rehearse", "drill", "--help"], outside, env)
    assert helped.returncode == 0 and "usage: rehearse drill" in helped.stdout, helped.stderr


def test_installed_transcribe_reads_a_real_clip(installed):
    _wheel, target, outside, env = installed
    clip = SHARED_SPEECH / "jfk_inaugural.flac"
    if not clip.exists():
        pytest.skip(f"{clip} is not here")
    done = _run([target / "bin" / "rehearse", "transcribe", clip], outside, env, 600)
    assert done.returncode == 0, done.stderr
    assert "country" in done.stdout.lower()
