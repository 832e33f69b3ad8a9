// Static assets of the pages: served by the profile function at /assets/<content-hashed name>,
// cached for a year as immutable (a new build gets new names, pages point at them).
import type { HttpResult } from '../shared/http.ts';
import { type StaticAsset, staticAssets } from './assets.generated.ts';

export type AssetName = keyof typeof staticAssets;

const byFile = new Map<string, StaticAsset>(Object.values(staticAssets).map((a) => [a.file, a]));

/** The URL path of an asset, e.g. `/assets/page.1a2b3c4d5e6f.js`. */
export const assetPath = (name: AssetName): string => `/assets/${staticAssets[name].file}`;

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The asset's response, or undefined for a name this build does not have. */
export const assetResponse = (file: string | undefined, ifNoneMatch: string | undefined): HttpResult | undefined => {
  const asset = file === undefined ? undefined : byFile.get(file);
  if (!asset) return undefined;
  const etag = `"${asset.file}"`;
  const headers: Record<string, string> = {
    etag,
    'cache-control': IMMUTABLE,
    'x-content-type-options': 'nosniff',
  };
  if (ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return { statusCode: 304, headers };
  return { statusCode: 200, headers: { ...headers, 'content-type': asset.contentType }, body: asset.body };
};
