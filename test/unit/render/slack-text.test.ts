import t from 'tap';
import fc from 'fast-check';
import { clip, codeBlockTail, escapeClip, escapeSlack, isSafeUrl } from '../../../src/render/slack-text.js';

/** No lone surrogate (String.prototype.isWellFormed is ES2024, newer than the project's lib). */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

t.test('escapeSlack escapes exactly &, < and >', async (t) => {
  t.equal(escapeSlack('<!channel> <http://x|y> & "q" *b*'), '&lt;!channel&gt; &lt;http://x|y&gt; &amp; "q" *b*');
  t.equal(escapeSlack('&amp;'), '&amp;amp;', 'an entity in the input is shown as typed');
});

t.test('clip and escapeClip never exceed the limit nor split a pair or an entity', async (t) => {
  t.equal(clip('🚀🚀🚀', 4), '🚀…', 'a surrogate pair is not split');
  t.equal(escapeClip('a<b', 5), 'a…', '&lt; is not cut in half');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 2, max: 200 }), (s, max) => {
      const out = escapeClip(s, max);
      if (out.length > max) return false;
      if (/&(?!amp;|lt;|gt;)/.test(out) || /[<>]/.test(out)) return false;
      // No lone surrogate.
      return wellFormed(out);
    }),
  );
});

t.test('codeBlockTail: within the budget, fenced, escaped, the end of the log kept', async (t) => {
  const short = codeBlockTail('a\nb <!here>\n', 100);
  t.same(short, { text: '```\na\nb &lt;!here&gt;\n```', cut: false, shownLines: 2, totalLines: 2 });
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} \`\`\` end`);
  const long = codeBlockTail(lines.join('\n'), 3000);
  t.ok(long.cut);
  t.ok(long.text.length <= 3000);
  t.match(long.text, /line 499 `\u200b`\u200b` end\n```$/, 'the last line is there, its fence broken');
  t.match(long.text, /^```\n… \(earlier lines cut\)\n/);
  const oneLine = codeBlockTail(`${'x'.repeat(10_000)}END`, 500);
  t.ok(oneLine.text.length <= 500 && oneLine.text.endsWith('END\n```'), 'a single huge line keeps its end');

  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 4000 }), fc.integer({ min: 60, max: 3000 }), (log, max) => {
      const block = codeBlockTail(log, max);
      const inner = block.text.slice(4, -4);
      return (
        block.text.length <= max &&
        block.text.startsWith('```\n') &&
        block.text.endsWith('\n```') &&
        !inner.includes('```') &&
        !/[<>]/.test(inner) &&
        wellFormed(block.text)
      );
    }),
    { numRuns: 300 },
  );
});

t.test('isSafeUrl accepts plain http(s) URLs only', async (t) => {
  t.ok(isSafeUrl('https://argocd.example.com/applications/argocd/app?operation=true'));
  t.notOk(isSafeUrl('javascript:alert(1)'));
  t.notOk(isSafeUrl('https://x.example/|<!channel>'));
  t.notOk(isSafeUrl('https://x.example/a b'));
});
