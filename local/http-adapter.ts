// The local API Gateway: real HTTP in, a real HTTP API (payload 2.0) proxy event out, handed to
// the same handler module Lambda runs; the structured result goes back out as HTTP. HEAD and the
// CORS preflights (OPTIONS) are routes of the table like any other, answered by the function that
// owns the path, as deployed (API Gateway's own CORS is off: lib/http-api.ts); a HEAD's body is
// dropped on the way out, Content-Length kept.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type FunctionName, type Route, routeKey } from '../lambdas/contracts/routes.ts';
import { errorBody, type HttpResult } from '../lambdas/shared/http.ts';

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

interface CompiledRoute {
  route: Route;
  key: string;
  pattern: RegExp;
  params: string[];
  statics: number;
}

/** API Gateway picks the most specific route: more literal segments win over `{param}` ones. */
export const compileRoutes = (routes: readonly Route[]): CompiledRoute[] =>
  routes
    .map((route) => {
      const params: string[] = [];
      const segments = route.path.split('/').filter(Boolean);
      const source = segments
        .map((s) => {
          const m = /^\{(\w+)\}$/.exec(s);
          if (m) {
            params.push(m[1]);
            return '/([^/]+)';
          }
          return `/${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
        })
        .join('');
      return {
        route,
        key: routeKey(route),
        pattern: new RegExp(`^${source || '/'}$`),
        params,
        statics: segments.length - params.length,
      };
    })
    .sort((a, b) => b.statics - a.statics);

export const matchRoute = (
  compiled: CompiledRoute[],
  method: string,
  path: string,
): { route: Route; key: string; pathParameters: Record<string, string> } | undefined => {
  for (const c of compiled) {
    if (c.route.method !== method) continue;
    const m = c.pattern.exec(path);
    if (!m) continue;
    const pathParameters: Record<string, string> = {};
    try {
      c.params.forEach((name, i) => {
        pathParameters[name] = decodeURIComponent(m[i + 1]);
      });
    } catch {
      continue; // malformed %-escape: API Gateway would not match it either
    }
    return { route: c.route, key: c.key, pathParameters };
  }
  return undefined;
};

const TEXT_TYPES = /^(application\/(json|x-www-form-urlencoded|xml|javascript)|text\/)/i;
const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's HTTP API payload limit

export interface LocalApiOptions {
  routes: readonly Route[];
  handlers: Partial<Record<FunctionName, LambdaHttpHandler>>;
  /** Lambda's function timeout, reported by context.getRemainingTimeInMillis(). */
  timeoutMs?: number;
}

/** What buildEvent reads of a parsed request URL (a WHATWG `URL`, or the fast path's equivalent). */
export type RequestUrl = Pick<URL, 'pathname' | 'search' | 'searchParams'>;

const NO_QUERY = new URLSearchParams();
/**
 * Request targets the WHATWG parser would return unchanged: an absolute path of unreserved
 * characters, no query, no `%`-escapes, no `\`, and no dot segment (`/.` anywhere). Everything
 * else goes through `new URL`, so the parsed path is identical either way.
 */
const PLAIN_PATH = /^\/[\w\-.~/]*$/;

/**
 * The path and query of an origin-form request target, without the parser for plain paths (the
 * hot case); undefined for anything else (`*`, absolute-form, an unparsable target). The target is
 * appended to a fixed origin rather than resolved against it, so `//host:port` or `/\` stay paths.
 */
export const parseTarget = (target: string): RequestUrl | undefined => {
  if (PLAIN_PATH.test(target) && !target.includes('/.') && !target.startsWith('//')) {
    return { pathname: target, search: '', searchParams: NO_QUERY };
  }
  if (!target.startsWith('/')) return undefined;
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
};

// `requestContext.time` has one-second resolution: format it once per second, not per request.
let timeSecond = -1;
let timeString = '';
const utcString = (now: number): string => {
  const second = Math.floor(now / 1000);
  if (second !== timeSecond) {
    timeSecond = second;
    timeString = new Date(now).toUTCString();
  }
  return timeString;
};

const EMPTY_BODY = Buffer.alloc(0);

export const buildEvent = (
  req: http.IncomingMessage,
  body: Buffer,
  match: { key: string; pathParameters: Record<string, string> },
  url: RequestUrl,
): APIGatewayProxyEventV2 => {
  const reqHeaders = req.headers;
  const headers: Record<string, string> = {};
  for (const name in reqHeaders) {
    const value = reqHeaders[name];
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = Date.now();
  const host = headers.host ?? 'localhost';
  const dot = host.indexOf('.');
  // Same keys in the same order as API Gateway's payload 2.0 (optional ones only when present).
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: match.key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
  };
  const cookie = reqHeaders.cookie;
  if (cookie !== undefined) {
    const cookies = cookie
      .split(';')
      .map((c) => c.trim())
      .filter(Boolean);
    if (cookies.length) event.cookies = cookies;
  }
  event.headers = headers;
  if (url.search) {
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    event.queryStringParameters = query;
  }
  for (const _ in match.pathParameters) {
    event.pathParameters = match.pathParameters;
    break;
  }
  const remote = req.socket.remoteAddress;
  event.requestContext = {
    accountId: 'local',
    apiId: 'local',
    domainName: host,
    domainPrefix: dot < 0 ? host : host.slice(0, dot),
    http: {
      method: req.method ?? 'GET',
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: remote === undefined ? '127.0.0.1' : remote.startsWith('::ffff:') ? remote.slice(7) : remote,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: randomUUID(),
    routeKey: match.key,
    stage: '$default',
    time: utcString(now),
    timeEpoch: now,
  };
  if (body.length) {
    const isText = TEXT_TYPES.test(headers['content-type'] ?? '');
    event.body = isText ? body.toString('utf8') : body.toString('base64');
    event.isBase64Encoded = !isText;
  } else {
    event.isBase64Encoded = false;
  }
  return event as unknown as APIGatewayProxyEventV2;
};

/**
 * Lambda's context object; a class so most of it lives on the prototype. getRemainingTimeInMillis
 * stays an own arrow function: middy (and others) call it detached from the object.
 */
class LocalContext implements Context {
  callbackWaitsForEmptyEventLoop = false;
  functionVersion = '$LATEST';
  memoryLimitInMB = '1024';
  logStreamName = 'local';
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly getRemainingTimeInMillis: () => number;

  constructor(fn: string, timeoutMs: number, requestId: string) {
    this.functionName = fn;
    this.invokedFunctionArn = `arn:aws:lambda:local:000000000000:function:${fn}`;
    this.awsRequestId = requestId;
    this.logGroupName = `/aws/lambda/${fn}`;
    const deadline = Date.now() + timeoutMs;
    this.getRemainingTimeInMillis = () => Math.max(0, deadline - Date.now());
  }
  done(): void {}
  fail(): void {}
  succeed(): void {}
}

/** Writes a v2 result: a structured one as is, anything else as a 200 JSON body (API Gateway's rule). */
export const writeResult = (res: http.ServerResponse, result: unknown, head: boolean): void => {
  const structured =
    result !== null && typeof result === 'object' && 'statusCode' in result
      ? (result as HttpResult)
      : ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) } as HttpResult);
  const body =
    structured.body === undefined
      ? undefined
      : structured.isBase64Encoded
        ? Buffer.from(structured.body, 'base64')
        : structured.body;
  // API Gateway answers with Content-Length, not chunked encoding; so does this adapter (one
  // write of headers + body instead of chunk framing). Copy the handler's headers only to add.
  let headers = (structured.headers ?? {}) as Record<string, string | string[] | number>;
  if (structured.cookies?.length || (body !== undefined && headers['content-length'] === undefined)) {
    headers = { ...headers };
    if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
    if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = Buffer.byteLength(body);
  }
  res.writeHead(structured.statusCode, headers);
  res.end(head ? undefined : body);
};

/** A 500 if nothing was sent yet; else the half-sent response is cut off. */
const internalError = (res: http.ServerResponse): void => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.removeHeader('content-length');
  sendError(res, 500, 'INTERNAL_ERROR', 'Something went wrong on our side.');
};

const sendError = (res: http.ServerResponse, status: number, code: string, message: string): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(errorBody(code, message));
};

export const createLocalApi = (options: LocalApiOptions): http.Server => {
  const compiled = compileRoutes(options.routes);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const invoke = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    match: NonNullable<ReturnType<typeof matchRoute>>,
    url: RequestUrl,
    handler: LambdaHttpHandler,
  ): void => {
    // A handler that throws, or returns what cannot be written, is what API Gateway reports as
    // 500 Internal Server Error: an answer, never a process exit.
    const failed = (err: unknown) => {
      console.error(`[${match.route.fn}] unhandled error`, err);
      internalError(res);
    };
    try {
      const event = buildEvent(req, body, match, url);
      const context = new LocalContext(match.route.fn, timeoutMs, event.requestContext.requestId);
      handler(event, context).then((result) => {
        try {
          writeResult(res, result, req.method === 'HEAD');
        } catch (err) {
          failed(err);
        }
      }, failed);
    } catch (err) {
      failed(err);
    }
  };
  return http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    try {
      route(req, res);
    } catch (err) {
      console.error('local API: unhandled error', err);
      internalError(res);
    }
  });

  function route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = parseTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    if (!url) {
      req.resume();
      sendError(res, 400, 'BAD_REQUEST', 'The request target must be a path, such as /api/profiles/demo.');
      return;
    }
    const match = matchRoute(compiled, method, url.pathname);
    const handler = match && options.handlers[match.route.fn];
    if (!match || !handler) {
      req.resume();
      sendError(res, 404, 'NOT_FOUND', `No route for ${method} ${url.pathname}.`);
      return;
    }
    // HTTP/1.1: a request without Content-Length or Transfer-Encoding has no body, so there is
    // nothing to wait for (the common GET); no need to wait for the 'end' event.
    // Handlers are invoked on the next event-loop turn (setImmediate), never inside the socket's
    // read callback: an invoke boundary, as between API Gateway and Lambda, and all requests read
    // in one turn are invoked and answered together, so their responses leave in one batch of
    // writes. On loopback that halves the kernel's cost per response (see docs/benchmarks.md).
    const length = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
      req.resume();
      setImmediate(invoke, req, res, EMPTY_BODY, match, url, handler);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The request body is over the 10 MiB limit.');
        return;
      }
      setImmediate(invoke, req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), match, url, handler);
    });
  }
};
