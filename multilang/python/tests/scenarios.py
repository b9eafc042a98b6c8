"""The components of the golden transcripts, as their scenario.md files describe them."""

import logging
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional

from sentence_spout import SentenceSpout
from split_sentence_bolt import SplitSentenceBolt

from squall import Bolt, Spout, SquallLogHandler, Tuple

VOCABULARY = frozenset("hello world the cow jumped over moon".split())


class InspectBolt(Bolt):
    """bolt-legacy-log-error-metrics: reports unknown words in every way the protocol has."""

    def initialize(self, conf: dict, context: dict) -> None:
        # A private logger, so components made by different tests do not share handlers.
        self.logger = logging.Logger("inspect", logging.DEBUG)
        self.logger.addHandler(SquallLogHandler(self))

    def process(self, tup: Tuple) -> None:
        sentence = tup.values[0]
        words = sentence.split()
        self.log(f"tuple {tup.id} from {tup.component}:{tup.stream}", level=0)
        self.logger.debug("%d words", len(words))
        self.logger.info("inspecting %r", sentence)
        unknown = [word for word in words if word not in VOCABULARY]
        for word in unknown:
            self.logger.warning("unknown word %r", word)
        if unknown:
            self.logger.error("%d unknown word(s) in tuple %s", len(unknown), tup.id)
        self.send_metric("unknown-words", len(unknown))
        for word in unknown:
            self.report_error(f"unknown word {word!r} in sentence {sentence!r}")
        for word in unknown:
            self.emit([f"unknown word {word!r}"], anchors=[tup], stream="audit")
        for index, word in enumerate(words):
            self.emit([word, len(word)], anchors=[tup], direct_task=5 + (index + 1) % 3)
        self.ack(tup)


EVENTS = [
    (["alice", "/home"], 1),
    (["bob", "/cart"], 2),
    (["alice", "/cart"], 3),
    (["carol", "/home"], 4),
    (["bob", "/checkout"], None),
]


class EventSpout(Spout):
    """spout-ext-credits: a queue of click events, failed ones replayed first."""

    def initialize(self, conf: dict, context: dict) -> None:
        self.queue = deque(EVENTS)
        self.in_flight: Dict[int, List[str]] = {}
        self.to_replay: Deque[int] = deque()

    def next_tuple(self) -> None:
        tup_id: Optional[int]
        if self.to_replay:
            tup_id = self.to_replay.popleft()
            values = self.in_flight[tup_id]
        elif self.queue:
            values, tup_id = self.queue.popleft()
            if tup_id is not None:
                self.in_flight[tup_id] = values
        else:
            return
        self.emit(values, tup_id=tup_id)

    def ack(self, tup_id: int) -> None:
        del self.in_flight[tup_id]

    def fail(self, tup_id: int) -> None:
        self.log(f"event {tup_id} failed, replaying", level="warn")
        self.to_replay.append(tup_id)


def two_sentence_spout(**kwargs: Any) -> SentenceSpout:
    return SentenceSpout(
        sentences=["the cow jumped over the moon", "an apple a day keeps the doctor away"],
        **kwargs,
    )


SCENARIOS: Dict[str, Callable[..., Any]] = {
    "bolt-legacy-split": SplitSentenceBolt,
    "bolt-ext-split": SplitSentenceBolt,
    "bolt-legacy-log-error-metrics": InspectBolt,
    "spout-legacy": two_sentence_spout,
    "spout-ext-credits": EventSpout,
}
