// The 400 messages of the zod/mini schemas, word for word as full zod wrote them: zod/mini has no
// messages of its own (every issue would read "Invalid input") until shared/validation.ts registers
// the English ones.
import { describe, expect, it } from 'vitest';
import { parseLinksPatch } from '../../../lambdas/admin/links.ts';
import { parseMessage } from '../../../lambdas/core/analytics.ts';
import { firstIssue } from '../../../lambdas/shared/validation.ts';
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
