// The OAuth tokens of Linktree's MCP server as they are stored (`LINKTREE_MCP_TOKENS`): the token
// response plus where to refresh it, so a container can refresh without discovery. One JSON shape
// for the local file and the Secrets Manager secret.
import * as z from 'zod/mini';

export const storedTokensSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  refresh_token: z.string().check(z.minLength(1)),
  token_type: z.string(),
  /** Epoch seconds. */
  expires_at: z.number(),
  client_id: z.optional(z.string()),
  token_endpoint: z.optional(z.string()),
});

export type StoredTokens = z.infer<typeof storedTokensSchema>;

/** Where the tokens live. `read` resolves undefined when nothing (or a placeholder) is stored yet. */
export interface TokenStore {
  read(): Promise<StoredTokens | undefined>;
  write(tokens: StoredTokens): Promise<void>;
  /** For log lines: the file path or the secret's ARN, never a token. */
  readonly location: string;
}

/** Parses stored JSON; undefined for an empty or placeholder value, throws on a malformed one. */
export const parseStoredTokens = (text: string | undefined): StoredTokens | undefined => {
  if (text === undefined || text.trim() === '' || text.trim() === '{}') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('The stored Linktree tokens are not JSON.');
  }
  const parsed = storedTokensSchema.safeParse(json);
  if (!parsed.success) throw new Error('The stored Linktree tokens do not have the expected fields.');
  return parsed.data;
};

/** A token response (expires_in relative) as stored (expires_at absolute). */
export const toStoredTokens = (
  response: { access_token: string; refresh_token?: string; token_type?: string; expires_in?: number },
  nowMs: number,
  extra: { client_id?: string; token_endpoint?: string; previousRefreshToken?: string },
): StoredTokens => {
  const refresh = response.refresh_token ?? extra.previousRefreshToken;
  if (!refresh) throw new Error('The token response carries no refresh token.');
  return {
    access_token: response.access_token,
    refresh_token: refresh,
    token_type: response.token_type ?? 'Bearer',
    // Without expires_in, assume an hour; a 401 refreshes earlier anyway.
    expires_at: Math.floor(nowMs / 1000) + (response.expires_in ?? 3600),
    ...(extra.client_id ? { client_id: extra.client_id } : {}),
    ...(extra.token_endpoint ? { token_endpoint: extra.token_endpoint } : {}),
  };
};
