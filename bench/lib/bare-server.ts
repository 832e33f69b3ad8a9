// The baseline server (spawned by procs.ts spawnBareServer): node:http, keep-alive like the
// local adapter, canned responses from its first argument: {"/path": {status, headers, body}}.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CannedResponse } from './procs.ts';

const responses = JSON.parse(process.argv[2] ?? '{}') as Record<string, CannedResponse>;
/** `defer`: answer on the next event-loop turn, as the local adapter invokes handlers. */
const defer = process.argv[3] === 'defer';

const respond = (res: http.ServerResponse, r: CannedResponse): void => {
  // Like the adapter: a fresh header object per response, body as a string.
  res.writeHead(r.status, { ...r.headers });
  res.end(r.body);
};

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const r = responses[req.url ?? '/'];
  req.resume();
  if (!r) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  if (defer) setImmediate(respond, res, r);
  else respond(res, r);
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
