// The site function's production dependencies.
import type { SiteDeps } from '../site/handler.ts';
import { readPath } from './read-path.ts';

export const wireSite = (): SiteDeps => {
  const { service, config } = readPath();
  return { service, config };
};
