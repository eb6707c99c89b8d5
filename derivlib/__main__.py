"""`python -m derivlib`: see derivlib.cli."""

import sys

from .cli import main

sys.exit(main())
