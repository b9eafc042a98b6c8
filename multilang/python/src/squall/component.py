"""The base of bolts and spouts: the handshake, reading and writing, logging, the run loop."""

import os
import sys
import traceback
from collections import deque
from typing import IO, Any, Deque, Dict, List, NoReturn, Optional, Union

from .errors import HostWentAway, ProtocolError
from .serializers import make_serializer

#: Environment variable naming the serializer when the component does not pass one.
SERIALIZER_ENV = "SQUALL_MULTILANG_SERIALIZER"
DEFAULT_SERIALIZER = "msgpack"

#: The version of the "squall" protocol extension this library speaks.
EXTENSION_VERSION = 1

#: In extension mode, output is written once per host message, or when this many messages wait.
FLUSH_THRESHOLD = 1000

#: Log levels of the protocol, by name.
LOG_LEVELS: Dict[str, int] = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "warning": 3, "error": 4}

SYNC: Dict[str, str] = {"command": "sync"}

Message = Dict[str, Any]


class Tuple:
    """One input tuple of a bolt.

    :ivar id: the host's id for this delivery, echoed in acks, fails and anchors.
    :ivar component: the id of the component that emitted it (``None`` for a heartbeat).
    :ivar stream: the stream it was emitted on.
    :ivar task: the task id that emitted it (-1 for system tuples).
    :ivar values: the tuple's values, in the order of the stream's fields.
    """

    __slots__ = ("id", "component", "stream", "task", "values")

    def __init__(
        self, id: str, component: Optional[str], stream: str, task: int, values: List[Any]
    ) -> None:
        self.id = id
        self.component = component
        self.stream = stream
        self.task = task
        self.values = values

    @property
    def is_tick(self) -> bool:
        """True for a tick tuple from the system component."""
        return self.stream == "__tick" and self.component == "__system"

    @property
    def is_heartbeat(self) -> bool:
        """True for the host's liveness probe (answered by the library, never seen by process)."""
        return self.stream == "__heartbeat" and self.task == -1

    def __repr__(self) -> str:
        return (
            f"Tuple(id={self.id!r}, component={self.component!r}, stream={self.stream!r}, "
            f"task={self.task!r}, values={self.values!r})"
        )


class Component:
    """Owns the conversation with the host; :class:`Bolt` and :class:`Spout` build on it.

    Subclasses override :meth:`initialize` and their own hooks, then call :meth:`run`.

    :param input_stream: binary stream the host writes to (default: stdin).
    :param output_stream: binary stream the host reads (default: stdout). When it is the real
        stdout, ``print()`` is redirected to stderr so it cannot corrupt the protocol.
    :param serializer: ``"msgpack"`` or ``"json"``; default: the ``SQUALL_MULTILANG_SERIALIZER``
        environment variable, else msgpack.
    :param accept_extension: accept the host's offer of the squall extension (batching, spout
        credits). Turn it off to force Storm's legacy conversation.

    :ivar conf: the topology configuration from the handshake.
    :ivar context: the task's topology context from the handshake.
    :ivar pid: this process's id, as reported to the host.
    :ivar extension_mode: whether the squall extension was negotiated.
    """

    def __init__(
        self,
        input_stream: Optional[IO[bytes]] = None,
        output_stream: Optional[IO[bytes]] = None,
        serializer: Optional[str] = None,
        accept_extension: bool = True,
    ) -> None:
        self._owns_stdout = output_stream is None
        serializer_name = serializer or os.environ.get(SERIALIZER_ENV) or DEFAULT_SERIALIZER
        self._serializer = make_serializer(
            serializer_name,
            sys.stdin.buffer if input_stream is None else input_stream,
            sys.stdout.buffer if output_stream is None else output_stream,
        )
        self._accept_extension = accept_extension
        self.conf: Dict[str, Any] = {}
        self.context: Dict[str, Any] = {}
        self.pid = os.getpid()
        self.extension_mode = False
        self._need_task_ids_default = True  # Storm's default; false in extension mode
        self._replied = False
        # Output waiting to be written. Until the handshake is done everything is buffered; in
        # legacy mode it is then None (each message is written at once), in extension mode it
        # is flushed once per host message.
        self._out: Optional[List[Message]] = []
        self._write = self._serializer.write
        self._next_message = self._serializer.messages().__next__
        # Legacy hosts interleave task-id arrays with other messages: each kind waits in its queue.
        self._pending_messages: Deque[Message] = deque()
        self._pending_task_ids: Deque[List[int]] = deque()

    # -- hooks -------------------------------------------------------------------------------

    def initialize(self, conf: Dict[str, Any], context: Dict[str, Any]) -> None:
        """Called once after the handshake, before any tuple or command. Override freely."""

    # -- what a component can say to the host ------------------------------------------------

    def log(self, message: Any, level: Union[int, str] = 2) -> None:
        """Write ``message`` to the host's log.

        :param level: 0 trace, 1 debug, 2 info, 3 warn, 4 error, or one of those names.
        """
        if isinstance(level, str):
            try:
                level = LOG_LEVELS[level.lower()]
            except KeyError:
                raise ValueError(f"unknown log level {level!r}") from None
        self._send({"command": "log", "msg": str(message), "level": int(level)})

    def report_error(self, message: Any) -> None:
        """Report an error to the host (its error log and UI); the component keeps running."""
        self._send({"command": "error", "msg": str(message)})

    def send_metric(self, name: str, params: Any) -> None:
        """Update the host-side metric ``name`` with ``params``."""
        self._send({"command": "metrics", "name": name, "params": params})

    # -- the run loop ------------------------------------------------------------------------

    def run(self) -> NoReturn:
        """Talk to the host until it goes away. Do not override: override the hooks.

        Exits with code 2 when the host closes the pipes, and with code 1 after reporting the
        traceback to the host when a hook raises.
        """
        try:
            self._start()
            self._loop()
        except HostWentAway:
            sys.exit(2)
        except Exception:
            self._report_crash(traceback.format_exc())
            sys.exit(1)
        raise AssertionError("the run loop returned")  # pragma: no cover

    def _loop(self) -> None:
        """Handle host messages forever (one iteration per message)."""
        raise NotImplementedError

    def _start(self) -> None:
        if self._owns_stdout:
            sys.stdout = sys.stderr  # a stray print() would corrupt the protocol on stdout
        handshake = self._next_message()
        if not isinstance(handshake, dict) or "pidDir" not in handshake:
            raise ProtocolError(f"expected the handshake, got {handshake!r:.200}")
        self.conf = handshake.get("conf") or {}
        self.context = handshake.get("context") or {}
        reply: Message = {"pid": self.pid}
        offer = handshake.get("squall")
        if self._accept_extension and isinstance(offer, dict) and offer.get("version", 0) >= 1:
            reply["squall"] = {"version": EXTENSION_VERSION}
            self.extension_mode = True
            self._need_task_ids_default = False
        self._create_pid_file(handshake["pidDir"])
        self._write(reply)
        self._replied = True
        self.initialize(self.conf, self.context)
        self._flush()
        if not self.extension_mode:
            self._out = None

    def _create_pid_file(self, pid_dir: str) -> None:
        # The supervisor kills every pid named in this directory when the worker goes away.
        os.makedirs(pid_dir, exist_ok=True)
        with open(os.path.join(pid_dir, str(self.pid)), "w"):
            pass

    def _report_crash(self, text: str) -> None:
        error = {"command": "error", "msg": text}
        if not self._replied:
            self._out = None  # before the reply, the host must see the error alone
        try:
            try:
                self._send(error)
                self._flush()
            except HostWentAway:
                raise
            except Exception:
                # The buffered output may be what failed (a value the serializer cannot encode).
                self._write(error)
        except Exception:
            sys.stderr.write(text)  # the host logs our stderr

    # -- reading -----------------------------------------------------------------------------

    def _next_command(self) -> Message:
        """Return the next host message that is not a task-id array."""
        pending = self._pending_messages
        while True:
            message = pending.popleft() if pending else self._next_message()
            if isinstance(message, dict):
                return message
            if isinstance(message, list):
                self._pending_task_ids.append(message)
            else:
                raise ProtocolError(f"unexpected message {message!r:.200}")

    def _read_task_ids(self) -> List[int]:
        """Return the task ids of the emit just sent, queueing other messages met meanwhile."""
        if self._pending_task_ids:
            return self._pending_task_ids.popleft()
        self._flush()  # the host cannot answer an emit it has not received
        while True:
            message = self._next_message()
            if isinstance(message, list):
                return message
            self._pending_messages.append(message)

    # -- writing -----------------------------------------------------------------------------

    def _send(self, message: Message) -> None:
        out = self._out
        if out is None:
            self._write(message)
        else:
            out.append(message)
            if len(out) >= FLUSH_THRESHOLD:
                self._flush()

    def _flush(self) -> None:
        """Write the buffered output: bare if one message, as one batch if several."""
        out = self._out
        if not out:
            return
        if not self.extension_mode:
            for message in out:
                self._write(message)
        elif len(out) == 1:
            self._write(out[0])
        else:
            self._write({"command": "batch", "messages": out})
        out.clear()

    def _send_emit(
        self,
        message: Message,
        stream: Optional[str],
        direct_task: Optional[int],
        need_task_ids: Optional[bool],
    ) -> Optional[List[int]]:
        """Complete an emit message with its optional fields, send it, and read its task ids."""
        if stream is not None and stream != "default":
            message["stream"] = stream
        if direct_task is not None:
            message["task"] = direct_task
            self._send(message)
            return None  # a direct emit never gets task ids back
        if need_task_ids is None:
            wants_ids = self._need_task_ids_default
        else:
            wants_ids = bool(need_task_ids)
            if wants_ids != self._need_task_ids_default:
                message["need_task_ids"] = wants_ids
        self._send(message)
        return self._read_task_ids() if wants_ids else None
