import { describe, expect, it } from 'vitest';
import {
  contrastRatio,
  DEFAULT_THEME,
  MIN_CONTRAST,
  parseColor,
  resolveTheme,
  styleHash,
  themeCss,
} from '../../../lambdas/pages/theme.ts';

const hex = (s: string) => parseColor(s)!;

describe('parseColor', () => {
  it.each([
    ['#abc', { r: 0xaa, g: 0xbb, b: 0xcc }],
    ['#1F2937', { r: 0x1f, g: 0x29, b: 0x37 }],
    ['rgb(10, 20, 30)', { r: 10, g: 20, b: 30 }],
    ['rgb(10 20 30)', { r: 10, g: 20, b: 30 }],
    [' White ', { r: 255, g: 255, b: 255 }],
  ])('accepts %s', (input, rgb) => {
    expect(parseColor(input)).toEqual(rgb);
  });

  it.each([
    'red;} body{display:none',
    '#12345',
    '#1234567',
    'rgb(300, 0, 0)',
    'rgba(0,0,0,0.5)',
    'url(https://evil.example/x.png)',
    'expression(alert(1))',
    'var(--x)',
    'currentcolor',
    'transparent',
    '',
    '#fff;',
  ])('rejects %j', (input) => {
    expect(parseColor(input)).toBeUndefined();
  });

  it('rejects non-strings', () => {
    expect(parseColor(123)).toBeUndefined();
    expect(parseColor({ toString: () => '#fff' })).toBeUndefined();
    expect(parseColor(undefined)).toBeUndefined();
  });
});

describe('contrastRatio', () => {
  it('is 21 for black on white and 1 for equal colours', () => {
    expect(contrastRatio(hex('#000'), hex('#fff'))).toBeCloseTo(21, 5);
    expect(contrastRatio(hex('#777'), hex('#777'))).toBe(1);
  });
});

describe('resolveTheme', () => {
  it('keeps valid colours that are readable, normalised to #rrggbb', () => {
    expect(
      resolveTheme({ background: '#1F2937', foreground: 'rgb(249,250,251)', button: '#f59e0b', buttonText: '#111827' }),
    ).toEqual({
      background: '#1f2937',
      foreground: '#f9fafb',
      button: '#f59e0b',
      buttonText: '#111827',
    });
  });

  it('falls back to defaults for anything that is not an accepted colour (the hostile theme)', () => {
    const t = resolveTheme({ background: 'red;} body{display:none', foreground: '#000000', button: 'javascript:alert(1)' });
    expect(t.background).toBe(DEFAULT_THEME.background);
    expect(t.foreground).toBe('#000000');
    expect(themeCss(t)).not.toMatch(/display|javascript|;}/);
  });

  it('replaces text colours below 4.5:1 with black or white, whichever reads better', () => {
    const t = resolveTheme({ background: '#ffffff', foreground: '#eeeeee', button: '#f59e0b', buttonText: '#fde68a' });
    expect(t.foreground).toBe('#000000');
    expect(t.buttonText).toBe('#000000');
    const dark = resolveTheme({ background: '#111111', foreground: '#222222', button: '#1e3a8a', buttonText: '#1e40af' });
    expect(dark.foreground).toBe('#ffffff');
    expect(dark.buttonText).toBe('#ffffff');
    for (const theme of [t, dark]) {
      expect(contrastRatio(hex(theme.foreground), hex(theme.background))).toBeGreaterThanOrEqual(MIN_CONTRAST);
      expect(contrastRatio(hex(theme.buttonText), hex(theme.button))).toBeGreaterThanOrEqual(MIN_CONTRAST);
    }
  });

  it('gives an empty theme the default, readable colours', () => {
    const t = resolveTheme({});
    expect(t).toEqual(DEFAULT_THEME);
    expect(contrastRatio(hex(t.buttonText), hex(t.button))).toBeGreaterThanOrEqual(MIN_CONTRAST);
  });
});

describe('themeCss / styleHash', () => {
  it('holds custom properties with hex values only, and hashes to a CSP source', () => {
    const css = themeCss(resolveTheme({ background: '#000' }));
    expect(css).toMatch(/^:root\{(--[a-z-]+:#[0-9a-f]{6};?)+\}$/);
    expect(styleHash(css)).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
  });
});
