// The typed client (client/): its generated types are what openapi-typescript makes of the
// committed document now, the README's example is client/example.ts word for word, compiles, and
// runs against a fake fetch; a call the document does not allow does not compile.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkcacheClient } from '../../../client/index.ts';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { CLIENT_TYPES_PATH, generateClientTypes } from '../../../tools/generate-client.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const TSC = path.join(root, 'node_modules/.bin/tsc');
// The project's compiler options, for single files (whose own config the project's tsconfig is not).
const TSC_FLAGS = [
  '--ignoreConfig',
  '--noEmit',
  '--strict',
  '--target',
  'es2024',
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
  '--allowImportingTsExtensions',
  '--verbatimModuleSyntax',
  '--erasableSyntaxOnly',
  '--skipLibCheck',
  '--types',
  'node',
];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'linkcache-client-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The TypeScript block of the README's "Typed client" subsection. */
const readmeExample = async (): Promise<string> => {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Typed client'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no ```ts block under "### Typed client"');
  return block[1];
};

describe('the typed client', () => {
  it('client/api-types.generated.ts is up to date with the document (else run `npm run client`)', async () => {
    expect(await readFile(CLIENT_TYPES_PATH, 'utf8')).toBe(await generateClientTypes());
  }, 60_000);

  it("the README's example is client/example.ts (imported from the repository root)", async () => {
    const example = await readFile(path.join(root, 'client/example.ts'), 'utf8');
    expect(await readmeExample()).toBe(example.replace("from './index.ts'", "from './client/index.ts'"));
  });

  it('the example compiles, and a call the document does not allow does not', async () => {
    await run(TSC, [...TSC_FLAGS, path.join(root, 'client/example.ts')], { cwd: root });
    const client = path.join(root, 'client/index.ts');
    const wrong = path.join(tmp, 'wrong.ts');
    await writeFile(
      wrong,
      [
        `import { createLinkcacheClient } from ${JSON.stringify(client)};`,
        "const api = createLinkcacheClient('http://127.0.0.1:3000');",
        "await api.GET('/api/profiles/{user}', { params: { path: { user: 'demo' } } });",
        "await api.GET('/api/profiles/{username}', { params: { path: { username: 1 } } });",
        "await api.POST('/api/events', { body: { events: [{ type: 'page.viewed', username: 'demo' }] } });",
        'export {};',
      ].join('\n'),
    );
    const failed = await run(TSC, [...TSC_FLAGS, wrong], { cwd: root }).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    expect(failed).toMatch(/wrong\.ts\(3,/);
    expect(failed).toMatch(/wrong\.ts\(4,/);
    expect(failed).toMatch(/wrong\.ts\(5,/);
  }, 60_000);

  it('the example runs against a fake fetch: the profile, or the error code', async () => {
    const [demo] = demoProfiles();
    const preload = path.join(tmp, 'fake-fetch.mjs');
    await writeFile(
      preload,
      `const profile = ${JSON.stringify({ ...demo, links: demo.links.filter((l) => l.enabled) })};
globalThis.fetch = async (request) => {
  process.stderr.write('fetch ' + request.method + ' ' + request.url + '\\n');
  const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
  return process.env.FAKE_404
    ? json(404, { error: { code: 'PROFILE_NOT_FOUND', message: 'No profile named "demo".' } })
    : json(200, profile);
};
`,
    );
    const node = (env: Record<string, string> = {}) =>
      run(process.execPath, ['--import', preload, path.join(root, 'client/example.ts')], {
        cwd: root,
        env: { ...process.env, ...env },
      });
    const ok = await node();
    expect(ok.stderr).toContain('fetch GET http://127.0.0.1:3000/api/profiles/demo');
    expect(ok.stdout.trim()).toBe("Demo Creator [ 'Portfolio', 'Print shop', 'Newsletter' ]");
    const missing = await node({ FAKE_404: '1' });
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('404 PROFILE_NOT_FOUND');
  }, 60_000);

  it('sends the admin token as a bearer header, and typed bodies as JSON', async () => {
    const seen: Request[] = [];
    const api = createLinkcacheClient('http://api.test/', {
      adminToken: 'secret-token',
      fetch: async (request: Request) => {
        seen.push(request);
        return new Response(JSON.stringify({ invalidated: true }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    const { data } = await api.POST('/api/cache/invalidate/{username}', { params: { path: { username: 'demo' } } });
    expect(data?.invalidated).toBe(true);
    await api.PATCH('/api/profiles/{username}/links', {
      params: { path: { username: 'demo' } },
      body: { links: [{ id: 'lnk_shop', title: 'Print shop' }] },
    });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST http://api.test/api/cache/invalidate/demo',
      'PATCH http://api.test/api/profiles/demo/links',
    ]);
    expect(seen[0].headers.get('authorization')).toBe('Bearer secret-token');
    expect(await seen[1].json()).toEqual({ links: [{ id: 'lnk_shop', title: 'Print shop' }] });
  });
});
