// `npm run dlq -- list [max]` / `npm run dlq -- redrive [--manual] [max]`: inspect the events
// DLQ and move its messages back to the events queue. Reads EVENTS_QUEUE_URL, DLQ_URL and
// AWS_ENDPOINT_URL (an emulator; unset in AWS) from the environment.
import { SQSClient } from '@aws-sdk/client-sqs';
import { listDlq, queueDepth, redriveDlq } from '../lambdas/adapters/sqs-dlq.ts';
import { awsClientConfig } from '../lambdas/adapters/aws-client.ts';
import { parseConfig } from '../lambdas/config/variables.ts';

const usage = `usage: npm run dlq -- list [max]            show up to max (default 50) dead-lettered events
       npm run dlq -- redrive [--manual] [max]  move them back to the events queue

environment: DLQ_URL, EVENTS_QUEUE_URL (queue URLs), AWS_ENDPOINT_URL (emulator endpoint, unset in AWS),
             AWS_REGION and credentials as for any AWS SDK client.
with the local stack: \`npm start\` prints a line "queue: ..." with the three variables to copy, e.g.
  AWS_ENDPOINT_URL=http://127.0.0.1:PORT EVENTS_QUEUE_URL=... DLQ_URL=... npm run dlq -- list
(the stack's emulators live in its process: run this while it is up).`;

const [command, ...rest] = process.argv.slice(2);
const manual = rest.includes('--manual');
const maxArg = rest.find((a) => /^\d+$/.test(a));

const fail = (message: string): never => {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
};

if (!command || command === 'help' || command === '--help' || command === '-h') {
  console.log(usage);
  process.exit(0);
}
const c = parseConfig(process.env);
const dlqUrl = c.DLQ_URL || fail('DLQ_URL is not set.');
// Emulators take any credentials; the SDK reads them from the environment.
if (c.AWS_ENDPOINT_URL) {
  process.env.AWS_ACCESS_KEY_ID ||= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ||= 'local';
}
const client = new SQSClient(awsClientConfig('SQS', c));

try {
  if (command === 'list') {
    const depth = await queueDepth(client, dlqUrl);
    const messages = await listDlq(client, dlqUrl, maxArg ? Number(maxArg) : 50);
    console.log(`DLQ ${dlqUrl}: ~${depth.visible} visible, ~${depth.inFlight} in flight`);
    for (const m of messages) {
      console.log(`- ${m.messageId}  type=${m.type ?? '?'}  sent=${m.sentAt ?? '?'}  receives=${m.receiveCount}`);
      console.log(`  ${m.body.length > 300 ? `${m.body.slice(0, 300)}…` : m.body}`);
    }
    if (!messages.length) console.log('(empty)');
  } else if (command === 'redrive') {
    const queueUrl = c.EVENTS_QUEUE_URL || fail('EVENTS_QUEUE_URL is not set.');
    const result = await redriveDlq(client, { dlqUrl, queueUrl, manual, ...(maxArg ? { max: Number(maxArg) } : {}) });
    if (result.method === 'move-task')
      console.log(
        `started an SQS message move task (${result.taskHandle ?? 'no handle'}); SQS moves the messages in the background`,
      );
    else console.log(`moved ${result.moved} message(s) from the DLQ back to ${queueUrl}`);
  } else {
    fail(`unknown command "${command}".`);
  }
} catch (err) {
  console.error(`dlq ${command} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  process.exitCode = 1;
} finally {
  client.destroy();
}
