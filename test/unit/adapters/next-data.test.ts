import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractNextData } from '../../../lambdas/adapters/next-data.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/linktree/${name}.html`, import.meta.url), 'utf8');

describe('extractNextData', () => {
  it('finds the script of a modern page, past a script that only names it', () => {
    const raw = extractNextData(fixture('modern'));
    expect(raw).toBeDefined();
    expect(JSON.parse(raw ?? '').props.pageProps.account.username).toBe('janedoe');
  });

  it('takes the attributes in any order and quoting', () => {
    expect(JSON.parse(extractNextData(fixture('old-account-links')) ?? '').props.pageProps.account.username).toBe('oldtimer');
    expect(JSON.parse(extractNextData(fixture('headers')) ?? '').props.pageProps.username).toBe('withheaders');
    expect(extractNextData('<script id=__NEXT_DATA__ type=application/json>{"a":1}</script>')).toBe('{"a":1}');
    expect(extractNextData('<SCRIPT TYPE="application/json" ID="__NEXT_DATA__">{"a":2}</script>')).toBe('{"a":2}');
    expect(extractNextData('<script id="__NEXT_DATA__">{"a":3}</script>')).toBe('{"a":3}');
  });

  it('is undefined without that script', () => {
    expect(extractNextData(fixture('no-next-data'))).toBeUndefined();
    expect(extractNextData('')).toBeUndefined();
    expect(extractNextData('<p>__NEXT_DATA__</p>')).toBeUndefined();
    // Another type is not the data script; a different id is not it either.
    expect(extractNextData('<script id="__NEXT_DATA__" type="text/javascript">x</script>')).toBeUndefined();
    expect(extractNextData('<script id="__NEXT_DATA__X" type="application/json">{}</script>')).toBeUndefined();
    expect(extractNextData('<div id="__NEXT_DATA__">{}</div>')).toBeUndefined();
  });

  it('ignores the id in a script text or an attribute value of another tag', () => {
    const html =
      '<script>var s = \'<script id="__NEXT_DATA__" type="application/json">\';</script>' +
      '<a title=\'id="__NEXT_DATA__"\'>x</a>' +
      '<script id="__NEXT_DATA__" type="application/json">{"ok":true}</script>';
    expect(extractNextData(html)).toBe('{"ok":true}');
  });

  it('an unterminated script is no data (no read to the end of a truncated page)', () => {
    expect(extractNextData('<script id="__NEXT_DATA__" type="application/json">{"a":')).toBeUndefined();
    expect(extractNextData('<script id="__NEXT_DATA__" type="application/json"')).toBeUndefined();
  });
});
