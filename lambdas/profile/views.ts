// The JSON representations served from the cached snapshot.
import type { View } from '../core/profile-service.ts';
import { publicProfile, visibleLinks } from '../core/profile.ts';
import { JSON_TYPE } from '../shared/http.ts';

export const profileView: View = {
  name: 'profile',
  contentType: JSON_TYPE,
  maxAgeS: (c) => c.profileTtlS,
  // Enabled links only: a disabled one is the owner's draft, never public.
  render: (profile) => ({ body: JSON.stringify(publicProfile(profile)) }),
};

export const linksView: View = {
  name: 'links',
  contentType: JSON_TYPE,
  maxAgeS: (c) => c.linksTtlS,
  render: (profile) => ({ body: JSON.stringify({ links: visibleLinks(profile) }) }),
};
