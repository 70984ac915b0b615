"""pyminpack.show_config(): what it prints and returns, checked against the
sources it reports on (numpy, platform, minpack_src/README.md)."""

from __future__ import annotations

import doctest
import io
import platform
import re
from pathlib import Path

import numpy as np
import pytest

import pyminpack
from pyminpack import _config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def config() -> dict:
    return pyminpack.show_config(file=io.StringIO())


def test_show_config_is_public() -> None:
    assert "show_config" in pyminpack.__all__
    assert pyminpack.show_config is _config.show_config


def test_top_level_keys(config: dict) -> None:
    assert list(config) == ["pyminpack", "minpack", "numpy", "python", "platform", "build"]


def test_versions_are_the_running_ones(config: dict) -> None:
    assert config["pyminpack"]["version"] == pyminpack.__version__
    assert config["numpy"]["runtime"] == np.__version__
    assert config["python"]["version"] == platform.python_version()
    assert config["platform"]["machine"] == platform.machine()


def test_numpy_build_version_is_2_or_later(config: dict) -> None:
    # Built against numpy >= 2 (pyproject's build requires) so that one wheel
    # runs with numpy 1.25+ and 2.x.
    major = int(config["numpy"]["build"].split(".")[0])
    assert major >= 2


def test_python_build_version_matches_the_running_interpreter(config: dict) -> None:
    assert config["python"]["build_version"] == ".".join(platform.python_version_tuple()[:2])


def test_minpack_version_is_the_one_minpack_src_records(config: dict) -> None:
    readme = (ROOT / "minpack_src" / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"version \*\*(.+?)\*\*", readme)
    assert recorded is not None, "minpack_src/README.md names no version"
    assert config["minpack"]["version"] == recorded.group(1) == "19961126+dfsg1"


def test_build_details_are_filled_in(config: dict) -> None:
    build = config["build"]
    assert build["buildtype"] in {"plain", "debug", "debugoptimized", "release", "minsize", "custom"}
    assert build["optimization"] in {"plain", "0", "g", "1", "2", "3", "s"}
    assert set(build["compilers"]) == {"c", "fortran"}
    for compiler in build["compilers"].values():
        assert compiler["id"] and compiler["version"] and compiler["linker"]
        assert "@" not in "".join(compiler.values()), "an unsubstituted template key"


#: The flag that turns floating-point contraction off, by compiler (meson's
#: ids); the other compilers meson.build knows cannot build here.
CONTRACTION_OFF = {"gcc": "-ffp-contract=off", "clang": "-ffp-contract=off", "llvm-flang": "-ffp-contract=off"}


def test_the_build_turned_floating_point_contraction_off(config: dict) -> None:
    # Without it, gcc fuses multiply-adds on aarch64 and the bits of every
    # solve differ from x86-64's (test_mgh.py then fails, as it does for an
    # x86-64 build with -mfma -ffp-contract=fast).
    for language, compiler in config["build"]["compilers"].items():
        assert compiler["fp_args"], f"{language}: no floating-point flags recorded"
        if compiler["id"] in CONTRACTION_OFF:
            assert CONTRACTION_OFF[compiler["id"]] in compiler["fp_args"].split(), language


def test_prints_every_value(config: dict) -> None:
    out = io.StringIO()
    returned = pyminpack.show_config(file=out)
    text = out.getvalue()
    assert returned == config
    for key in ("pyminpack:", "minpack:", "numpy:", "python:", "platform:", "build:"):
        assert re.search(rf"^{key}$", text, flags=re.MULTILINE), key
    assert f"runtime: {np.__version__}" in text
    assert "version: 19961126+dfsg1" in text


def test_prints_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    pyminpack.show_config()
    assert capsys.readouterr().out.startswith("pyminpack:\n  version: ")


def test_docstring_examples_run() -> None:
    failures, attempted = doctest.testmod(_config, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failures == 0
