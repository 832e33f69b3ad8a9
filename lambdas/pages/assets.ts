// Names of the pages' static assets: the pages link /assets/<content-hashed name>, cached for a
// year as immutable (a new build gets new names, pages point at them). Only the manifest is
// imported here (a few hundred bytes), never the bodies: the profile function renders pages but
// does not serve assets (lambdas/pages/static-files.ts, in the site function, does).
import { type AssetName, assetManifest } from './asset-manifest.generated.ts';

export type { AssetName };

/** The URL path of an asset, e.g. `/assets/page.1a2b3c4d5e6f.js`. */
export const assetPath = (name: AssetName): string => `/assets/${assetManifest[name].file}`;
