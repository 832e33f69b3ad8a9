// The stand-ins the local stack starts around the handlers, in order. Each issue's part
// (queue emulator, idempotency table, database, SQS poller) registers here.
import { analyticsParts } from './analytics-parts.ts';
import { awsEmulatorParts } from './aws-emulators.ts';
import type { LocalPart } from './stack.ts';

export const localParts = (): LocalPart[] => [
  // Issue 3: fauxqs (events queue + DLQ) and dynalite (idempotency table); first, since later
  // parts (the SQS poller) read AWS_ENDPOINT_URL / EVENTS_QUEUE_URL / DLQ_URL they set.
  ...awsEmulatorParts(),
  // Issue 4: analytics Postgres (PGlite unless DATABASE_URL), then the SQS poller feeding the consumer.
  ...analyticsParts(),
];
