"""The README and the guide pages for framework users run: each page's ```python blocks, in
order, in one namespace, as a reader would paste them. A page needing an optional framework is
skipped without it."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# page -> the optional dependencies its examples need
PAGES = {
    "README.md": ("torch", "jax", "matplotlib"),
    "docs/torch.md": ("torch",),
    "docs/jax.md": ("jax",),
    "docs/random.md": (),
    "docs/stacks.md": (),
    "docs/depth.md": ("matplotlib",),
}
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page):
    return _BLOCK.findall((ROOT / page).read_text())


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_examples_run(page):
    missing = [r for r in PAGES[page] if importlib.util.find_spec(r) is None]
    if missing:
        pytest.skip(f"{page} needs {', '.join(missing)}")
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python example"
    namespace = {"__name__": "docs_example"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{page}, example {number}", "exec")
        exec(code, namespace)  # noqa: S102 - the docs' own examples
