#!/usr/bin/env python3
"""Split sentences into words: the splitter of the classic word-count topology.

Input: ``[sentence]``. Output fields: ``["word"]``, one tuple per word, anchored to the input.
An empty sentence fails its tuple. On each tick the bolt logs its running totals.
"""

from squall import BasicBolt, FailTuple, Tuple


class SplitSentenceBolt(BasicBolt):
    def initialize(self, conf: dict, context: dict) -> None:
        self.sentences = 0
        self.words = 0

    def process(self, tup: Tuple) -> None:
        words = tup.values[0].split()
        if not words:
            raise FailTuple("empty sentence")
        for word in words:
            self.emit([word])
        self.sentences += 1
        self.words += len(words)

    def process_tick(self, tup: Tuple) -> None:
        self.log(f"split {self.sentences} sentences into {self.words} words so far")


if __name__ == "__main__":
    SplitSentenceBolt().run()
