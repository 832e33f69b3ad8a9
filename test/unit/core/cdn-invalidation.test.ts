import { describe, expect, it } from 'vitest';
import {
  CHANGE_TYPES,
  type ChangeRecord,
  chunk,
  type InvalidationNotice,
  invalidationPaths,
  MAX_PATHS_PER_CALL,
  MAX_USERNAMES_PER_NOTICE,
  parseNotice,
  planNotices,
  sendNotices,
} from '../../../lambdas/core/cdn-invalidation.ts';
import { eventIdFor, INVALIDATING_TYPES } from '../../../lambdas/core/webhook.ts';

const body = (type: string, data: Record<string, unknown>, id = 'e1') =>
  JSON.stringify({ id, type, occurredAt: '2026-03-01T12:00:03Z', data });

let n = 0;
const rec = (b: string, sentAt?: number): ChangeRecord => ({ id: `m${++n}`, body: b, ...(sentAt ? { sentAt } : {}) });

describe('CHANGE_TYPES', () => {
  it('are the types the webhook drops cached copies for', () => {
    expect([...CHANGE_TYPES].sort()).toEqual([...INVALIDATING_TYPES].sort());
  });
});

describe('planNotices', () => {
  it('collects the usernames of profile.updated, links.updated and profile.deleted, each once, lower-cased', () => {
    const records = [
      rec(body('link.clicked', { profileId: 'p1', linkId: 'l1', username: 'clicky' })),
      rec(body('profile.updated', { profileId: 'p1', username: 'alice' })),
      rec(body('links.updated', { profileId: 'p2', username: 'Bob', linkIds: ['a'] })),
      rec(body('profile.deleted', { profileId: 'p3', username: 'carol' })),
      rec(body('profile.updated', { profileId: 'p1', username: 'alice' })),
      rec(body('profile.viewed', { profileId: 'p1', username: 'viewer' })),
    ];
    const plan = planNotices(records);
    expect(plan.notices).toHaveLength(1);
    expect(plan.notices[0].notice.usernames).toEqual(['alice', 'bob', 'carol']);
    // Both alice records answer for the notice; the click and the view do not.
    expect(plan.notices[0].recordIds).toEqual([records[1].id, records[4].id, records[2].id, records[3].id]);
    expect(plan.unresolved).toBe(0);
  });

  it('skips webhook events that carry only a profileId (nothing cached under a name), counting them', () => {
    // What the webhook processor enqueues when the read path never cached the id: no username.
    const plan = planNotices([
      rec(body('profile.updated', { profileId: 'p9', webhookId: 'msg_1' }, eventIdFor('msg_1'))),
      rec(body('links.updated', { profileId: 'p1', username: 'alice', webhookId: 'msg_2' })),
    ]);
    expect(plan.notices.map((p) => p.notice.usernames)).toEqual([['alice']]);
    expect(plan.unresolved).toBe(1);
  });

  it('refuses usernames that are no path of ours (wildcards, slashes, query strings)', () => {
    const plan = planNotices(
      ['*', 'a/b', 'x?y=1', '', 'a'.repeat(31), 42].map((username) => rec(body('profile.updated', { profileId: 'p', username }))),
    );
    expect(plan.notices).toEqual([]);
    expect(plan.unresolved).toBe(6);
  });

  it('ignores bodies that are not JSON, not objects, or only mention a change type in their data', () => {
    const plan = planNotices([
      rec('{"type":"profile.updated", broken'),
      rec('"profile.updated"'),
      rec(body('link.clicked', { profileId: 'p', linkId: 'l', referrer: '"profile.updated"', username: 'x' })),
    ]);
    expect(plan).toEqual({ notices: [], unresolved: 0 });
  });

  it('chunks at MAX_USERNAMES_PER_NOTICE (500), each notice with its own records', () => {
    const records = Array.from({ length: 1_201 }, (_, i) =>
      rec(body('profile.updated', { profileId: `p${i}`, username: `u${i}` })),
    );
    const plan = planNotices(records);
    expect(MAX_USERNAMES_PER_NOTICE).toBe(500);
    expect(plan.notices.map((p) => p.notice.usernames.length)).toEqual([500, 500, 201]);
    expect(plan.notices[2].notice.usernames[0]).toBe('u1000');
    expect(plan.notices[1].recordIds).toEqual(records.slice(500, 1_000).map((r) => r.id));
    expect(planNotices(records, 2).notices).toHaveLength(601);
  });

  it('stamps each notice with the latest enqueue time of its changes', () => {
    const plan = planNotices(
      [
        rec(body('profile.updated', { profileId: 'p1', username: 'a' }), 1_000),
        rec(body('profile.updated', { profileId: 'p2', username: 'b' }), 3_000),
        rec(body('profile.updated', { profileId: 'p1', username: 'a' }), 2_000),
        rec(body('profile.updated', { profileId: 'p3', username: 'c' }), 5_000),
      ],
      2,
    );
    expect(plan.notices.map((p) => p.notice)).toEqual([
      { usernames: ['a', 'b'], changedAt: 3_000 },
      { usernames: ['c'], changedAt: 5_000 },
    ]);
    expect(planNotices([rec(body('profile.updated', { profileId: 'p1', username: 'a' }))]).notices[0].notice).toEqual({
      usernames: ['a'],
    });
  });
});

describe('sendNotices', () => {
  const records = Array.from({ length: 3 }, (_, i) => rec(body('profile.updated', { profileId: `p${i}`, username: `u${i}` })));

  it('sends every notice and reports no failed record', async () => {
    const sent: InvalidationNotice[] = [];
    const out = await sendNotices(records, { notify: async (x) => void sent.push(x) }, 2);
    expect(sent.map((x) => x.usernames)).toEqual([['u0', 'u1'], ['u2']]);
    expect(out).toEqual({ sent: 2, usernames: 3, unresolved: 0, failedIds: [], errors: [] });
  });

  it('fails only the records of a notice that was refused', async () => {
    const boom = new Error('sns down');
    const out = await sendNotices(
      records,
      {
        notify: async (x) => {
          if (x.usernames.includes('u2')) throw boom;
        },
      },
      2,
    );
    expect(out.failedIds).toEqual([records[2].id]);
    expect(out.errors).toEqual([boom]);
    expect(out.sent).toBe(1);
  });

  it('sends nothing for a batch without change events', async () => {
    let calls = 0;
    const out = await sendNotices([rec(body('link.clicked', { profileId: 'p', linkId: 'l' }))], {
      notify: async () => void calls++,
    });
    expect(calls).toBe(0);
    expect(out.sent).toBe(0);
  });
});

describe('invalidationPaths', () => {
  it('lists the cached paths of each valid username once, lower-cased, in a stable order', () => {
    expect(invalidationPaths(['alice', 'Bob', 'alice', 'a/b', '*'])).toEqual([
      '/api/profiles/alice',
      '/api/profiles/alice/links',
      '/alice',
      '/embed/alice',
      '/dashboard/alice',
      '/api/profiles/bob',
      '/api/profiles/bob/links',
      '/bob',
      '/embed/bob',
      '/dashboard/bob',
    ]);
  });

  it('never lists a wildcard, and a full notice fits one CloudFront call', () => {
    const paths = invalidationPaths(Array.from({ length: MAX_USERNAMES_PER_NOTICE }, (_, i) => `u${i}`));
    expect(paths.some((p) => p.includes('*'))).toBe(false);
    expect(paths.length).toBeLessThanOrEqual(MAX_PATHS_PER_CALL);
  });
});

describe('chunk', () => {
  it('splits into consecutive parts of at most the size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});

describe('parseNotice', () => {
  it('reads usernames and changedAt, and refuses anything else', () => {
    expect(parseNotice('{"usernames":["a"],"changedAt":5}')).toEqual({ usernames: ['a'], changedAt: 5 });
    expect(parseNotice('{"usernames":["a"],"changedAt":"soon"}')).toEqual({ usernames: ['a'] });
    for (const bad of ['nope', 'null', '{}', '{"usernames":"a"}', '{"usernames":[1]}']) expect(parseNotice(bad)).toBeUndefined();
  });
});
