"""log(), report_error(), send_metric() and the logging handler."""

import logging

import pytest
from helpers import converse, tuple_message

from squall import Bolt, SquallLogHandler
from squall.log_handler import protocol_level


@pytest.mark.parametrize("levelno, expected", [
    (5, 0), (logging.DEBUG, 1), (logging.INFO, 2), (25, 2), (logging.WARNING, 3),
    (logging.ERROR, 4), (logging.CRITICAL, 4),
])
def test_protocol_level(levelno, expected):
    assert protocol_level(levelno) == expected


class Chatty(Bolt):
    def initialize(self, conf, context):
        self.logger = logging.Logger("chatty", logging.DEBUG)  # private: tests share no handlers
        handler = SquallLogHandler(self)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        self.logger.addHandler(handler)

    def process(self, tup):
        self.logger.debug("seen %s", tup.id)
        self.logger.critical("on fire")
        self.log("plain")
        self.log("by name", level="warn")
        self.log(12345, level=0)
        self.report_error(ValueError("odd"))
        self.send_metric("latency", {"p99": 1.5})
        self.ack(tup)


def test_everything_a_component_can_say(tmp_path):
    code, written = converse(Chatty, [tuple_message("t1", [])], tmp_path)
    assert code == 2
    assert written == [{"command": "batch", "messages": [
        {"command": "log", "msg": "DEBUG seen t1", "level": 1},
        {"command": "log", "msg": "CRITICAL on fire", "level": 4},
        {"command": "log", "msg": "plain", "level": 2},
        {"command": "log", "msg": "by name", "level": 3},
        {"command": "log", "msg": "12345", "level": 0},
        {"command": "error", "msg": "odd"},
        {"command": "metrics", "name": "latency", "params": {"p99": 1.5}},
        {"command": "ack", "id": "t1"},
    ]}]


def test_handler_respects_its_own_level(tmp_path):
    class Quiet(Bolt):
        def process(self, tup):
            logger = logging.Logger("quiet", logging.DEBUG)
            logger.addHandler(SquallLogHandler(self, level=logging.WARNING))
            logger.info("dropped")
            logger.warning("kept")
            self.ack(tup)

    code, written = converse(Quiet, [tuple_message("t1", [])], tmp_path)
    assert written[0]["messages"][0] == {"command": "log", "msg": "kept", "level": 3}
