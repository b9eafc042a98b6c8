import { describe, expect, it } from 'vitest';
import { parseServers, readEnvironment } from '../../src/config/index.js';

describe('environment', () => {
  it('reads one name per resource; empty counts as unset', () => {
    const warnings: string[] = [];
    const env = readEnvironment({ SQUALL_NATS: 'nats://a:1,nats://b:2', SQUALL_REDIS: '' }, (m) => warnings.push(m));
    expect(env).toEqual({ nats: 'nats://a:1,nats://b:2' });
    expect(warnings).toEqual([]);
  });

  it('accepts the deprecated SQUALL_REDIS_URL with a warning, and prefers SQUALL_REDIS', () => {
    const warnings: string[] = [];
    expect(readEnvironment({ SQUALL_REDIS_URL: 'redis://old:6379' }, (m) => warnings.push(m))).toEqual({ redis: 'redis://old:6379' });
    expect(warnings).toEqual(['SQUALL_REDIS_URL is deprecated: set SQUALL_REDIS instead']);
    warnings.length = 0;
    expect(readEnvironment({ SQUALL_REDIS_URL: 'redis://old:6379', SQUALL_REDIS: 'redis://new:6379' }, (m) => warnings.push(m))).toEqual({ redis: 'redis://new:6379' });
    expect(warnings[0]).toContain('SQUALL_REDIS_URL is ignored');
  });

  it('parses server lists the same way from a string or a list', () => {
    expect(parseServers(' nats://a:1, ,nats://b:2 ')).toEqual(['nats://a:1', 'nats://b:2']);
    expect(parseServers(['nats://a:1 ', ''])).toEqual(['nats://a:1']);
  });
});
