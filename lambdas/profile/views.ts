// The JSON representations served from the cached snapshot.
import type { View } from '../core/profile-service.ts';
import { visibleLinks } from '../core/profile.ts';
import { JSON_TYPE } from '../shared/http.ts';

export const profileView: View = {
  name: 'profile',
  contentType: JSON_TYPE,
  maxAgeS: (c) => c.profileTtlS,
  render: (profile) => ({ body: JSON.stringify(profile) }),
};

export const linksView: View = {
  name: 'links',
  contentType: JSON_TYPE,
  maxAgeS: (c) => c.linksTtlS,
  render: (profile) => ({ body: JSON.stringify({ links: visibleLinks(profile) }) }),
};
