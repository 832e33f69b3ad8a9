// The data shapes of contract section 4, validated where they enter (origin answers, admin input).
// zod/mini: the same validation as zod at ~18 KB instead of ~440 KB in the profile Lambda's bundle.
import * as z from 'zod/mini';

export const linkSchema = z.object({
  id: z.string().check(z.minLength(1)),
  title: z.string(),
  url: z.string(),
  position: z.number(),
  enabled: z.boolean(),
  /** Absent means "link"; a "header" is a section title, its url "" (never rendered or redirected to). */
  type: z.optional(z.enum(['link', 'header'])),
});

/** A social icon of the profile (Linktree's `socialLinks`): its type kept as the origin names it. */
export const socialSchema = z.object({
  type: z.string(),
  url: z.string(),
});

export const profileSchema = z.object({
  id: z.string().check(z.minLength(1)),
  username: z.string().check(z.minLength(1)),
  displayName: z.string(),
  bio: z.string(),
  avatarUrl: z.string(),
  links: z.array(linkSchema),
  theme: z.record(z.string(), z.unknown()),
  lastModified: z.string(),
  socials: z.optional(z.array(socialSchema)),
});

export type Link = z.infer<typeof linkSchema>;
export type Profile = z.infer<typeof profileSchema>;
export type Social = z.infer<typeof socialSchema>;

export interface LinkUpdate {
  id?: string;
  title?: string;
  url?: string;
  position?: number;
  enabled?: boolean;
}

/** Only http(s) URLs are ever redirected to or rendered as links. */
export const isHttpUrl = (raw: string): boolean => {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

/** Enabled links, by position: what the links route returns and the page renders. */
export const visibleLinks = (profile: Profile): Link[] =>
  profile.links.filter((l) => l.enabled).sort((a, b) => a.position - b.position);

/**
 * The profile as public routes show it: its enabled links only, by position. A disabled link is
 * the owner's draft and leaves only through the admin API (the PATCH answer shows every link).
 */
export const publicProfile = (profile: Profile): Profile => ({ ...profile, links: visibleLinks(profile) });
