// The profile function's production dependencies.
import { config } from '../config/config.ts';
import type { ProfileDeps } from '../profile/handler.ts';
import { readPath } from './read-path.ts';

export const wireProfile = (): ProfileDeps => {
  const { service, config: settings, l1 } = readPath();
  return { service, config: settings, l1, publicBaseUrl: config().PUBLIC_BASE_URL };
};
