// The static files the site function serves: /assets/<content-hashed name> (immutable for a
// year), /favicon.ico and /robots.txt. This is the one module that imports the asset bodies
// (assets.generated.ts, ≈ 63 KB with uPlot), so they stay out of the profile function's bundle.
import { strongEtag } from '../core/profile-service.ts';
import { etagMatches } from '../profile/respond.ts';
import { NotFoundError } from '../shared/errors.ts';
import { type HttpEvent, type HttpResult, header } from '../shared/http.ts';
import { type AssetInfo, type AssetName, assetManifest } from './asset-manifest.generated.ts';
import { assetBodies } from './assets.generated.ts';

interface StaticAsset extends AssetInfo {
  body: string;
}

const byFile = new Map<string, StaticAsset>(
  (Object.keys(assetManifest) as AssetName[]).map((name) => [
    assetManifest[name].file,
    { ...assetManifest[name], body: assetBodies[name] },
  ]),
);

export const IMMUTABLE = 'public, max-age=31536000, immutable';

const etags = new Map<string, string>();
/** Hashed names are their own validator; a fixed name gets one from its body, computed once. */
const etagOf = (asset: { file: string; body: string; cacheControl?: string }): string => {
  let etag = etags.get(asset.file);
  if (etag === undefined) {
    etag = asset.cacheControl ? strongEtag(asset.body) : `"${asset.file}"`;
    etags.set(asset.file, etag);
  }
  return etag;
};

/** The asset's response, or undefined for a name this build does not have. */
export const assetResponse = (file: string | undefined, ifNoneMatch: string | undefined): HttpResult | undefined => {
  const asset = file === undefined ? undefined : byFile.get(file);
  if (!asset) return undefined;
  const etag = etagOf(asset);
  const headers: Record<string, string> = {
    etag,
    // Hashed names never change content; a fixed name (embed.js, linked from other sites) says
    // how long a copy may be kept, and its ETag follows its content.
    'cache-control': 'cacheControl' in asset && asset.cacheControl ? asset.cacheControl : IMMUTABLE,
    'x-content-type-options': 'nosniff',
  };
  if (etagMatches(ifNoneMatch, etag)) return { statusCode: 304, headers };
  return { statusCode: 200, headers: { ...headers, 'content-type': asset.contentType }, body: asset.body };
};

export const assetRoute = (event: HttpEvent): HttpResult => {
  const res = assetResponse(event.pathParameters?.file, header(event, 'if-none-match'));
  if (!res) throw new NotFoundError(`No asset "${(event.pathParameters?.file ?? '').slice(0, 64)}".`);
  return res;
};

export const ROBOTS_TXT = ['User-agent: *', 'Allow: /', 'Disallow: /api/', 'Disallow: /r/', 'Disallow: /dashboard/', ''].join(
  '\n',
);

export const robotsResponse = (): HttpResult => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'public, max-age=86400' },
  body: ROBOTS_TXT,
});

/** /favicon.ico for browsers that ask for it: the SVG icon (pages also link it explicitly). */
export const faviconResponse = (): HttpResult => ({
  statusCode: 200,
  headers: {
    'content-type': assetManifest['favicon.svg'].contentType,
    'cache-control': 'public, max-age=86400',
    'x-content-type-options': 'nosniff',
  },
  body: assetBodies['favicon.svg'],
});
