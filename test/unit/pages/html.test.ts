import { describe, expect, it } from 'vitest';
import { escapeHtml, html, jsonForScript, raw } from '../../../lambdas/pages/html.ts';

describe('escapeHtml', () => {
  it('escapes the characters that can end text or an attribute value', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });
  it('leaves ordinary text alone', () => {
    expect(escapeHtml('Photographer, traveller — ünïcode 🎞')).toBe('Photographer, traveller — ünïcode 🎞');
  });
});

describe('html tagged template', () => {
  it('escapes every interpolated value by default', () => {
    const name = '<img src=x onerror="alert(1)">';
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>',
    );
  });
  it('passes nested html and raw markup through, joins arrays, drops null/undefined/false', () => {
    const items = ['<a>', 'b'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${raw('<hr>')}${0}`.value).toBe(
      '<ul><li>&lt;a&gt;</li><li>b</li></ul><hr>0',
    );
  });
  it('does not treat look-alike objects as safe', () => {
    const fake = { value: '<script>x</script>' } as unknown as string;
    expect(html`${fake}`.value).not.toContain('<script>');
  });
});

describe('jsonForScript', () => {
  it('cannot close the script element or open a comment', () => {
    const out = jsonForScript({ title: '</script><script>alert(1)</script><!--', amp: '&' }).value;
    expect(out).not.toMatch(/[<>&]/);
    expect(JSON.parse(out)).toEqual({ title: '</script><script>alert(1)</script><!--', amp: '&' });
  });
});
