"""``python -m fastinit``: the same commands as the ``fastinit`` script."""

import sys

from .cli import main

sys.exit(main())
