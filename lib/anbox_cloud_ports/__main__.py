"""`python -m anbox_cloud_ports` is `anbox-ports`."""

from .cli import run

run()
