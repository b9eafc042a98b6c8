#!/usr/bin/env python3
"""Splits each sentence into words: ["sentence"] in, one ["word"] tuple per word out.

A BasicBolt: every emit is anchored to the input, and the input is acked when process()
returns (or failed if it raises FailTuple).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "multilang", "python", "src"))

from squall import BasicBolt, FailTuple  # noqa: E402


class SplitBolt(BasicBolt):
    def initialize(self, conf, context):
        self.words = 0

    def process(self, tup):
        words = tup.values[0].split()
        if not words:
            raise FailTuple("empty sentence")
        for word in words:
            self.emit([word])
        self.words += len(words)

    def process_tick(self, tup):
        self.log(f"split {self.words} words so far")


if __name__ == "__main__":
    SplitBolt().run()
