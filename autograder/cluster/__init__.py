"""Grading across machines: a batch's driver hands submissions to one actor per cluster node.

Trust flows one way: the driver sends each node the grading bundle and submissions as bytes; a
node grades them in its own fork-server pool, exactly as a local batch does, and sends back each
report as plain JSON data. Nothing the driver runs comes from a node as code or pickled objects.
"""


class ClusterError(Exception):
    """The cluster cannot grade this batch (cannot connect, no node left, a node that cannot grade)."""
