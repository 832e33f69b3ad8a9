// The profile function's production dependencies.
import { config } from '../config/config.ts';
import type { ProfileDeps } from '../profile/handler.ts';
import { readPath } from './read-path.ts';

export const wireProfile = (): ProfileDeps => {
  const { service, config: settings, l1 } = readPath();
  const { PUBLIC_BASE_URL, FRAME_ANCESTORS } = config();
  return { service, config: settings, l1, publicBaseUrl: PUBLIC_BASE_URL, frameAncestors: FRAME_ANCESTORS };
};
