// Sends one signed outgoing webhook, safe against server-side request forgery:
//   - in AWS only https; locally (LOCAL_STACK) http too, but only to loopback hosts;
//   - the host is resolved (every address) and refused when any address is not public unicast
//     (private, loopback, link-local incl. 169.254.169.254, unique-local, CGNAT, multicast,
//     reserved, ...; ipaddr.js `range()`); locally loopback is allowed;
//   - the connection goes to the checked address (a `lookup` that answers only it), so a DNS
//     answer that changes between check and connect (rebinding) cannot redirect it;
//   - bounded: a time-out over the whole exchange, at most 64 KiB of the answer read (then
//     dropped), redirects not followed (a 3xx is a failed attempt).
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { type AttemptResult, parseRetryAfter, type SignedRequest, type WebhookSender } from '../core/outgoing-webhooks.ts';

export interface UrlPolicy {
  /** LOCAL_STACK: http allowed to loopback hosts, and loopback addresses allowed. */
  local: boolean;
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.']);

const bare = (hostname: string): string => hostname.replace(/^\[|\]$/g, '');

/** Why an address may not be called, or undefined when it may. */
export const forbiddenAddress = (address: string, policy: UrlPolicy): string | undefined => {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range === 'unicast') return undefined;
  if (policy.local && range === 'loopback') return undefined;
  return `${address} is a ${range} address`;
};

const isLoopbackHost = (hostname: string): boolean => {
  const h = bare(hostname).toLowerCase();
  if (LOOPBACK_NAMES.has(h)) return true;
  return ipaddr.isValid(h) && ipaddr.process(h).range() === 'loopback';
};

/** Checks a URL's form: scheme, no credentials, host rules. Throws an Error whose message says why. */
export const checkUrlForm = (raw: string, policy: UrlPolicy): URL => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('is not a URL');
  }
  if (url.username || url.password) throw new Error('must not carry credentials');
  if (url.protocol === 'http:') {
    if (!policy.local) throw new Error('must be https');
    if (!isLoopbackHost(url.hostname)) throw new Error('must be https (http is accepted only for loopback hosts)');
  } else if (url.protocol !== 'https:') {
    throw new Error('must be https');
  }
  const host = bare(url.hostname);
  if (ipaddr.isValid(host)) {
    const why = forbiddenAddress(host, policy);
    if (why) throw new Error(`points at a forbidden address (${why})`);
  }
  return url;
};

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Resolves the URL's host and returns the address to connect to; throws when any is forbidden. */
export const resolveChecked = async (
  url: URL,
  policy: UrlPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ address: string; family: number }> => {
  const host = bare(url.hostname);
  if (ipaddr.isValid(host)) return { address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 };
  let addresses: { address: string; family: number }[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    throw new Error(`host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!addresses.length) throw new Error(`host ${host} does not resolve`);
  // All of them: a name with one public and one private address must not reach the private one.
  for (const a of addresses) {
    const why = forbiddenAddress(a.address, policy);
    if (why) throw new Error(`host ${host} resolves to a forbidden address (${why})`);
  }
  return addresses[0] as { address: string; family: number };
};

/** The full check made at endpoint creation and before every attempt. */
export const checkUrl = async (raw: string, policy: UrlPolicy, resolve?: Resolver): Promise<void> => {
  await resolveChecked(checkUrlForm(raw, policy), policy, resolve);
};

export interface HttpSenderOptions {
  policy: UrlPolicy;
  /** Whole exchange (connect, send, answer), default 10 s. */
  timeoutMs?: number;
  /** Answer bytes read before the rest is dropped, default 64 KiB. */
  maxResponseBytes?: number;
  resolve?: Resolver;
  now?: () => number;
}

export class HttpWebhookSender implements WebhookSender {
  readonly #o: Required<Omit<HttpSenderOptions, 'resolve'>> & { resolve?: Resolver };

  constructor(o: HttpSenderOptions) {
    this.#o = { timeoutMs: 10_000, maxResponseBytes: 64 * 1024, now: Date.now, ...o };
  }

  async send(req: SignedRequest): Promise<AttemptResult> {
    const started = this.#o.now();
    const elapsed = () => this.#o.now() - started;
    let url: URL;
    let target: { address: string; family: number };
    try {
      url = checkUrlForm(req.url, this.#o.policy);
      target = await resolveChecked(url, this.#o.policy, this.#o.resolve);
    } catch (err) {
      return { status: null, durationMs: elapsed(), error: `refused: the URL ${(err as Error).message}` };
    }
    // Only the checked address, whatever the name resolves to by now.
    const lookup: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) callback(null, [target]);
      else callback(null, target.address, target.family);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (r: Omit<AttemptResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, durationMs: elapsed() });
      };
      const request = client.request(
        url,
        {
          method: 'POST',
          headers: {
            ...req.headers,
            'content-length': String(Buffer.byteLength(req.body)),
            'user-agent': 'linkcache-webhooks/1',
          },
          lookup,
          agent: false,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const retryAfterS = parseRetryAfter(res.headers['retry-after'] as string | undefined, this.#o.now());
          let read = 0;
          const done = () =>
            finish({
              status,
              ...(retryAfterS !== undefined ? { retryAfterS } : {}),
              ...(status >= 300 && status < 400 ? { error: 'redirects are not followed' } : {}),
            });
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > this.#o.maxResponseBytes) {
              // Enough: the answer's status is what counts.
              done();
              res.destroy();
            }
          });
          res.on('end', done);
          res.on('error', done);
          res.on('close', done);
        },
      );
      const timer = setTimeout(() => {
        finish({ status: null, error: `no answer within ${this.#o.timeoutMs} ms` });
        request.destroy();
      }, this.#o.timeoutMs);
      request.on('error', (err: NodeJS.ErrnoException) => finish({ status: null, error: err.code ?? err.message }));
      request.end(req.body);
    });
  }
}
