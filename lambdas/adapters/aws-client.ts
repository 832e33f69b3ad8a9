// Configuration shared by every AWS SDK v3 client (SQS, DynamoDB): the region, and an explicit
// `endpoint` when AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_SQS / _DYNAMODB) points at an emulator
// (fauxqs, dynalite, LocalStack). Unset in AWS: the SDK's regional endpoints.
//
// Why explicit: the SDK does read AWS_ENDPOINT_URL by itself, but the SQS client's queue-URL
// middleware then still routes each call to the host in the QueueUrl (fauxqs answers with
// `http://sqs.<region>.localhost:<port>/...`, which does not resolve), unless `endpoint` is set in
// the client config. Verified against fauxqs 2.4: without it SendMessage fails with ENOTFOUND.

import type { Config } from '../config/variables.ts';

export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  /** Our own retry loops bound the total time; the SDK's would multiply attempts. */
  maxAttempts?: number;
}

export type AwsService = 'SQS' | 'DYNAMODB';

type AwsSettings = Pick<
  Config,
  'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'AWS_ENDPOINT_URL' | 'AWS_ENDPOINT_URL_SQS' | 'AWS_ENDPOINT_URL_DYNAMODB'
>;

/** The emulator endpoint for a service: `AWS_ENDPOINT_URL_<SERVICE>` first, then `AWS_ENDPOINT_URL` (the SDK's own precedence). */
export const endpointFor = (service: AwsService, c: AwsSettings): string | undefined =>
  c[`AWS_ENDPOINT_URL_${service}`] || c.AWS_ENDPOINT_URL || undefined;

export const awsClientConfig = (service: AwsService, c: AwsSettings, maxAttempts?: number): AwsClientConfig => {
  const endpoint = endpointFor(service, c);
  return {
    region: c.AWS_REGION || c.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(maxAttempts ? { maxAttempts } : {}),
  };
};

interface SdkErrorLike {
  name?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  code?: string;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'KMSThrottlingException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Transient: throttling, server faults, timeouts, and network errors (no HTTP status at all). */
export const isTransientAwsError = (err: unknown): boolean => {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkErrorLike;
  if (e.$retryable) return true;
  if (e.name && THROTTLING.has(e.name)) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No response: ECONNREFUSED, ECONNRESET, socket timeouts, DNS failures.
  return true;
};
