"""`python -m anbox_cloud_ports` is `anbox-ports`."""

import sys

from .cli import main

sys.exit(main())
