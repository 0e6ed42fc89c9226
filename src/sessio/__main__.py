"""``python -m sessio``: the same as the ``sessio`` command."""

import sys

from sessio.cli import main

sys.exit(main())
