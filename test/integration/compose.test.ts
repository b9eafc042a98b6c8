/**
 * docker-compose.yml cannot run here (no Docker engine), so this checks what can go stale: every
 * service of the Squall image runs a command the `squall` binary accepts, with options it knows,
 * against the services the file defines.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');

interface Service {
  image?: string;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: string[];
}

const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code ?? 1), stdout, stderr });
    });
  });
}

describe('docker-compose.yml', () => {
  const squallServices = Object.entries(compose.services).filter(([, s]) => s.image === 'squall:dev');

  it('has nats with JetStream, redis, a coordinator and two supervisors on the shared image', () => {
    expect(compose.services.nats?.command).toContain('-js');
    expect(compose.services.redis).toBeDefined();
    const commands = squallServices.map(([, s]) => s.command?.[0]);
    expect(commands.filter((c) => c === 'coordinator')).toHaveLength(1);
    expect(commands.filter((c) => c === 'supervisor')).toHaveLength(2);
    for (const [name, s] of squallServices) {
      expect(s.environment?.SQUALL_NATS, name).toBe('nats://nats:4222');
      for (const dep of s.depends_on ?? []) expect(Object.keys(compose.services), `${name} depends on ${dep}`).toContain(dep);
    }
  });

  it('gives every squall service a command and options the CLI accepts', async () => {
    const commands = (await run(['--help'])).stdout;
    for (const [name, s] of squallServices) {
      if (s.profiles !== undefined) continue; // placeholders for commands still to come
      const [command = '', ...args] = s.command ?? [];
      expect(commands, `${name}: squall ${command}`).toMatch(new RegExp(`squall ${command}\\b`));
      // --help lists every option the command takes: each flag of the service must be among them.
      const help = (await run([command, '--help'])).stdout;
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(help, `${name}: ${flag}`).toContain(`${flag} `);
      // and positional files exist in the image (they come from this repository)
      for (const file of args.filter((a) => a.endsWith('.ts'))) expect(() => readFileSync(path.join(root, file)), file).not.toThrow();
    }
  });

  it('gives supervisors distinct ids and advertises their service names', () => {
    const supervisors = squallServices.filter(([, s]) => s.command?.[0] === 'supervisor');
    const option = (s: Service, flag: string): string | undefined => s.command?.[(s.command.indexOf(flag) ?? -2) + 1];
    expect(new Set(supervisors.map(([, s]) => option(s, '--id'))).size).toBe(supervisors.length);
    for (const [name, s] of supervisors) expect(option(s, '--host')).toBe(name);
  });
});
