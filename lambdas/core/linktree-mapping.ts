// Linktree's data → our Profile (contract 3.2), shared by both Linktree origins: the public page's
// `__NEXT_DATA__` (`props.pageProps`) and the MCP tools' outputs (get_account → `account`,
// get_links → `links`) build the same `LinktreePageProps` input. Linktree documents none of this;
// the schemas read only what is mapped, ignore every other field, and accept `null` where real
// pages have it. A missing account or username is a changed shape: OriginShapeError, never a
// half-mapped profile.
import * as z from 'zod/mini';
import { OriginShapeError } from '../shared/errors.ts';
import { isHttpUrl, type Link, type Profile, type Social } from './profile.ts';

const text = z.nullish(z.string());
const id = z.union([z.string(), z.number()]);

/** One link as Linktree gives it (page: ids as strings; MCP get_links: ids as numbers, `active`). */
export const linktreeLinkSchema = z.object({
  id,
  type: text,
  title: text,
  url: text,
  position: z.nullish(z.number()),
  /** The MCP's draft flag; pages carry only active links and leave it out. */
  active: z.nullish(z.boolean()),
});

export const linktreeSocialLinkSchema = z.object({
  type: z.string(),
  url: z.string(),
});

const looseRecord = z.record(z.string(), z.unknown());

/** `props.pageProps.account` of a page, or the MCP's get_account output. */
export const linktreeAccountSchema = z.object({
  id: z.nullish(id),
  uuid: text,
  username: z.string().check(z.minLength(1)),
  pageTitle: text,
  description: text,
  profilePictureUrl: text,
  /** Epoch ms. */
  updatedAt: z.nullish(z.union([z.number(), z.string()])),
  createdAt: z.nullish(z.union([z.number(), z.string()])),
  links: z.nullish(z.array(z.unknown())),
  socialLinks: z.nullish(z.array(z.unknown())),
  theme: z.nullish(z.unknown()),
});

export type LinktreeLink = z.input<typeof linktreeLinkSchema>;
export type LinktreeSocialLink = z.input<typeof linktreeSocialLinkSchema>;
export type LinktreeAccount = z.input<typeof linktreeAccountSchema>;

/** What the mapping reads: a page's `props.pageProps`, or `{account, links}` built from MCP tool outputs. */
export interface LinktreePageProps {
  account: LinktreeAccount;
  links?: LinktreeLink[] | null;
  socialLinks?: LinktreeSocialLink[] | null;
  theme?: Record<string, unknown> | null;
  pageTitle?: string | null;
  description?: string | null;
  profilePictureUrl?: string | null;
}

const pagePropsSchema = z.object({
  account: z.unknown(),
  links: z.nullish(z.array(z.unknown())),
  socialLinks: z.nullish(z.array(z.unknown())),
  theme: z.nullish(z.unknown()),
  pageTitle: text,
  description: text,
  profilePictureUrl: text,
});

/**
 * When neither `updatedAt` nor `createdAt` is usable: the Unix epoch, not "now", so the mapped
 * profile (and its ETag) stays the same across reads and the change watcher sees no false change.
 */
export const LAST_MODIFIED_FALLBACK = new Date(0).toISOString();

const nonEmpty = (...values: (string | null | undefined)[]): string | undefined =>
  values.find((v): v is string => typeof v === 'string' && v.trim() !== '');

const isoOf = (...stamps: (number | string | null | undefined)[]): string => {
  for (const s of stamps) {
    if (s === null || s === undefined || s === '') continue;
    const ms = typeof s === 'number' ? s : /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    const d = new Date(ms);
    if (Number.isFinite(ms) && !Number.isNaN(d.getTime())) return d.toISOString();
  }
  return LAST_MODIFIED_FALLBACK;
};

const isSocialUrl = (raw: string): boolean => {
  if (isHttpUrl(raw)) return true;
  try {
    return new URL(raw).protocol === 'mailto:';
  } catch {
    return false;
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => looseRecord.safeParse(v).success && !Array.isArray(v);

const mapLinks = (raw: unknown[]): Link[] => {
  const out: Link[] = [];
  raw.forEach((item, index) => {
    const parsed = linktreeLinkSchema.safeParse(item);
    // One unreadable link is left out like a non-http one; the rest of the profile stands.
    if (!parsed.success) return;
    const l = parsed.data;
    const header = l.type === 'HEADER';
    const url = l.url ?? '';
    if (!header && !isHttpUrl(url)) return;
    out.push({
      id: String(l.id),
      title: l.title ?? '',
      url: header ? '' : url,
      position: l.position ?? index,
      enabled: l.active ?? true,
      type: header ? 'header' : 'link',
    });
  });
  return out;
};

const mapSocials = (raw: unknown[]): Social[] => {
  const out: Social[] = [];
  for (const item of raw) {
    const parsed = linktreeSocialLinkSchema.safeParse(item);
    if (parsed.success && isSocialUrl(parsed.data.url)) out.push({ type: parsed.data.type, url: parsed.data.url });
  }
  return out;
};

/** Maps `props.pageProps` (or the same shape built from MCP outputs). Throws OriginShapeError. */
export const mapLinktreeProfile = (input: unknown): Profile => {
  const props = pagePropsSchema.safeParse(input);
  if (!props.success) throw new OriginShapeError('pageProps is not an object of the known shape', { cause: props.error });
  const p = props.data;
  if (p.account === undefined || p.account === null) throw new OriginShapeError('no account in pageProps');
  const acc = linktreeAccountSchema.safeParse(p.account);
  if (!acc.success) throw new OriginShapeError('account without a username, or of another shape', { cause: acc.error });
  const a = acc.data;
  const profileId = nonEmpty(a.uuid) ?? (a.id === null || a.id === undefined || a.id === '' ? undefined : String(a.id));
  if (!profileId) throw new OriginShapeError('account without uuid or id');
  const avatar = nonEmpty(p.profilePictureUrl, a.profilePictureUrl);
  const theme = isRecord(p.theme) ? p.theme : isRecord(a.theme) ? a.theme : {};
  return {
    id: profileId,
    username: a.username,
    displayName: nonEmpty(p.pageTitle, a.pageTitle) ?? a.username,
    bio: nonEmpty(p.description, a.description) ?? '',
    avatarUrl: avatar && isHttpUrl(avatar) ? avatar : '',
    links: mapLinks(p.links ?? a.links ?? []),
    theme,
    lastModified: isoOf(a.updatedAt, a.createdAt),
    socials: mapSocials(p.socialLinks ?? a.socialLinks ?? []),
  };
};

/** The parsed `__NEXT_DATA__` JSON of a page → Profile; no `props.pageProps` is a changed shape too. */
export const mapNextData = (nextData: unknown): Profile => {
  const props = isRecord(nextData) && isRecord(nextData.props) ? nextData.props.pageProps : undefined;
  if (!isRecord(props)) throw new OriginShapeError('__NEXT_DATA__ without props.pageProps');
  return mapLinktreeProfile(props);
};
