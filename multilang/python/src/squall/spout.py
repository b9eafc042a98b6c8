"""Spouts: components that produce tuples when the host asks."""

from typing import Any, List, Optional, Union

from .component import SYNC, Component, Message
from .errors import ProtocolError

TupleId = Union[str, int]


class Spout(Component):
    """A spout: override :meth:`next_tuple` (and usually :meth:`ack`, :meth:`fail`), then
    :meth:`run`.

    The host asks for tuples with ``next``. In legacy mode :meth:`next_tuple` is called once per
    request; in extension mode up to the request's credits, stopping at the first call that
    emits nothing, so a spout should emit at most a few tuples per call and return promptly.
    """

    _emitted = 0  # counts emits, to see whether a next_tuple() call emitted anything

    # -- hooks -------------------------------------------------------------------------------

    def next_tuple(self) -> None:
        """Emit the next tuple(s), or nothing when there is nothing to emit. Must be overridden."""
        raise NotImplementedError(f"{type(self).__name__} must define next_tuple()")

    def ack(self, tup_id: TupleId) -> None:
        """The tuple emitted with ``tup_id`` was fully processed."""

    def fail(self, tup_id: TupleId) -> None:
        """The tuple emitted with ``tup_id`` failed or timed out; emit it again to replay it."""

    def activate(self) -> None:
        """The topology was activated: next_tuple() calls will follow."""

    def deactivate(self) -> None:
        """The topology was deactivated: no next_tuple() calls until the next activate."""

    # -- what a spout can say to the host ----------------------------------------------------

    def emit(
        self,
        values: List[Any],
        tup_id: Optional[TupleId] = None,
        stream: Optional[str] = None,
        direct_task: Optional[int] = None,
        need_task_ids: Optional[bool] = None,
    ) -> Optional[List[int]]:
        """Emit a tuple.

        :param values: the tuple's values, in the order of the stream's declared fields.
        :param tup_id: a str or int id that makes the tuple reliable: :meth:`ack` or
            :meth:`fail` is called with it later. Without it the tuple is never tracked.
        :param stream: the output stream, ``"default"`` if not given.
        :param direct_task: emit directly to this task (the stream must be declared direct).
        :param need_task_ids: ask the host for the task ids the tuple went to; default true
            in legacy mode, false in extension mode.
        :return: the task ids if they were asked for, else ``None``.
        """
        self._emitted += 1
        message: Message = {"command": "emit", "tuple": values}
        if tup_id is not None:
            message["id"] = tup_id
        return self._send_emit(message, stream, direct_task, need_task_ids)

    # -- the run loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        next_command = self._next_command
        extension = self.extension_mode
        while True:
            message = next_command()
            command = message.get("command")
            if command == "next":
                if extension:
                    self._next_with_credits(message.get("credits", 1))
                else:
                    self.next_tuple()
            elif command == "ack":
                self.ack(message["id"])
            elif command == "fail":
                self.fail(message["id"])
            elif command == "acks" and extension:
                for tup_id in message["ids"]:
                    self.ack(tup_id)
            elif command == "fails" and extension:
                for tup_id in message["ids"]:
                    self.fail(tup_id)
            elif command == "activate":
                self.activate()
            elif command == "deactivate":
                self.deactivate()
            else:
                raise ProtocolError(f"a spout cannot handle {message!r:.200}")
            # Legacy hosts wait for a sync after every command; the extension only after next.
            if command == "next" or not extension:
                self._send(SYNC)
            self._flush()

    def _next_with_credits(self, credits: int) -> None:
        next_tuple = self.next_tuple
        for _ in range(credits):
            emitted_before = self._emitted
            next_tuple()
            if self._emitted == emitted_before:
                break
