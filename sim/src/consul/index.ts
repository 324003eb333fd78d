/**
 * A simulated Consul 1.x agent: the KV store dtle keeps each job's replication state in, served
 * over Consul's HTTP API on loopback. The simulated dtle driver (../dtle) writes into it what the
 * real driver writes; tests and the demo read it through dtle-compat.
 *
 *   const consul = new SimConsul();
 *   const url = await consul.listen();          // http://127.0.0.1:PORT
 *   consul.kv.put('dtle/job/Gtid', Buffer.from('…'));
 *   await consul.close();
 */
import { SimAgent, type SimAnswer, type SimRequest, type SimTls } from '../http/server';
import { ConsulApi } from './api';
import { SimKv } from './kv';

export { SimKv, type SimKvEntry } from './kv';

export interface SimConsulOptions {
  /** ACLs on with default policy deny: every KV call needs this token (X-Consul-Token, Bearer or ?token=) */
  aclToken?: string;
  tls?: SimTls;
}

export class SimConsul extends SimAgent {
  readonly kv = new SimKv();
  private readonly api: ConsulApi;

  constructor(opts: SimConsulOptions = {}) {
    super(opts.tls);
    this.api = new ConsulApi({ kv: this.kv, faults: this.faults, aclToken: opts.aclToken, leaderAddr: '127.0.0.1:8300' });
  }

  protected route(req: SimRequest): Promise<SimAnswer> {
    return this.api.route(req);
  }

  protected faultHeaders(): Record<string, string> {
    return { 'X-Consul-Index': String(this.kv.index) };
  }

  /** host:port, the form dtle's `consul` setting takes */
  get addr(): string {
    return this.url.replace(/^https?:\/\//, '');
  }

  close(): Promise<void> {
    this.kv.close();
    return this.http.goAway();
  }

  /** The value of a key as text, or null (for tests). */
  value(key: string): string | null {
    return this.kv.get(key).found?.Value?.toString('utf8') ?? null;
  }

  /** The keys under a prefix, in Consul's order (for tests). */
  keys(prefix: string): string[] {
    return this.kv.list(prefix).found.map((e) => e.Key);
  }
}
