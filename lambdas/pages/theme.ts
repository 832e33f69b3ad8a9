// Theme colours from the profile, validated: only #hex, rgb() and a short list of named colours
// are accepted, every accepted colour is normalised to #rrggbb (so nothing from the profile ever
// reaches CSS verbatim), and text/background pairs below WCAG AA (4.5:1) fall back to a
// readable colour.
import { createHash } from 'node:crypto';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface PageTheme {
  background: string;
  foreground: string;
  button: string;
  buttonText: string;
}

export const DEFAULT_THEME: PageTheme = {
  background: '#f8fafc',
  foreground: '#0f172a',
  button: '#0f172a',
  buttonText: '#f8fafc',
};

export const MIN_CONTRAST = 4.5;

const NAMED: Record<string, string> = {
  black: '#000000',
  white: '#ffffff',
  red: '#ff0000',
  green: '#008000',
  blue: '#0000ff',
  yellow: '#ffff00',
  orange: '#ffa500',
  purple: '#800080',
  pink: '#ffc0cb',
  gray: '#808080',
  grey: '#808080',
  navy: '#000080',
  teal: '#008080',
  maroon: '#800000',
  olive: '#808000',
  silver: '#c0c0c0',
  lime: '#00ff00',
  aqua: '#00ffff',
  fuchsia: '#ff00ff',
  indigo: '#4b0082',
  gold: '#ffd700',
  brown: '#a52a2a',
};

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
export const toHex = ({ r, g, b }: Rgb): string => `#${hex2(r)}${hex2(g)}${hex2(b)}`;

/** A colour from untrusted input, or undefined when it is not one of the accepted forms. */
export const parseColor = (input: unknown): Rgb | undefined => {
  if (typeof input !== 'string' || input.length > 40) return undefined;
  const s = input.trim().toLowerCase();
  const named = NAMED[s];
  if (named) return parseColor(named);
  let m = /^#([0-9a-f]{3})$/.exec(s);
  if (m) {
    const [r, g, b] = [...m[1]].map((c) => Number.parseInt(c + c, 16));
    return { r, g, b };
  }
  m = /^#([0-9a-f]{6})$/.exec(s);
  if (m) {
    const n = Number.parseInt(m[1], 16);
    return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255 };
  }
  m =
    /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/.exec(s) ??
    /^rgb\(\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s*\)$/.exec(s);
  if (m) {
    const [r, g, b] = [m[1], m[2], m[3]].map(Number);
    if (r > 255 || g > 255 || b > 255) return undefined;
    return { r, g, b };
  }
  return undefined;
};

const channel = (c: number): number => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

/** WCAG 2 relative luminance. */
export const luminance = ({ r, g, b }: Rgb): number => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);

/** WCAG 2 contrast ratio, 1 to 21. */
export const contrastRatio = (a: Rgb, b: Rgb): number => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

const BLACK: Rgb = { r: 0, g: 0, b: 0 };
const WHITE: Rgb = { r: 255, g: 255, b: 255 };

/** `text` when it is readable on `bg`, else black or white, whichever reads better. */
export const readableOn = (bg: Rgb, text: Rgb | undefined): Rgb => {
  if (text && contrastRatio(bg, text) >= MIN_CONTRAST) return text;
  return contrastRatio(bg, BLACK) >= contrastRatio(bg, WHITE) ? BLACK : WHITE;
};

/** The page's colours from a profile's free-form `theme` record. */
export const resolveTheme = (theme: Record<string, unknown>): PageTheme => {
  const background = parseColor(theme.background) ?? (parseColor(DEFAULT_THEME.background) as Rgb);
  const foreground = readableOn(background, parseColor(theme.foreground) ?? parseColor(DEFAULT_THEME.foreground));
  const button = parseColor(theme.button) ?? foreground;
  const buttonText = readableOn(button, parseColor(theme.buttonText) ?? background);
  return { background: toHex(background), foreground: toHex(foreground), button: toHex(button), buttonText: toHex(buttonText) };
};

/** The inline stylesheet carrying the theme: custom properties only, every value #rrggbb. */
export const themeCss = (t: PageTheme): string =>
  `:root{--bg:${t.background};--fg:${t.foreground};--btn:${t.button};--btn-fg:${t.buttonText}}`;

/** The CSP source expression allowing exactly that inline stylesheet. */
export const styleHash = (css: string): string => `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
