"""``python -m sessio``: the same as the ``sessio`` command."""

import sys

from sessio.cli.main import main

sys.exit(main())
