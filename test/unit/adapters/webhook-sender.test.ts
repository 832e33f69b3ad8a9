// The SSRF rules and the bounded sender. Network: loopback servers only (in local mode), and a
// resolver stand-in for names, so nothing leaves the machine.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkUrl,
  checkUrlForm,
  forbiddenAddress,
  HttpWebhookSender,
  type Resolver,
} from '../../../lambdas/adapters/webhook-sender.ts';

const AWS = { local: false };
const LOCAL = { local: true };

describe('forbiddenAddress', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
  ])('refuses %s in AWS (%s)', (address, range) => {
    expect(forbiddenAddress(address, AWS)).toContain(range);
  });

  it('allows public unicast', () => {
    expect(forbiddenAddress('93.184.215.14', AWS)).toBeUndefined();
    expect(forbiddenAddress('2606:4700::6810:84e5', AWS)).toBeUndefined();
  });

  it('locally allows loopback, and only loopback', () => {
    expect(forbiddenAddress('127.0.0.1', LOCAL)).toBeUndefined();
    expect(forbiddenAddress('::1', LOCAL)).toBeUndefined();
    expect(forbiddenAddress('10.0.0.1', LOCAL)).toContain('private');
    expect(forbiddenAddress('169.254.169.254', LOCAL)).toContain('linkLocal');
  });
});

describe('checkUrlForm', () => {
  it('in AWS: https only, never a forbidden literal', () => {
    expect(() => checkUrlForm('http://127.0.0.1/x', AWS)).toThrow(/https/);
    expect(() => checkUrlForm('http://example.com/x', AWS)).toThrow(/https/);
    expect(() => checkUrlForm('https://127.0.0.1/x', AWS)).toThrow(/loopback/);
    expect(() => checkUrlForm('https://[::1]/x', AWS)).toThrow(/loopback/);
    expect(() => checkUrlForm('https://[fd00::1]/x', AWS)).toThrow(/uniqueLocal/);
    expect(() => checkUrlForm('https://10.0.0.1/x', AWS)).toThrow(/private/);
    expect(() => checkUrlForm('https://169.254.169.254/latest/meta-data', AWS)).toThrow(/linkLocal/);
    expect(() => checkUrlForm('https://100.64.1.1/x', AWS)).toThrow(/carrierGradeNat/);
    expect(() => checkUrlForm('ftp://example.com/x', AWS)).toThrow(/https/);
    expect(() => checkUrlForm('https://user:pw@example.com/x', AWS)).toThrow(/credentials/);
    expect(() => checkUrlForm('not a url', AWS)).toThrow(/not a URL/);
    expect(checkUrlForm('https://93.184.215.14/hook', AWS).hostname).toBe('93.184.215.14');
  });

  it('locally: http only to loopback hosts', () => {
    expect(checkUrlForm('http://127.0.0.1:8080/x', LOCAL).port).toBe('8080');
    expect(checkUrlForm('http://localhost/x', LOCAL).hostname).toBe('localhost');
    expect(checkUrlForm('http://[::1]/x', LOCAL).hostname).toBe('[::1]');
    expect(() => checkUrlForm('http://example.com/x', LOCAL)).toThrow(/loopback/);
    expect(() => checkUrlForm('http://10.0.0.1/x', LOCAL)).toThrow(/loopback/);
  });
});

describe('checkUrl (resolving names)', () => {
  const resolver =
    (answers: Record<string, string[]>): Resolver =>
    async (host) => {
      const list = answers[host];
      if (!list) throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
      return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
  const r = resolver({
    'public.example': ['93.184.215.14'],
    'internal.example': ['10.0.0.7'],
    'mixed.example': ['93.184.215.14', '169.254.169.254'],
    'v6.example': ['fd00::5'],
  });
  it('refuses a name with any forbidden address, or none', async () => {
    await expect(checkUrl('https://public.example/x', AWS, r)).resolves.toBeUndefined();
    await expect(checkUrl('https://internal.example/x', AWS, r)).rejects.toThrow(/10\.0\.0\.7 is a private/);
    await expect(checkUrl('https://mixed.example/x', AWS, r)).rejects.toThrow(/169\.254\.169\.254/);
    await expect(checkUrl('https://v6.example/x', AWS, r)).rejects.toThrow(/uniqueLocal/);
    await expect(checkUrl('https://nowhere.example/x', AWS, r)).rejects.toThrow(/does not resolve \(ENOTFOUND\)/);
  });
});

describe('HttpWebhookSender', () => {
  let server: Server;
  let base = '';
  const seen: { url: string; host: string | undefined; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen.push({ url: req.url ?? '', host: req.headers.host, body });
        if (req.url === '/slow') return; // never answers
        if (req.url === '/redirect') return res.writeHead(302, { location: '/ok' }).end();
        if (req.url === '/busy') return res.writeHead(503, { 'retry-after': '42' }).end();
        if (req.url === '/big') {
          res.writeHead(200);
          res.write(Buffer.alloc(256 * 1024, 97));
          return; // and never ends: the sender stops reading at its bound
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const sender = (o: Partial<ConstructorParameters<typeof HttpWebhookSender>[0]> = {}) =>
    new HttpWebhookSender({ policy: LOCAL, timeoutMs: 2_000, ...o });
  const req = (url: string) => ({ url, headers: { 'webhook-id': 'msg_1' }, body: '{"a":1}' });

  it('posts the body and reports the status', async () => {
    const r = await sender().send(req(`${base}/ok`));
    expect(r.status).toBe(204);
    expect(seen.at(-1)).toMatchObject({ url: '/ok', body: '{"a":1}' });
  });

  it('does not follow redirects: a 3xx is the answer', async () => {
    const r = await sender().send(req(`${base}/redirect`));
    expect(r).toMatchObject({ status: 302, error: expect.stringMatching(/redirect/) });
    expect(seen.at(-1)?.url).toBe('/redirect');
  });

  it('reads Retry-After', async () => {
    expect(await sender().send(req(`${base}/busy`))).toMatchObject({ status: 503, retryAfterS: 42 });
  });

  it('gives up on a receiver that never answers, with no status', async () => {
    const r = await sender({ timeoutMs: 300 }).send(req(`${base}/slow`));
    expect(r).toMatchObject({ status: null, error: expect.stringMatching(/no answer within 300 ms/) });
  });

  it('stops reading a long answer at its bound and keeps the status', async () => {
    const r = await sender({ maxResponseBytes: 1024 }).send(req(`${base}/big`));
    expect(r.status).toBe(200);
  });

  it('in AWS mode refuses loopback without connecting', async () => {
    const before = seen.length;
    const r = await sender({ policy: AWS }).send(req(`https://127.0.0.1:${new URL(base).port}/ok`));
    expect(r).toMatchObject({ status: null, error: expect.stringMatching(/refused.*loopback/) });
    expect(seen.length).toBe(before);
  });

  it('connects to the checked address, whatever the name resolves to later', async () => {
    let calls = 0;
    // First answer checked (loopback, allowed locally); a rebinding answer would point elsewhere.
    const resolve: Resolver = async () => [{ address: calls++ === 0 ? '127.0.0.1' : '10.9.9.9', family: 4 }];
    const r = await sender({ resolve }).send(req(`http://localhost:${new URL(base).port}/ok`));
    expect(r.status).toBe(204);
    expect(calls).toBe(1);
    expect(seen.at(-1)?.host).toBe(`localhost:${new URL(base).port}`);
  });
});
