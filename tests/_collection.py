"""pytest plugin (loaded with ``-p tests._collection``): what the doctest run of fastinit/ skips.

It lives here rather than in a top-level conftest.py so the repository's top level stays
exactly the product's layout.
"""

import importlib.util
from pathlib import Path

# modules whose doctests need an optional dependency, and that dependency
_OPTIONAL = {"dask": "dask", "jax.py": "jax", "torch": "torch"}


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path)
    if path.parent.name != "fastinit":
        return None
    if path.name == "__main__.py":  # running it would exit the test session
        return True
    requirement = _OPTIONAL.get(path.name)  # a module, or a package (fastinit/torch/)
    if requirement and importlib.util.find_spec(requirement) is None:
        return True
    return None
