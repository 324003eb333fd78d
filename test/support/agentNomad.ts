/**
 * The Nomad agent endpoints behind the legacy passthrough routes (join, force-leave, servers,
 * raft configuration and peer removal), which the simulator does not serve: a tiny HTTP server
 * answering as Nomad 1.x does, recording every call with its headers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AgentCall {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
}

export class AgentNomad {
  readonly calls: AgentCall[] = [];
  /** the raft index sent as X-Nomad-Index */
  index = 42;
  /** every answer waits this long first */
  delayMs = 0;
  /** the body of GET /v1/operator/raft/configuration: a value, or the exact JSON text to send */
  raftConfiguration: unknown = {
    Index: 0,
    Servers: [{ Address: '127.0.0.1:4647', ID: 'srv-1', Leader: true, Node: 'nomad0.global', RaftProtocol: '3', Voter: true }],
  };
  private server: http.Server | null = null;
  private timers = new Set<NodeJS.Timeout>();

  async listen(): Promise<string> {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://nomad.invalid');
    const method = req.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    this.calls.push({ method, path: url.pathname, query, headers: req.headers });
    for await (const _chunk of req) {
      // drain the body
    }
    if (this.delayMs > 0) {
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          r();
        }, this.delayMs);
        this.timers.add(t);
      });
      if (res.destroyed) return;
    }
    const json = (body: unknown, meta = false) => {
      res.writeHead(200, { 'Content-Type': 'application/json', ...(meta ? { 'X-Nomad-Index': String(this.index), 'X-Nomad-KnownLeader': 'true', 'X-Nomad-LastContact': '0' } : {}) });
      res.end(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
    };
    const text = (status: number, body: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    const write = method === 'PUT' || method === 'POST';
    switch (url.pathname) {
      case '/v1/agent/join':
        if (!write) return text(405, 'Invalid method');
        return query.address ? json({ num_joined: 1, error: '' }) : text(400, 'missing address to join');
      case '/v1/agent/force-leave':
        if (!write) return text(405, 'Invalid method');
        return query.node ? json(undefined) : text(400, 'missing node to force leave');
      case '/v1/agent/servers':
        if (method === 'GET') return json(['127.0.0.1:4647']);
        return write ? json(undefined) : text(405, 'Invalid method');
      case '/v1/operator/raft/configuration':
        return method === 'GET' ? json(this.raftConfiguration, true) : text(405, 'Invalid method');
      case '/v1/operator/raft/peer':
        return method === 'DELETE' ? json(undefined) : text(405, 'Invalid method');
      default:
        return text(404, '404 page not found');
    }
  }
}
