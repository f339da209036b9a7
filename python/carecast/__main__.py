"""``python -m carecast``: the same as the ``carecast`` command."""

from carecast.cli import main

raise SystemExit(main())
