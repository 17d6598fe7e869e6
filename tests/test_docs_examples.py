"""The guide pages for framework users run: each page's ```python blocks, in order, in one
namespace, as a reader would paste them. A page needing an optional framework is skipped
without it."""

import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
# page -> the optional dependency its examples need
PAGES = {"torch.md": "torch", "jax.md": "jax", "random.md": None}
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page):
    return _BLOCK.findall((DOCS / page).read_text())


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_examples_run(page):
    requirement = PAGES[page]
    if requirement and importlib.util.find_spec(requirement) is None:
        pytest.skip(f"{page} needs {requirement}")
    blocks = python_blocks(page)
    assert blocks, f"docs/{page} has no python example"
    namespace = {"__name__": f"docs_{page[:-3]}"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"docs/{page}, example {number}", "exec")
        exec(code, namespace)  # noqa: S102 - the docs' own examples
