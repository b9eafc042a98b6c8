#!/usr/bin/env python3
"""Emit every input tuple's values unchanged, anchored to the input, then ack the input.

The smallest useful bolt, used to measure the protocol's own cost (bench/passthrough_bench.py).
"""

from squall import Bolt, Tuple


class PassthroughBolt(Bolt):
    def process(self, tup: Tuple) -> None:
        self.emit(tup.values, anchors=[tup])
        self.ack(tup)


if __name__ == "__main__":
    PassthroughBolt().run()
