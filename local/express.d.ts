// express (a dependency of the MCP SDK's server-side OAuth router) ships no types, and
// @types/express is not installed: the part of its API the local MCP stand-in uses.
declare module 'express' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export interface Request extends IncomingMessage {
    body?: unknown;
  }
  export interface Response extends ServerResponse {
    redirect(status: number, url: string): void;
    status(code: number): Response;
    json(body: unknown): Response;
  }
  export type NextFunction = (err?: unknown) => void;
  export type RequestHandler = (req: Request, res: Response, next: NextFunction) => void;
  export interface Express extends RequestHandler {
    use(...handlers: RequestHandler[]): Express;
    all(path: string, ...handlers: RequestHandler[]): Express;
    get(path: string, ...handlers: RequestHandler[]): Express;
    disable(setting: string): Express;
  }
  interface ExpressStatic {
    (): Express;
    json(options?: { limit?: string }): RequestHandler;
  }
  const express: ExpressStatic;
  export default express;
}
