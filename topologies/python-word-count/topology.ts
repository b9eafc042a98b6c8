/**
 * Word count with Python components: a Python spout and a Python split bolt (multilang/python),
 * a TypeScript count bolt and a reporter. Each Python task is its own subprocess, started in the
 * folder of this file; Squall's protocol extension batches the tuples both ways.
 *
 *   squall local topologies/python-word-count/topology.ts --duration 5
 */
import {
  ShellBolt,
  ShellSpout,
  TopologyBuilder,
} from 'squall';
import { Reporter, WordCount } from '../word-count/topology.js';

export default function pythonWordCount() {
  const builder = new TopologyBuilder();
  builder.setSpout('sentences', new ShellSpout({ command: ['python3', 'sentence_spout.py'], outputFields: ['sentence'] }));
  builder.setBolt('split', new ShellBolt({ command: ['python3', 'split_bolt.py'], outputFields: ['word'] }), 2).shuffleGrouping('sentences');
  builder.setBolt('count', WordCount, 2).fieldsGrouping('split', ['word']);
  builder.setBolt('report', Reporter, 1).globalGrouping('count').setTickFrequency(2);
  return builder.createTopology({ 'topology.max.spout.pending': 2000 });
}
