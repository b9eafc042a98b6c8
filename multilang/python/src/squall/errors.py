"""Exceptions of the squall library."""


class HostWentAway(Exception):
    """The host closed our stdin (EOF) or our stdout (broken pipe).

    Nobody is listening any more: the component exits with code 2 without writing anything.
    """


class ProtocolError(Exception):
    """The host sent a message this component cannot understand.

    It is handled like any other exception: reported to the host, then exit code 1.
    """


class FailTuple(Exception):
    """Raise from :meth:`BasicBolt.process` to fail the current input tuple.

    The component keeps running; the host replays the tuple tree from its spout.
    """
