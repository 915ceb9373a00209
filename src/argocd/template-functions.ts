import { scanTemplateActions } from './template-actions.js';

/*
 * The functions a notification template can call in Argo CD 3.5: notifications-engine
 * v0.5.1-0.20260503100631-0cff13b8a717 (the commit argo-cd v3.5.1's go.mod pins), pkg/templates/service.go,
 * registers sprig/v3 v3.3.0's TxtFuncMap() minus env and expandenv, and nothing else; text/template adds
 * its built-ins. A template that calls anything else does not parse, and Argo CD refuses the whole
 * ConfigMap (every trigger of every app stops notifying). slackUserByEmail, slackChannel and
 * slackUserGroup exist only in unmerged notifications-engine branches.
 */

const TEXT_TEMPLATE_BUILTINS = [
  'and', 'call', 'eq', 'ge', 'gt', 'html', 'index', 'js', 'le', 'len', 'lt', 'ne', 'not', 'or', 'print', 'printf',
  'println', 'slice', 'urlquery',
];

// sprig v3.3.0 functions.go genericFuncMap, less env and expandenv.
const SPRIG_V3_3_0 = `abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec b64enc
base bcrypt biggest buildCustomCert camelcase cat ceil chunk clean coalesce compact concat contains date dateInZone
dateModify date_in_zone date_modify decryptAES deepCopy deepEqual default derivePassword dict dig dir div divf
duration durationRound empty encryptAES ext fail first float64 floor fromJson genCA genCAWithKey genPrivateKey
genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey get getHostByName has hasKey hasPrefix
hasSuffix hello htmlDate htmlDateInZone htpasswd indent initial initials int int64 isAbs join kebabcase keys kindIs
kindOf last list lower max maxf merge mergeOverwrite min minf mod mul mulf mustAppend mustChunk mustCompact
mustDateModify mustDeepCopy mustFirst mustFromJson mustHas mustInitial mustLast mustMerge mustMergeOverwrite
mustPrepend mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll mustRegexReplaceAllLiteral
mustRegexSplit mustRest mustReverse mustSlice mustToDate mustToJson mustToPrettyJson mustToRawJson mustUniq
mustPush mustWithout must_date_modify nindent nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend push
quote randAlpha randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll regexMatch
regexQuoteMeta regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest reverse round semver
semverCompare seq set sha1sum sha256sum sha512sum shuffle slice snakecase sortAlpha split splitList splitn squote
sub subf substr swapcase ternary title toDate toDecimal toJson toPrettyJson toRawJson toString toStrings trim
trimAll trimPrefix trimSuffix trimall trunc tuple typeIs typeIsLike typeOf uniq unixEpoch unset until untilStep
untitle upper urlJoin urlParse uuidv4 values without wrap wrapWith`.split(/\s+/);

/** Every function a template may call on Argo CD 3.5. */
export const ARGOCD_TEMPLATE_FUNCTIONS: ReadonlySet<string> = new Set([...TEXT_TEMPLATE_BUILTINS, ...SPRIG_V3_3_0]);

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'true', 'false', 'nil']);

/** Names an action calls as functions: identifiers not after `.` or `$`, outside string literals. */
function calledIn(action: string): string[] {
  const code = action
    .slice(2, -2)
    .replace(/"(?:[^"\\]|\\.)*"|`[^`]*`|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/^\/\*[\s\S]*\*\/$/, '');
  return [...code.matchAll(/(?<![\w.$])[A-Za-z_]\w*/g)].map((m) => m[0]).filter((w) => !KEYWORDS.has(w));
}

/** Functions a template text calls that Argo CD 3.5 does not define, each once, in order of appearance. */
export function unknownTemplateFunctions(text: string): string[] {
  const unknown = new Set<string>();
  for (const action of scanTemplateActions(text)) {
    if (action.kind === 'comment') continue;
    for (const name of calledIn(action.text)) if (!ARGOCD_TEMPLATE_FUNCTIONS.has(name)) unknown.add(name);
  }
  return [...unknown];
}
