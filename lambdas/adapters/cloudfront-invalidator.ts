// The invalidator's PathInvalidator over CloudFront's CreateInvalidation. CloudFront's refusal for
// load (TooManyInvalidationsInProgress: 3,000 paths or 15 wildcards in progress) becomes
// TooManyInvalidationsError, which the handler waits out; anything else is thrown as is.
import { CreateInvalidationCommand, type CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { type PathInvalidator, TooManyInvalidationsError } from '../core/cdn-invalidation.ts';

export interface CloudFrontPathInvalidatorOptions {
  client: Pick<CloudFrontClient, 'send'>;
  distributionId: string;
}

export class CloudFrontPathInvalidator implements PathInvalidator {
  readonly #client: Pick<CloudFrontClient, 'send'>;
  readonly #distributionId: string;

  constructor(options: CloudFrontPathInvalidatorOptions) {
    this.#client = options.client;
    this.#distributionId = options.distributionId;
  }

  async invalidate(paths: readonly string[], callerReference: string): Promise<void> {
    try {
      await this.#client.send(
        new CreateInvalidationCommand({
          DistributionId: this.#distributionId,
          InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: paths.length, Items: [...paths] } },
        }),
      );
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name === 'TooManyInvalidationsInProgress') {
        throw new TooManyInvalidationsError({ cause: err });
      }
      throw err;
    }
  }
}
