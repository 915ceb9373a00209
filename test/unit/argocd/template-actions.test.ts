import t from 'tap';
import { bodyWithPlaceholders, scanTemplateActions } from '../../../src/argocd/template-actions.js';

t.test('classifies actions: output with or without a JSON encoder, control, comment', async (t) => {
  const body = '{"a": {{toJson .a}}, "b": {{ .b | toJson }}, "c": "{{.c}}", {{/* note */}}"d": {{ .d }}{{ if .e }}{{ end }}{{ $x := .f }}}';
  const actions = scanTemplateActions(body);
  t.same(
    actions.map((a) => [a.kind, a.jsonEncoded, a.insideString]),
    [
      ['output', true, false],
      ['output', true, false],
      ['output', false, true],
      ['comment', false, false],
      ['output', false, false],
      ['control', false, false],
      ['control', false, false],
      ['control', false, false],
    ],
  );
});

t.test('string literals inside an action do not end it; escaped quotes in JSON do not end a string', async (t) => {
  const actions = scanTemplateActions('{"a": {{ toJson "}}" }}, "b\\"{{.x}}": 1}');
  t.equal(actions[0]?.text, '{{ toJson "}}" }}');
  t.equal(actions[0]?.jsonEncoded, true);
  t.equal(actions[1]?.insideString, true, 'still inside "b\\"..."');
});

t.test('trim markers and toJson of a parenthesized call count as encoded', async (t) => {
  const [a, b, c] = scanTemplateActions('{{- toJson .x -}} {{toJson (index .app.metadata.labels "team")}} {{ toJson .x | upper }}');
  t.equal(a?.jsonEncoded, true);
  t.equal(b?.jsonEncoded, true);
  t.equal(c?.jsonEncoded, false, 'a function after toJson can break the JSON again');
});

t.test('placeholder skeleton', async (t) => {
  const body = '{"a": {{toJson .a}}{{/* c */}}}';
  t.equal(bodyWithPlaceholders(body, scanTemplateActions(body)), '{"a": null}');
  const ctl = '{{ if .a }}{}{{ else }}[{{ end }}';
  t.equal(bodyWithPlaceholders(ctl, scanTemplateActions(ctl)), '{}', 'the first branch of an if');
  const loop = '[{{$n := 0}}{{range .a}}{{if $n}},{{end}}{{$n = add1 $n}}{{toJson .}}{{end}}]';
  t.equal(bodyWithPlaceholders(loop, scanTemplateActions(loop)), '[]', 'a range taken empty, assignments print nothing');
  const loopElse = '{{range .a}}{{toJson .}}{{else}}null{{end}}';
  t.equal(bodyWithPlaceholders(loopElse, scanTemplateActions(loopElse)), 'null', "a range's else is its empty case");
  for (const unknown of ['{{define "x"}}{}{{end}}', '{{template "x" .}}', '{{if .a}}{}', '{}{{end}}']) {
    t.equal(bodyWithPlaceholders(unknown, scanTemplateActions(unknown)), undefined, `${unknown}: not followed`);
  }
  const open = '{"a": {{toJson .a';
  t.equal(scanTemplateActions(open)[0]?.end, open.length, 'an unclosed action runs to the end');
});
