"""Small charms implementing each side of `anbox_ports`, for the relation's own tests.

They use only the library's adapter (`anbox_cloud_ports.charm.interface`), as an Anbox service charm
and the validator would, so the interface tests judge the library, not a charm's extras.
"""
