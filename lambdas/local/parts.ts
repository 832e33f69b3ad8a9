// The stand-ins the local stack starts around the handlers, in order. Each issue's part
// (queue emulator, idempotency table, database, SQS poller) registers here.
import type { LocalPart } from './stack.ts';

export const localParts = (): LocalPart[] => [];
