#!/usr/bin/env python3
"""An endless, reliable sentence spout: each emit carries an id, failures are replayed.

Output fields: ["sentence"]. Runs with the Python library in multilang/python (pip-installed or
not: the path is added below).
"""

import os
import random
import sys
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "multilang", "python", "src"))

from squall import Spout  # noqa: E402

SENTENCES = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
]


class SentenceSpout(Spout):
    def initialize(self, conf, context):
        self.next_id = 0
        self.in_flight = {}  # id -> sentence, until acked
        self.replay = deque()

    def next_tuple(self):
        if self.replay:
            tup_id = self.replay.popleft()
        else:
            tup_id = self.next_id
            self.next_id += 1
            self.in_flight[tup_id] = random.choice(SENTENCES)
        self.emit([self.in_flight[tup_id]], tup_id=tup_id)

    def ack(self, tup_id):
        del self.in_flight[tup_id]

    def fail(self, tup_id):
        self.log(f"sentence {tup_id} failed, replaying", level="warn")
        self.replay.append(tup_id)


if __name__ == "__main__":
    SentenceSpout().run()
