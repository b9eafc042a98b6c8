#!/usr/bin/env python3
"""A reliable spout over a few fixed sentences that replays the ones that fail.

Output fields: ``["sentence"]``. Each sentence is emitted once with the id ``sentence-<index>``;
a failed sentence is logged and emitted again (before any new one) with the same id. When every
sentence has been emitted and nothing waits for replay, next_tuple() emits nothing.
"""

from collections import deque
from typing import Deque, Dict, Iterable, Optional

from squall import Spout

SENTENCES = (
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
)


class SentenceSpout(Spout):
    def __init__(self, sentences: Optional[Iterable[str]] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sentences = list(SENTENCES if sentences is None else sentences)

    def initialize(self, conf: dict, context: dict) -> None:
        self.next_index = 0
        self.in_flight: Dict[str, int] = {}  # tuple id -> sentence index
        self.to_replay: Deque[int] = deque()

    def next_tuple(self) -> None:
        if self.to_replay:
            index = self.to_replay.popleft()
        elif self.next_index < len(self.sentences):
            index = self.next_index
            self.next_index += 1
        else:
            return
        tup_id = f"sentence-{index}"
        self.in_flight[tup_id] = index
        self.emit([self.sentences[index]], tup_id=tup_id)

    def ack(self, tup_id: str) -> None:
        del self.in_flight[tup_id]

    def fail(self, tup_id: str) -> None:
        self.log(f"{tup_id} failed, replaying", level="warn")
        self.to_replay.append(self.in_flight.pop(tup_id))


if __name__ == "__main__":
    SentenceSpout().run()
