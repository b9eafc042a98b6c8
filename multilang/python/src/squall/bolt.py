"""Bolts: components that process tuples from the host."""

from typing import Any, Iterable, List, Optional, Sequence, Union

from .component import FLUSH_THRESHOLD, SYNC, Component, Message, Tuple
from .errors import FailTuple, ProtocolError

# Input streams the library handles itself instead of passing them to process().
_SYSTEM_STREAMS = frozenset(("__tick", "__heartbeat"))


class Bolt(Component):
    """A bolt: override :meth:`process` (and optionally :meth:`process_tick`), then :meth:`run`.

    You anchor and ack yourself; :class:`BasicBolt` does both for you. Heartbeats are answered
    by the library, and tick tuples are acked by it after :meth:`process_tick` returns.
    """

    #: Anchor emits to the current input, ack it after process() and fail it on FailTuple.
    _auto_ack = False
    #: Anchors used when emit() is given none: the current input while a BasicBolt processes it.
    _auto_anchors: Sequence[str] = ()

    # -- hooks -------------------------------------------------------------------------------

    def process(self, tup: Tuple) -> None:
        """Handle one input tuple. Must be overridden."""
        raise NotImplementedError(f"{type(self).__name__} must define process(tup)")

    def process_tick(self, tup: Tuple) -> None:
        """Handle a tick tuple (``tup.values == [frequency secs]``). Do not ack it yourself."""

    # -- what a bolt can say to the host -----------------------------------------------------

    def emit(
        self,
        values: List[Any],
        anchors: Optional[Iterable[Union[Tuple, str]]] = None,
        stream: Optional[str] = None,
        direct_task: Optional[int] = None,
        need_task_ids: Optional[bool] = None,
    ) -> Optional[List[int]]:
        """Emit a tuple.

        :param values: the tuple's values, in the order of the stream's declared fields.
        :param anchors: input tuples (or their ids) the new tuple is anchored to; none by
            default (in a :class:`BasicBolt`: the current input).
        :param stream: the output stream, ``"default"`` if not given.
        :param direct_task: emit directly to this task (the stream must be declared direct).
        :param need_task_ids: ask the host for the task ids the tuple went to. The default
            is true in legacy mode (as in Storm) and false in extension mode. Asking costs a
            round trip to the host per emit.
        :return: the task ids if they were asked for, else ``None`` (always for direct emits).
        """
        if anchors is None:
            anchor_ids = self._auto_anchors
        else:
            anchor_ids = []
            for anchor in anchors:  # a plain loop: a comprehension costs twice as much here
                anchor_ids.append(anchor.id if isinstance(anchor, Tuple) else anchor)
        message = {"command": "emit", "anchors": anchor_ids, "tuple": values}
        if stream is None and direct_task is None and need_task_ids is None and self.extension_mode:
            # The hot path (extension mode, nothing optional): _send inlined.
            out: List[Message] = self._out  # type: ignore[assignment]  # a list in this mode
            out.append(message)
            if len(out) >= FLUSH_THRESHOLD:
                self._flush()
            return None
        return self._send_emit(message, stream, direct_task, need_task_ids)

    def ack(self, tup: Union[Tuple, str]) -> None:
        """Tell the host the tuple (or tuple id) was processed."""
        message = {"command": "ack", "id": tup.id if isinstance(tup, Tuple) else tup}
        out = self._out
        if out is None:
            self._write(message)
        else:  # _send inlined: one ack per tuple is on the hot path
            out.append(message)
            if len(out) >= FLUSH_THRESHOLD:
                self._flush()

    def fail(self, tup: Union[Tuple, str]) -> None:
        """Tell the host the tuple (or tuple id) failed: its tree is replayed from the spout."""
        self._send({"command": "fail", "id": tup.id if isinstance(tup, Tuple) else tup})

    # -- the run loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        next_command = self._next_command
        flush = self._flush
        while True:
            message = next_command()
            command = message.get("command")
            if command is None:  # a single tuple
                entry = (message["id"], message["comp"], message["stream"], message["task"],
                         message["tuple"])
                self._process_entries((entry,))
            elif command == "tuples" and self.extension_mode:
                self._process_entries(message["tuples"])
            else:
                raise ProtocolError(f"a bolt cannot handle {message!r:.200}")
            flush()

    def _process_entries(self, entries: Iterable[Sequence[Any]]) -> None:
        """Handle tuples given as ``[id, comp, stream, task, values]``, in order.

        This is the hot path: locals instead of attribute lookups, and ack/fail messages
        built here rather than through ack()/fail().
        """
        process = self.process
        send = self._send
        auto_ack = self._auto_ack
        for entry in entries:
            tup = Tuple(*entry)
            if tup.stream in _SYSTEM_STREAMS and self._handle_system_tuple(tup):
                continue
            if not auto_ack:
                process(tup)
                continue
            self._auto_anchors = (tup.id,)
            try:
                process(tup)
            except FailTuple:
                send({"command": "fail", "id": tup.id})
            else:
                send({"command": "ack", "id": tup.id})
        self._auto_anchors = ()

    def _handle_system_tuple(self, tup: Tuple) -> bool:
        """Answer a heartbeat or run a tick; return False for an ordinary tuple."""
        if tup.is_heartbeat:
            self._send(SYNC)
        elif tup.is_tick:
            self._auto_anchors = ()
            self.process_tick(tup)
            self._send({"command": "ack", "id": tup.id})  # the host holds every id until acked
        else:
            return False
        return True


class BasicBolt(Bolt):
    """A bolt that anchors and acks for you (Storm's ``IBasicBolt``).

    Every :meth:`emit` inside :meth:`process` is anchored to the current input unless you
    pass ``anchors``, and the input is acked when :meth:`process` returns. Raise
    :class:`FailTuple` to fail the input instead; any other exception is reported to the
    host and ends the process (exit code 1).
    """

    _auto_ack = True

