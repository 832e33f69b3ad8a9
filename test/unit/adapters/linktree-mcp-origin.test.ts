import { describe, expect, it } from 'vitest';
import { mapMcpProfile, toolErrorCode, toolPayload } from '../../../lambdas/adapters/linktree-mcp-origin.ts';
import { OriginShapeError } from '../../../lambdas/shared/errors.ts';

const account = {
  id: 7,
  uuid: 'uuid-7',
  username: 'demo',
  pageTitle: 'Demo',
  description: 'Bio',
  profilePictureUrl: 'https://img.test/a.png',
  updatedAt: Date.UTC(2026, 0, 2),
  theme: { key: 'dark' },
};
const links = {
  links: [
    { id: 2, type: 'CLASSIC', title: 'B', url: 'https://b.test', position: 1, active: false },
    { id: 1, type: 'CLASSIC', title: 'A', url: 'https://a.test', position: 0, active: true },
    { id: 3, type: 'HEADER', title: 'Section', url: null, position: 2, active: true },
  ],
};

describe('toolPayload', () => {
  it('prefers structuredContent', () => {
    expect(toolPayload({ structuredContent: { a: 1 }, content: [{ type: 'text', text: '{"a":2}' }] })).toEqual({ a: 1 });
  });

  it('falls back to the first text content parsed as JSON', () => {
    expect(
      toolPayload({
        content: [
          { type: 'image', data: '' },
          { type: 'text', text: '{"a":2}' },
          { type: 'text', text: '{"a":3}' },
        ],
      }),
    ).toEqual({ a: 2 });
  });

  it('is undefined for text that is not JSON, or no content', () => {
    expect(toolPayload({ content: [{ type: 'text', text: 'hello' }] })).toBeUndefined();
    expect(toolPayload({})).toBeUndefined();
  });
});

describe('toolErrorCode', () => {
  it('reads code from structuredContent, else from the JSON text', () => {
    expect(toolErrorCode({ isError: true, structuredContent: { code: 'NOT_FOUND' } })).toBe('NOT_FOUND');
    expect(toolErrorCode({ isError: true, content: [{ type: 'text', text: '{"code":"RATE_LIMITED","message":"slow"}' }] })).toBe(
      'RATE_LIMITED',
    );
    expect(toolErrorCode({ isError: true, content: [{ type: 'text', text: '{"error":{"code":"UNAUTHORIZED"}}' }] })).toBe(
      'UNAUTHORIZED',
    );
  });

  it('is undefined when the error names no code', () => {
    expect(toolErrorCode({ isError: true, content: [{ type: 'text', text: 'Something broke' }] })).toBeUndefined();
  });
});

describe('mapMcpProfile', () => {
  it('maps get_account + get_links to a Profile, active as enabled', () => {
    const p = mapMcpProfile(account, links);
    expect(p).toMatchObject({
      id: 'uuid-7',
      username: 'demo',
      displayName: 'Demo',
      bio: 'Bio',
      avatarUrl: 'https://img.test/a.png',
      theme: { key: 'dark' },
      lastModified: '2026-01-02T00:00:00.000Z',
    });
    expect(p.links).toEqual(
      expect.arrayContaining([
        { id: '1', title: 'A', url: 'https://a.test', position: 0, enabled: true, type: 'link' },
        { id: '2', title: 'B', url: 'https://b.test', position: 1, enabled: false, type: 'link' },
        { id: '3', title: 'Section', url: '', position: 2, enabled: true, type: 'header' },
      ]),
    );
    expect(p.links).toHaveLength(3);
  });

  it('refuses an account without a username', () => {
    const { username: _u, ...noName } = account;
    expect(() => mapMcpProfile(noName, links)).toThrow(OriginShapeError);
    expect(() => mapMcpProfile('demo', links)).toThrow(OriginShapeError);
  });

  it('refuses links of another shape: no links array, or ids that are not numbers', () => {
    expect(() => mapMcpProfile(account, [])).toThrow(OriginShapeError);
    expect(() => mapMcpProfile(account, { items: [] })).toThrow(OriginShapeError);
    expect(() => mapMcpProfile(account, { links: [{ id: 'x', title: 'A', url: 'https://a.test' }] })).toThrow(OriginShapeError);
  });
});
