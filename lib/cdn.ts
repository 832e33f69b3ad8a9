// Optional edge (context `cdn=true`): CloudFront in front of the HTTP API, caching public GETs for
// as long as their Cache-Control allows, with a WAF rate-based rule per client IP. Routes with
// side effects (redirect counting, beacons, webhooks, cache invalidation) and private analytics
// are never cached.

import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface CdnProps {
  /** Host name of the HTTP API (`<id>.execute-api.<region>.amazonaws.com`). */
  apiDomain: string;
  wafRateLimit: number;
  /** `*`, or a list: then answers vary by Origin, which joins the cache key. */
  corsOrigins?: string;
}

/** Path patterns forwarded uncached (ordered: CloudFront matches the first). */
export const UNCACHED_PATHS = ['/api/profiles/*/analytics', '/api/cache/*', '/api/events', '/r/*', '/webhooks/*', '/health'];

/** The routes that count: their origin requests carry what the track function records. */
export const COUNTING_PATHS = ['/api/events', '/r/*'];

/**
 * Headers the counting routes get (CloudFront's limit is 10 per policy): the viewer's address
 * (visitors), country, region and city, the User-Agent (bots, device, families), the Referer,
 * and what CORS and the beacon's JSON body need.
 */
export const COUNTING_HEADERS = [
  'CloudFront-Viewer-Address',
  'CloudFront-Viewer-Country',
  'CloudFront-Viewer-Country-Region',
  'CloudFront-Viewer-City',
  'User-Agent',
  'Referer',
  'Content-Type',
  'Origin',
  'Access-Control-Request-Method',
  'Access-Control-Request-Headers',
];

export class Cdn extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'LinkCacheEdge', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'RatePerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.wafRateLimit, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'RatePerIp', sampledRequestsEnabled: true },
        },
        {
          name: 'CommonRules',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              // The webhook and PATCH bodies are JSON up to 256 KiB; the size rule would block them.
              ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'CommonRules', sampledRequestsEnabled: true },
        },
      ],
    });

    // Honours the origin: TTL = Cache-Control max-age/s-maxage (no header → not cached; private,
    // no-store → not cached). Authorization is in the key so a credentialed response can never
    // be served to another caller (and is forwarded, which only cache policies can do).
    const cachePolicy = new cloudfront.CachePolicy(this, 'PublicGets', {
      comment: 'LinkCache public GETs: TTL from origin Cache-Control',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.days(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList(
        'Authorization',
        // With an origin list the API echoes the caller's Origin (Vary: Origin): one copy per origin.
        ...((props.corsOrigins ?? '*') === '*' ? [] : ['Origin']),
      ),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // Forwarded on a miss without splitting the cache: the viewer's validator, so the origin can
    // answer 304, and what the handlers use for analytics.
    const originRequestPolicy = new cloudfront.OriginRequestPolicy(this, 'ForwardValidators', {
      comment: 'LinkCache: conditional and analytics headers',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(
        'If-None-Match',
        'If-Modified-Since',
        // CORS: the caller's origin, and what a preflight asks for (OPTIONS is never cached).
        'Origin',
        'Access-Control-Request-Method',
        'Access-Control-Request-Headers',
        'Content-Type',
        'Referer',
        'User-Agent',
        'CloudFront-Viewer-Country',
      ),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });

    // The counting routes: named headers only (an allow-list keeps Host out, which API Gateway
    // needs to be its own), and every query string (`utm_*` on /r/...).
    const countingPolicy = new cloudfront.OriginRequestPolicy(this, 'ForwardViewer', {
      comment: 'LinkCache: viewer address, location and User-Agent for the counting routes',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...COUNTING_HEADERS),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });

    const origin = new origins.HttpOrigin(props.apiDomain, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY });
    const uncached: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'LinkCache',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // PATCH /api/profiles/{username}/links shares a path with a cached GET; only GET/HEAD
        // responses are ever cached.
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        cachePolicy,
        originRequestPolicy,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(
        UNCACHED_PATHS.map((p) => [
          p,
          COUNTING_PATHS.includes(p) ? { ...uncached, originRequestPolicy: countingPolicy } : uncached,
        ]),
      ),
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: this.webAcl.attrArn,
    });
  }
}
