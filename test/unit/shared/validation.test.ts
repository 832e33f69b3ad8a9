// The 400 messages of the zod/mini schemas, word for word as full zod wrote them: zod/mini has no
// messages of its own (every issue would read "Invalid input") until shared/validation.ts registers
// the English ones.
import { describe, expect, it } from 'vitest';
import { parseLinksPatch } from '../../../lambdas/admin/links.ts';
import { parseMessage } from '../../../lambdas/core/analytics.ts';
import * as z from 'zod/mini';
import {
  firstIssue,
  headerText,
  isSafeText,
  safeText,
  truncateText,
  unsafeTextReason,
} from '../../../lambdas/shared/validation.ts';
import { parseBeacon } from '../../../lambdas/track/handler.ts';
import { parseWebhookPayload } from '../../../lambdas/webhook/payload.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const beaconError = (body: unknown) => () => parseBeacon(JSON.stringify(body), NOW, 345_600);
const linksError = (body: unknown) => () => parseLinksPatch({ body: JSON.stringify(body) } as never);
const webhookError = (body: unknown) => () => parseWebhookPayload(Buffer.from(JSON.stringify(body)));

describe('validation messages', () => {
  it('beacon: zod default messages with the path', () => {
    expect(beaconError({ events: [] })).toThrow('Invalid events: events: Too small: expected array to have >=1 items.');
    expect(beaconError({ events: [{ type: 'x', username: 'a' }] })).toThrow(
      'Invalid events: events.0.type: Invalid option: expected one of "profile.viewed"|"link.clicked".',
    );
    expect(beaconError({ events: [{ type: 'profile.viewed' }] })).toThrow(
      'Invalid events: events.0.username: Invalid input: expected string, received undefined.',
    );
    expect(beaconError({ events: [{ type: 'profile.viewed', username: 'a', occurredAt: '2026-03-01' }] })).toThrow(
      'Invalid events: events.0.occurredAt: Invalid ISO datetime.',
    );
    expect(beaconError([])).toThrow('Invalid events: body: Invalid input: expected object, received array.');
  });

  it('beacon: our own messages', () => {
    expect(beaconError({ events: [{ type: 'link.clicked', username: 'a' }] })).toThrow(
      'Invalid events: events.0.linkId: linkId is required for link.clicked.',
    );
    expect(beaconError({ events: [{ type: 'profile.viewed', username: 'a b' }] })).toThrow(
      'Invalid events: events.0.username: username must be 1-30 letters, digits, "." or "_".',
    );
  });

  it('link updates', () => {
    expect(linksError({ links: [{ position: 1.5 }] })).toThrow(
      'Invalid link update at links.0.position: Invalid input: expected int, received number.',
    );
    expect(linksError({ links: [{ position: -1 }] })).toThrow(
      'Invalid link update at links.0.position: Too small: expected number to be >=0.',
    );
    expect(linksError({ links: [{ title: 'x'.repeat(301) }] })).toThrow(
      'Invalid link update at links.0.title: Too big: expected string to have <=300 characters.',
    );
    expect(linksError({ links: [{ url: 'javascript:alert(1)' }] })).toThrow(
      'Invalid link update at links.0.url: only http: and https: URLs are accepted.',
    );
    expect(linksError({ links: [{ colour: 'red' }] })).toThrow('Invalid link update at links.0: Unrecognized key: "colour".');
    expect(linksError({ links: Array.from({ length: 101 }, () => ({})) })).toThrow(
      'Invalid link update at links: Too big: expected array to have <=100 items.',
    );
  });

  it('webhook payloads, and the username lower-cased', () => {
    expect(webhookError({ type: '', timestamp: '2026-03-01T12:00:00Z', data: { profileId: 'p' } })).toThrow(
      'The webhook body has an unknown shape: type: Too small: expected string to have >=1 characters.',
    );
    expect(webhookError({ type: 't', timestamp: '2026-03-01T12:00:00Z', data: { profileId: 'p', username: 'a b' } })).toThrow(
      'The webhook body has an unknown shape: data.username: must be 1-30 letters, digits, "." or "_".',
    );
    expect(
      parseWebhookPayload(
        Buffer.from('{"type":"t","timestamp":"2026-03-01T12:00:00+01:00","data":{"profileId":"p","username":"Al.Ice"}}'),
      ).data.username,
    ).toBe('al.ice');
  });

  it('queue messages', () => {
    const message = { id: 'e', type: 'link.clicked', occurredAt: '2026-03-01T12:00:00Z', data: { profileId: 'p', linkId: 'l' } };
    expect(parseMessage(JSON.stringify({ ...message, data: { ...message.data, country: 'x'.repeat(17) } }))).toEqual({
      kind: 'invalid',
      reason: 'data.country: Too big: expected string to have <=16 characters',
      id: 'e',
    });
    expect(parseMessage('{"id":"","type":"t","occurredAt":"x","data":{}}')).toEqual({
      kind: 'invalid',
      reason: 'not an event: Too small: expected string to have >=1 characters',
    });
  });

  it('firstIssue names the root when the path is empty', () => {
    const error = { issues: [{ path: [], message: 'Invalid input: expected object, received null' }] } as never;
    expect(firstIssue(error, '(root)')).toBe('(root): Invalid input: expected object, received null');
  });
});

describe('safe text', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['BEL', '\u0007'],
    ['tab', 'a\tb'],
    ['newline', 'a\nb'],
    ['carriage return', 'a\rb'],
    ['unit separator', '\u001f'],
    ['DEL', 'a\u007f'],
    ['a C1 control', 'a\u0085'],
  ])('refuses %s', (_, s) => {
    expect(unsafeTextReason(s)).toBe('must not contain control characters');
  });

  it.each([
    ['a lone high surrogate', 'a\uD800'],
    ['a lone low surrogate', '\uDC00a'],
    ['a reversed pair', '\uDE00\uD83D'],
  ])('refuses %s', (_, s) => {
    expect(unsafeTextReason(s)).toBe('must not contain unpaired surrogates');
  });

  it.each(['', 'lnk_shop', 'Café', '😀', 'שלום', '日本語', 'a b', '\u00a0', '\uFFFD'])('accepts %j', (s) => {
    expect(isSafeText(s)).toBe(true);
  });

  it('safeText checks safety first, then the bounds', () => {
    const schema = z.object({ v: safeText({ min: 1, max: 3 }) });
    const issue = (v: string) => {
      const r = schema.safeParse({ v });
      return r.success ? undefined : firstIssue(r.error, '(root)');
    };
    expect(issue('abc')).toBeUndefined();
    expect(issue('ab\u0000')).toBe('v: must not contain control characters');
    expect(issue('abcd\u0000')).toBe('v: must not contain control characters');
    expect(issue('abcd')).toBe('v: Too big: expected string to have <=3 characters');
    expect(issue('')).toBe('v: Too small: expected string to have >=1 characters');
    expect(z.object({ v: safeText({ max: 3 }) }).safeParse({ v: '' }).success).toBe(true);
  });

  it('truncateText never leaves half a surrogate pair', () => {
    expect(truncateText('abc', 5)).toBe('abc');
    expect(truncateText('abcdef', 3)).toBe('abc');
    expect(truncateText('ab😀', 3)).toBe('ab');
    expect(truncateText('a😀b', 3)).toBe('a😀');
  });

  it('headerText drops unsafe values and cuts or drops long ones', () => {
    expect(headerText(undefined, 5)).toBeUndefined();
    expect(headerText('', 5)).toBeUndefined();
    expect(headerText('ab\u0000', 5)).toBeUndefined();
    expect(headerText('ab\uD800', 5)).toBeUndefined();
    expect(headerText('abcdefg', 5)).toBe('abcde');
    expect(headerText('abcdefg', 5, 'drop')).toBeUndefined();
    expect(headerText('DE', 5, 'drop')).toBe('DE');
  });
});
