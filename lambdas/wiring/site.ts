// The site function's production dependencies.
import { config as appConfig } from '../config/config.ts';
import type { SiteDeps } from '../site/handler.ts';
import { readPath } from './read-path.ts';

export const wireSite = (): SiteDeps => {
  const { service, config } = readPath();
  return { service, config, publicBaseUrl: appConfig().PUBLIC_BASE_URL };
};
