"""Root pytest configuration: doctest collection of the package."""

import importlib.util

collect_ignore = ["fastinit/__main__.py", "setup.py", "docs", "benchmarks"]
# optional integrations are doctested only when their dependency is installed
for module, requirement in [("fastinit/torch.py", "torch"), ("fastinit/dask.py", "dask")]:
    if importlib.util.find_spec(requirement) is None:
        collect_ignore.append(module)
