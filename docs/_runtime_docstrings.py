"""Griffe extension of the API reference: docstrings completed at import are read from the import.

Several metric functions share docstring sections, written once in
``fastinit/metrics/_docstrings.py`` and filled in when their module is imported. In the source
such a docstring holds a placeholder line, ``{name}``, which is all that mkdocstrings (reading
the source) would show; for a function whose docstring has one, this extension imports the
function and takes its docstring as Python sees it. mkdocstrings' own ``force_inspection`` would
import every module of the package instead, ``fastinit.__main__`` included, which runs the
command line.
"""

import inspect
import re

import griffe

_PLACEHOLDER = re.compile(r"^\s*\{\w+\}\s*$", re.MULTILINE)


class RuntimeDocstrings(griffe.Extension):
    """Replace a docstring that holds a ``{name}`` placeholder line by the imported one."""

    def on_function_instance(self, *, func, **kwargs):
        docstring = func.docstring
        if docstring is None or not _PLACEHOLDER.search(docstring.value):
            return
        imported = griffe.dynamic_import(func.path)
        docstring.value = inspect.cleandoc(imported.__doc__)
