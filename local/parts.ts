// The stand-ins the local stack starts around the handlers, in order: each part (queue
// emulator, idempotency table, database, SQS poller) registers here.
import { analyticsParts } from './analytics-parts.ts';
import { apiKeysPart } from './api-keys-part.ts';
import { awsEmulatorParts } from './aws-emulators.ts';
import { linktreeMcpPart } from './linktree-mcp-part.ts';
import type { LocalPart } from './stack.ts';
import { StandIns, standInsPart } from './standins-process.ts';
import { watcherPart } from './watcher-part.ts';
import { deliverPart, webhooksOutStatePart } from './webhooks-out-parts.ts';

export const localParts = (): LocalPart[] => {
  const standins = new StandIns();
  return [
    // First (and stopped last): the child process running fauxqs, dynalite and PGlite for the
    // parts below that have no endpoint from the environment; see standins-process.ts for why.
    standInsPart(standins),
    // ORIGIN=linktree-mcp without LINKTREE_MCP_URL: the local MCP stand-in, logged in (offline).
    linktreeMcpPart(),
    // fauxqs (events queue + DLQ) and dynalite (idempotency table); before the later
    // parts (the SQS poller), which read AWS_ENDPOINT_URL / EVENTS_QUEUE_URL / DLQ_URL they set.
    ...awsEmulatorParts(standins),
    // The scoped API keys' table, on the DynamoDB endpoint those parts chose.
    apiKeysPart(),
    // Outgoing webhooks' tables and delivery queue: before the consumer, whose drain fans out
    // into that queue, so the queue is kept after it (parts stop in reverse order).
    webhooksOutStatePart(standins),
    // The analytics Postgres (PGlite unless DATABASE_URL), then the SQS poller feeding the consumer.
    ...analyticsParts(standins),
    // The deliver function's poller on the delivery queue.
    deliverPart(),
    // Last, so stopped first: its runs enqueue, and must be done before the queue drains.
    watcherPart(),
  ];
};
