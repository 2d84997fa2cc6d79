"""``python -m kmlab``: the same as the ``kmlab`` command."""

import sys

from .cli import main

sys.exit(main())
