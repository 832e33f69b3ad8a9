// Stage origin `linktree-mcp`: the tokens secret (a placeholder, filled by the login), read and
// written back by the read-path functions only, and the MCP origin built as its own module that
// the bundles load by a computed specifier.
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { asOwnError, mcpModuleSpecifier } from '../../lambdas/wiring/linktree-mcp.ts';
import { OriginUnavailableError, ValidationError } from '../../lambdas/shared/errors.ts';
import { LINKTREE_MCP_MODULE_FILE } from '../../lib/bundling.ts';
import { REPO_ROOT, separateModuleCommand } from '../../lib/constructs/service-function.ts';
import { type Synthesized, synth } from './fixture.ts';
import { appFunctions, fnByName, resources, roleOf, statementsOf } from './helpers.ts';

/** The functions that read the origin (the watcher runs for Linktree origins by default). */
const READ_PATH = ['profile', 'site', 'track', 'admin', 'watcher'];
const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('origin linktree-mcp', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ origin: 'linktree-mcp' });
  }, 120_000);

  const tokensSecret = () => {
    const found = resources(s.serviceTemplate, 'AWS::SecretsManager::Secret').filter(([, r]) =>
      String(r.Properties.Description).includes('LINKTREE_MCP_TOKENS'),
    );
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('creates one secret holding only the {} placeholder (no token, nothing generated)', () => {
    const [, secret] = tokensSecret();
    expect(secret.Properties.SecretString).toBe('{}');
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
  });

  it('names the secret by ARN in LINKTREE_MCP_TOKENS of the read-path functions', () => {
    const [id] = tokensSecret();
    expect([...appFunctions(s.serviceTemplate).keys()]).toEqual(expect.arrayContaining(READ_PATH));
    for (const name of READ_PATH) {
      const env = fnByName(s.serviceTemplate, name)[1].Properties.Environment.Variables;
      expect(env.ORIGIN).toBe('linktree-mcp');
      expect(env.LINKTREE_MCP_TOKENS).toEqual({ Ref: id });
    }
  });

  it('lets the read-path functions GetSecretValue and PutSecretValue on that secret only', () => {
    const [id] = tokensSecret();
    for (const name of READ_PATH) {
      const statements = statementsOf(s.serviceTemplate, roleOf(fnByName(s.serviceTemplate, name)[1]));
      const onTokens = statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify({ Ref: id }));
      expect(onTokens.flatMap(actionsOf).sort()).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']);
      // PutSecretValue on nothing else.
      const puts = statements.filter((st) =>
        actionsOf(st).some((a) => a === 'secretsmanager:PutSecretValue' || a === 'secretsmanager:*'),
      );
      expect(puts.map((st) => st.Resource)).toEqual([{ Ref: id }]);
    }
  });

  it('gives no other function access to the tokens', () => {
    const [id] = tokensSecret();
    for (const [name, [, fn]] of appFunctions(s.serviceTemplate)) {
      if (READ_PATH.includes(name)) continue;
      const statements = statementsOf(s.serviceTemplate, roleOf(fn));
      expect(
        statements.filter((st) => JSON.stringify(st.Resource).includes(id)),
        name,
      ).toEqual([]);
    }
  });

  it('is not created for other origins', () => {
    const other = synth({ origin: 'linktree' });
    const found = resources(other.serviceTemplate, 'AWS::SecretsManager::Secret').filter(([, r]) =>
      String(r.Properties.Description).includes('LINKTREE_MCP_TOKENS'),
    );
    expect(found).toEqual([]);
    expect(fnByName(other.serviceTemplate, 'profile')[1].Properties.Environment.Variables.LINKTREE_MCP_TOKENS).toBeUndefined();
  }, 120_000);
});

describe('the separately built MCP origin module', () => {
  it('is what the bundled wiring imports (next to index.mjs), and the source when run from .ts', () => {
    expect(mcpModuleSpecifier('file:///var/task/index.mjs')).toBe(`./${LINKTREE_MCP_MODULE_FILE}`);
    expect(mcpModuleSpecifier('file:///repo/lambdas/wiring/linktree-mcp.ts')).toBe('../adapters/linktree-mcp-origin.ts');
  });

  it('builds with the bundle settings, exports the factory, and its errors become this bundle’s classes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mcp-module-'));
    execSync(separateModuleCommand(REPO_ROOT, out), { stdio: 'pipe' });
    const file = join(out, LINKTREE_MCP_MODULE_FILE);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).size).toBeGreaterThan(100_000);
    const mod = (await import(pathToFileURL(file).href)) as typeof import('../../lambdas/adapters/linktree-mcp-origin.ts');
    expect(typeof mod.createLinktreeMcpOrigin).toBe('function');
    // Its classes are its own copies: an origin failure from it is not ours until translated.
    let thrown: unknown;
    try {
      mod.mapMcpProfile({ nope: true }, { links: [] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).not.toBeInstanceOf(OriginUnavailableError);
    const own = asOwnError(thrown);
    expect(own).toBeInstanceOf(OriginUnavailableError);
    expect(asOwnError(Object.assign(new Error('bad'), { code: 'INVALID_REQUEST', status: 400 }))).toBeInstanceOf(ValidationError);
  }, 60_000);
});
