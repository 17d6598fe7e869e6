"""The layering rules of the tree, checked on the source files themselves.

* ``kernels/`` (installed as ``fastinit.kernels``) never imports ``fastinit``: kernels know
  arrays and numbers only, so the public layer can change without recompiling or re-caching them,
  and a kernel module can be read (and tested) on its own.
* No module of the package is longer than 500 lines: past that, a module holds more than one
  concern and should be split.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNELS = sorted((ROOT / "kernels").glob("*.py"))
PACKAGE = sorted((ROOT / "fastinit").rglob("*.py")) + KERNELS
MAX_LINES = 500


def _imported_modules(path):
    """(module name, relative level) of every import statement in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


@pytest.mark.parametrize("path", KERNELS, ids=lambda p: p.name)
def test_kernels_never_import_the_package(path):
    for module, level in _imported_modules(path):
        assert level <= 1, f"{path.name} reaches above kernels/ with a relative import"
        assert module.split(".")[0] != "fastinit", f"{path.name} imports {module}"


def test_the_import_check_sees_violations(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from fastinit import config\n    from .. import clip\n")
    assert list(_imported_modules(bad)) == [("fastinit", 0), ("", 2)]


@pytest.mark.parametrize("path", PACKAGE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_500_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"
