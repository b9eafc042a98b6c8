import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { squallRoot } from '../cluster/index.js';

interface InitArgs {
  dir: string;
  python: boolean;
  go: boolean;
}

/** `squall init <dir>`: a topology project that runs at once (Storm's quickstart, streamparse's `sparse quickstart`). */
export const initCommand: CommandModule<object, InitArgs> = {
  command: 'init <dir>',
  describe: 'Create a topology project: package.json, tsconfig, a word-count topology and its test',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'Folder to create (or an empty one)' })
      .option('python', { type: 'boolean', default: false, describe: 'Split sentences in a Python bolt (standard library only)' })
      .option('go', { type: 'boolean', default: false, describe: 'Split sentences in a Go bolt (built with `go build` when the topology loads)' })
      .example('$0 init word-count && cd word-count && squall local topology.ts --duration 5', 'A project, run at once') as never,
  handler: (args) => {
    process.exitCode = init(args);
  },
};

function init(args: InitArgs): number {
  if (args.python && args.go) {
    process.stderr.write('squall init: choose one of --python and --go\n');
    return 1;
  }
  const dir = path.resolve(args.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    process.stderr.write(`squall init: ${dir} is not empty; name a new folder or an empty one\n`);
    return 1;
  }
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'topology';
  const split = args.python ? 'python' : args.go ? 'go' : 'ts';
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(packageJson(name), null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(TSCONFIG, null, 2)}\n`,
    'topology.ts': topology(split),
    'topology.test.ts': TEST,
    '.gitignore': 'node_modules/\nbin/\n',
    '.squallignore': '# Left out of the package `squall submit` sends to the workers (gitignore syntax;\n# node_modules/ and .git/ are always left out).\n*.test.ts\nbin/\n',
    'README.md': readme(name, split),
  };
  if (split === 'python') files['split_bolt.py'] = PYTHON_SPLIT;
  if (split === 'go') {
    files['split/go.mod'] = 'module split\n\ngo 1.21\n';
    files['split/main.go'] = GO_SPLIT;
  }
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text, { mode: rel.endsWith('.py') ? 0o755 : 0o644 });
  }
  // A path below here reads best relative; one elsewhere reads best absolute.
  const relative = path.relative(process.cwd(), dir) || '.';
  const shown = relative.startsWith('..') ? dir : relative;
  process.stdout.write(
    [
      `Created ${shown}: ${Object.keys(files).join(', ')}`,
      '',
      `  cd ${shown}`,
      '  squall local topology.ts --duration 5   # run it here, no server',
      '  squall test                             # run topology.test.ts',
      '  npm install                             # squall from npm, for your editor and `npm test`',
      '',
    ].join('\n'),
  );
  return 0;
}

function squallVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(squallRoot(), 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? '*';
}

function packageJson(name: string): object {
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: 'squall local topology.ts',
      test: 'squall test',
      submit: 'squall submit topology.ts',
    },
    dependencies: { squall: `^${squallVersion()}` },
    devDependencies: { '@types/node': '^20.19.0', typescript: '~5.9.0' },
  };
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
  },
  include: ['*.ts'],
};

const SPLITS: Record<string, { imports: string; split: string }> = {
  ts: {
    imports: '',
    split: 'SplitSentence',
  },
  python: {
    imports: '',
    // Storm's multilang JSON protocol; the script runs in this folder (on a worker: its copy of it).
    split: "new ShellBolt({ command: ['python3', 'split_bolt.py'], outputFields: ['word'], serializer: 'json' })",
  },
  go: {
    imports: `import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
`,
    split: "new ShellBolt({ command: [buildGoSplit()], outputFields: ['word'], serializer: 'json' })",
  },
};

function topology(kind: string): string {
  const s = SPLITS[kind] ?? (SPLITS.ts as { imports: string; split: string });
  const go =
    kind === 'go'
      ? `
/** Builds bin/split from split/ unless it is newer than its source (on a worker too: Go must be installed there). */
function buildGoSplit(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const binary = path.join(here, 'bin', 'split');
  const source = path.join(here, 'split', 'main.go');
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: path.join(here, 'split'), stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return binary;
}
`
      : '';
  return `/**
 * Word count: a spout of sentences, a bolt that splits them into words, a bolt that counts each
 * word (fields grouping: one task sees every occurrence of a word).
 *
 *   squall local topology.ts --duration 5      run it in this process
 *   squall submit topology.ts --workers 2      run it on a cluster
 */
${s.imports}import {
  BaseBasicBolt,
  BaseRichSpout,${kind === 'ts' ? '' : '\n  ShellBolt,'}
  TopologyBuilder,
  type BasicOutputCollector,
  type OutputFieldsDeclarer,
  type Topology,
  type Tuple,
} from 'squall';

const SENTENCES = ['the cow jumped over the moon', 'an apple a day keeps the doctor away', 'four score and seven years ago'];

/** Emits sentences with message ids: tracked, and replayed when a tree fails or times out. */
export class SentenceSpout extends BaseRichSpout {
  private next = 0;
  private readonly pending = new Map<number, string>();
  private readonly replay: number[] = [];

  nextTuple(): void {
    const id = this.replay.shift() ?? this.next++;
    const sentence = this.pending.get(id) ?? (SENTENCES[id % SENTENCES.length] as string);
    this.pending.set(id, sentence);
    this.collector.emit([sentence], id);
  }

  override ack(id: unknown): void {
    this.pending.delete(id as number);
  }

  override fail(id: unknown): void {
    this.replay.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['sentence']);
  }
}
${
  kind === 'ts'
    ? `
/** A basic bolt: its emits are anchored to the input, which is acked when execute returns. */
export class SplitSentence extends BaseBasicBolt {
  execute(input: Tuple, collector: BasicOutputCollector): void {
    for (const word of input.getStringByField('sentence').split(' ')) collector.emit([word]);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}
`
    : go
}
export class WordCount extends BaseBasicBolt {
  private readonly counts = new Map<string, number>();

  execute(input: Tuple, collector: BasicOutputCollector): void {
    const word = input.getStringByField('word');
    const n = (this.counts.get(word) ?? 0) + 1;
    this.counts.set(word, n);
    collector.emit([word, n]);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word', 'count']);
  }
}

export function createTopology(): Topology {
  const builder = new TopologyBuilder();
  builder.setSpout('sentences', SentenceSpout);
  builder.setBolt('split', ${s.split}, 2).shuffleGrouping('sentences');
  builder.setBolt('count', WordCount, 2).fieldsGrouping('split', ['word']);
  return builder.createTopology({ 'topology.max.spout.pending': 1000 });
}

// squall local and squall submit run the default export: a topology, or a function returning one.
export default createTopology;
`;
}

const TEST = `import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { completeTopology } from 'squall/testing';
import { createTopology } from './topology.ts';

test('counts every word of the sentences', async () => {
  // The spout is replaced by these tuples; the topology runs until every one is fully processed.
  const { emitted } = await completeTopology(createTopology(), {
    mockedSources: { sentences: [['the cow jumped over the moon'], ['the moon']] },
    resourcesDir: path.dirname(fileURLToPath(import.meta.url)),
  });
  const counts = new Map<string, number>();
  for (const [word, n] of emitted.count?.default ?? []) counts.set(word as string, Math.max(counts.get(word as string) ?? 0, n as number));
  assert.deepEqual(Object.fromEntries(counts), { the: 3, cow: 1, jumped: 1, over: 1, moon: 2 });
});
`;

function readme(name: string, kind: string): string {
  const extra =
    kind === 'python'
      ? '\n`split_bolt.py` is the split bolt in Python (Storm\'s multilang protocol, standard library only): it\nruns as a subprocess of each split task, in this folder (on a worker, in its copy of it).\n'
      : kind === 'go'
        ? '\n`split/` is the split bolt in Go (Storm\'s multilang protocol, standard library only), built into\n`bin/split` when the topology loads: Go must be installed wherever the topology runs.\n'
        : '';
  return `# ${name}

A Squall topology: sentences, split into words, counted.

\`\`\`bash
squall local topology.ts --duration 5     # run it here, no server
squall test                               # run topology.test.ts (node:test)
squall submit topology.ts --workers 2     # run it on a cluster
\`\`\`
${extra}
\`squall submit\` ships this folder to the workers, less what \`.squallignore\` leaves out.
`;
}

const PYTHON_SPLIT = `#!/usr/bin/env python3
"""The split bolt: one ["word"] tuple per word of each ["sentence"] tuple.

Storm's multilang protocol with the JSON serializer, standard library only: messages are JSON
text followed by a line "end".
"""

import json
import os
import sys


def read_message():
    lines = []
    while True:
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)  # the host closed our stdin: stop
        line = line.rstrip("\\r\\n")
        if line == "end":
            if lines:
                return json.loads("\\n".join(lines))
        elif line or lines:
            lines.append(line)


def send(message):
    sys.stdout.write(json.dumps(message) + "\\nend\\n")
    sys.stdout.flush()


def main():
    setup = read_message()
    pid_dir = setup.get("pidDir")
    if pid_dir:
        os.makedirs(pid_dir, exist_ok=True)
        open(os.path.join(pid_dir, str(os.getpid())), "w").close()
    send({"pid": os.getpid()})
    while True:
        tup = read_message()
        if tup.get("stream") == "__heartbeat" and tup.get("task") == -1:
            send({"command": "sync"})
            continue
        for word in str(tup["tuple"][0]).split():
            send({"command": "emit", "anchors": [tup["id"]], "tuple": [word], "need_task_ids": False})
        send({"command": "ack", "id": tup["id"]})


if __name__ == "__main__":
    main()
`;

const GO_SPLIT = `// The split bolt: one ["word"] tuple per word of each ["sentence"] tuple.
//
// Storm's multilang protocol with the JSON serializer, standard library only: messages are JSON
// text followed by a line "end".
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type tuple struct {
	ID     json.RawMessage \`json:"id"\`
	Stream string          \`json:"stream"\`
	Task   int             \`json:"task"\`
	Tuple  []any           \`json:"tuple"\`
}

var (
	in  = bufio.NewReader(os.Stdin)
	out = bufio.NewWriter(os.Stdout)
)

func read(v any) {
	var lines []string
	for {
		line, err := in.ReadString('\\n')
		if err != nil {
			os.Exit(0) // the host closed our stdin: stop
		}
		line = strings.TrimRight(line, "\\r\\n")
		if line == "end" {
			if len(lines) > 0 {
				if err := json.Unmarshal([]byte(strings.Join(lines, "\\n")), v); err != nil {
					fmt.Fprintln(os.Stderr, "split: bad message:", err)
					os.Exit(1)
				}
				return
			}
		} else if line != "" || len(lines) > 0 {
			lines = append(lines, line)
		}
	}
}

func send(v any) {
	b, _ := json.Marshal(v)
	out.Write(b)
	out.WriteString("\\nend\\n")
}

func main() {
	var setup struct {
		PidDir string \`json:"pidDir"\`
	}
	read(&setup)
	if setup.PidDir != "" {
		_ = os.MkdirAll(setup.PidDir, 0o755)
		_ = os.WriteFile(filepath.Join(setup.PidDir, fmt.Sprint(os.Getpid())), nil, 0o644)
	}
	send(map[string]any{"pid": os.Getpid()})
	out.Flush()
	for {
		var t tuple
		read(&t)
		if t.Stream == "__heartbeat" && t.Task == -1 {
			send(map[string]any{"command": "sync"})
		} else {
			sentence := ""
			if len(t.Tuple) > 0 {
				sentence, _ = t.Tuple[0].(string)
			}
			for _, word := range strings.Fields(sentence) {
				send(map[string]any{"command": "emit", "anchors": []json.RawMessage{t.ID}, "tuple": []string{word}, "need_task_ids": false})
			}
			send(map[string]any{"command": "ack", "id": t.ID})
		}
		out.Flush()
	}
}
`;
