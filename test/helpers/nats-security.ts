import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';

export interface TestPki {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * A throwaway PKI made with `openssl` in `dir`: a CA, a server certificate for 127.0.0.1 and a
 * client certificate, both signed by the CA.
 */
export function makePki(dir: string): TestPki {
  const f = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=squall test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'squall-client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

const b64url = (x: unknown): string => Buffer.from(JSON.stringify(x)).toString('base64url');

/** A NATS JWT (header, claims, ed25519 signature by the issuer's nkey), as `nsc` writes one. */
function jwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = b64url({ typ: 'JWT', alg: 'ed25519-nkey' });
  const claims = b64url({ jti: `${name}-${Date.now()}`, iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } });
  const signature = Buffer.from(issuer.sign(new TextEncoder().encode(`${header}.${claims}`))).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

/**
 * Decentralized NATS auth (operator, account with JetStream, one user) for a nats-server in
 * operator mode with a memory resolver: the server configuration lines, and the user's creds file
 * written to `dir`.
 */
export function makeOperatorAuth(dir: string): { config: string; credsFile: string } {
  const operator = createOperator();
  const account = createAccount();
  // JetStream in operator mode needs a system account.
  const system = createAccount();
  const user = createUser();
  const operatorJwt = jwt(operator, operator.getPublicKey(), 'squall-test-operator', { type: 'operator' });
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const accountJwt = jwt(operator, account.getPublicKey(), 'squall', { type: 'account', limits: unlimited });
  const systemJwt = jwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 } });
  const userJwt = jwt(account, user.getPublicKey(), 'squall-user', { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
  const credsFile = path.join(dir, 'user.creds');
  const seed = new TextDecoder().decode(user.getSeed());
  writeFileSync(
    credsFile,
    `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
  );
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}`,
    '',
  ].join('\n');
  return { config, credsFile };
}
