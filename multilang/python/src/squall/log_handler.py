"""Forward Python :mod:`logging` records to the host's log."""

import logging

from .component import Component
from .errors import HostWentAway


def protocol_level(levelno: int) -> int:
    """Map a :mod:`logging` level number to the protocol's 0 (trace) .. 4 (error)."""
    if levelno >= logging.ERROR:
        return 4
    if levelno >= logging.WARNING:
        return 3
    if levelno >= logging.INFO:
        return 2
    if levelno >= logging.DEBUG:
        return 1
    return 0


class SquallLogHandler(logging.Handler):
    """A :class:`logging.Handler` that sends each record to the host as a ``log`` command.

    Install it in ``initialize``, once the host is listening::

        logging.getLogger().addHandler(SquallLogHandler(self))

    CRITICAL maps to error (4) and levels below DEBUG to trace (0). Like the rest of the
    component, it must only be used from the thread that runs the component.
    """

    def __init__(self, component: Component, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.component = component

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.component.log(self.format(record), protocol_level(record.levelno))
        except HostWentAway:
            raise  # let the run loop end the process quietly
        except Exception:
            self.handleError(record)
