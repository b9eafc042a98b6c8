"""Write Squall (and Apache Storm) bolts and spouts in Python.

A component is a subprocess that talks to its host over stdin/stdout using Storm's multilang
messages, framed with msgpack (default) or JSON, plus Squall's batching extension when the
host offers it. Subclass :class:`Bolt`, :class:`BasicBolt` or :class:`Spout` and call
``run()``.
"""

from .bolt import BasicBolt, Bolt
from .component import Component, Tuple
from .errors import FailTuple, HostWentAway, ProtocolError
from .log_handler import SquallLogHandler
from .serializers import JsonSerializer, MsgpackSerializer, Serializer
from .spout import Spout

__version__ = "0.1.0"

__all__ = [
    "BasicBolt",
    "Bolt",
    "Component",
    "FailTuple",
    "HostWentAway",
    "JsonSerializer",
    "MsgpackSerializer",
    "ProtocolError",
    "Serializer",
    "Spout",
    "SquallLogHandler",
    "Tuple",
]
