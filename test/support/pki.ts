/**
 * A throwaway PKI made by openssl at test time: a CA, a server certificate for
 * server.global.nomad + localhost + 127.0.0.1 signed by it, a client certificate signed by it,
 * an unrelated CA, and a client certificate signed by that unrelated CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Pki {
  dir: string;
  /** path of a file in the PKI directory, e.g. file('ca.pem') */
  file(name: string): string;
  read(name: string): Buffer;
  remove(): void;
}

export function makePki(): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'dtle-compat-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  }
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:server.global.nomad,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = (who: string, ext: string, ca: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', ext);
  };
  sign('server', 'server.ext', 'ca');
  sign('client', 'client.ext', 'ca');
  sign('rogue-client', 'client.ext', 'other-ca');
  return { dir, file, read: (name) => readFileSync(file(name)), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
