// Finds the text of a page's `<script id="__NEXT_DATA__" type="application/json">` without building
// a DOM: lastIndexOf to each occurrence of the id, from the end (Next.js writes the script last in
// the body, so the 100s of KB of head and markup before it are never scanned), then a look at the
// one tag around it (bounded in length). Attribute order and quoting may vary; a script of another
// type is not it, nor the tag spelled inside another script's text (markup in lower case, as
// Next.js writes it, is assumed for that check). With several such scripts, the last one wins.

const MARKER = '__NEXT_DATA__';
/** The longest `<script ...>` opening tag looked at; real ones are under 100 characters. */
const MAX_TAG = 512;
const ID_ATTR = /\sid\s*=\s*(?:"__NEXT_DATA__"|'__NEXT_DATA__'|__NEXT_DATA__(?=[\s>/]))/i;
const TYPE_ATTR = /\stype\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;

/** The script's raw text (not yet JSON-parsed), or undefined when the page has no such script. */
export const extractNextData = (html: string): string | undefined => {
  for (let at = html.lastIndexOf(MARKER); at !== -1; at = at === 0 ? -1 : html.lastIndexOf(MARKER, at - 1)) {
    const open = html.lastIndexOf('<', at);
    // The id must sit inside an opening tag, not in a script's text or a comment after one.
    if (open === -1 || at - open > MAX_TAG || html.lastIndexOf('>', at) > open) continue;
    const close = html.indexOf('>', at);
    if (close === -1) continue;
    if (close - open > MAX_TAG) continue;
    const tag = html.slice(open, close + 1);
    if (!/^<script[\s>]/i.test(tag) || !ID_ATTR.test(tag)) continue;
    // Inside another script's text (a string literal that spells the tag) it is no tag at all.
    if (open > 0 && html.lastIndexOf('<script', open - 1) > html.lastIndexOf('</script', open)) continue;
    const type = TYPE_ATTR.exec(tag);
    if (type && (type[1] ?? type[2] ?? type[3] ?? '').trim().toLowerCase() !== 'application/json') continue;
    const end = html.indexOf('</script', close + 1);
    if (end === -1) continue;
    return html.slice(close + 1, end);
  }
  return undefined;
};
