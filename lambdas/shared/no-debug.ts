// What the bundles use for the `debug` package (lib/bundling.ts aliases it here): ioredis logs
// through `debug`, which prints only when the DEBUG variable names it, and never does in Lambda.
// A logger that is always off keeps ~9 KB (debug, ms, supports-color) off every cold start.
type Debugger = ((...args: unknown[]) => void) & { enabled: boolean; namespace: string; log: () => void };

export default function createDebug(namespace: string): Debugger {
  return Object.assign(() => {}, { enabled: false, namespace, log: () => {} });
}
