// The consumer's InvalidationNotifier over SNS: one Publish per notice, its body the notice as
// JSON, to the topic the CDN invalidator (edge stack, us-east-1) is subscribed to.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { InvalidationNotice, InvalidationNotifier } from '../core/cdn-invalidation.ts';

export interface SnsInvalidationNotifierOptions {
  client: Pick<SNSClient, 'send'>;
  topicArn: string;
}

export class SnsInvalidationNotifier implements InvalidationNotifier {
  readonly #client: Pick<SNSClient, 'send'>;
  readonly #topicArn: string;

  constructor(options: SnsInvalidationNotifierOptions) {
    this.#client = options.client;
    this.#topicArn = options.topicArn;
  }

  async notify(notice: InvalidationNotice): Promise<void> {
    // 500 usernames of at most 30 characters: about 17 KB, well within SNS's 256 KiB.
    await this.#client.send(new PublishCommand({ TopicArn: this.#topicArn, Message: JSON.stringify(notice) }));
  }
}
