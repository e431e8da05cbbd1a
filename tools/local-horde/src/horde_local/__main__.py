"""``python -m horde_local``: the ``local-horde`` command."""

from __future__ import annotations

import sys

from horde_local.cli import main

sys.exit(main())
