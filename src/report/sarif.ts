/**
 * The one SARIF 2.1.0 writer: one run of one tool, its rules and its results. Every command's
 * SARIF (`lint`, `audit`, `scan`) is built here from its own rules and findings; results point at
 * a file and line, at a non-file URI (an image reference), or at nothing.
 */

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRule {
  id: string;
  /** A readable identifier (`root-user`, `ShellPresent`); rules made from data (advisory ids) have none. */
  name?: string;
  shortDescription: string;
  helpUri?: string;
  /** Default level; `info` is written as SARIF `note`. Without one, consumers assume `warning`. */
  severity?: 'error' | 'warning' | 'info' | SarifLevel;
  /** Optional longer help text (markdown is fine). */
  help?: string;
  /** The rule's property bag, e.g. GitHub code scanning's `security-severity` and `tags`. */
  properties?: Record<string, unknown>;
}

interface SarifResultBase {
  ruleId: string;
  level: 'error' | 'warning' | 'info' | SarifLevel;
  message: string;
}

/** A finding in a file (`file`, optional `line`), at another artifact (`uri`), or at nothing. */
export type SarifResult = SarifResultBase &
  (
    | {
        /** Path of the file, relative paths preferred (`-` for stdin is written as `stdin`). */
        file?: string;
        /** 1-based line. */
        line?: number;
        uri?: never;
      }
    | {
        /** An artifact that is no file, e.g. an image reference; written as a URI reference (escaped where needed). */
        uri: string;
        file?: never;
        line?: never;
      }
  );

export interface SarifTool {
  name: string;
  version?: string;
  informationUri?: string;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Maps our severities onto SARIF levels (`info` -> `note`). */
export function sarifLevel(s: SarifResult['level']): SarifLevel {
  return s === 'info' ? 'note' : s;
}

function artifactUri(file: string): string {
  if (file === '-') return 'stdin';
  // SARIF wants URI references: forward slashes, spaces and other unsafe characters escaped.
  return file.replace(/\\/g, '/').split('/').map((seg) => encodeURIComponent(seg)).join('/');
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function percentEncode(c: string): string {
  return [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * `text` as an RFC 3986 URI reference, escaping only what a URI cannot hold: image references and
 * paths come from untrusted images, yet `oci:/x/img:v1/bin/sh` or `app#pkg:npm/a@1` must stay readable.
 */
export function uriReference(text: string): string {
  const scheme = SCHEME.exec(text)?.[0] ?? '';
  const rest = text.slice(scheme.length);
  const hash = rest.indexOf('#');
  const [body, fragment] = hash === -1 ? [rest, undefined] : [rest.slice(0, hash), rest.slice(hash + 1)];
  // Outside these, and % not starting an escape, a character is percent-encoded.
  const unsafe = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/gu;
  let out = body.replace(unsafe, percentEncode);
  // Without a scheme, a colon before the first slash would read as one (`127.0.0.1:5000/app`).
  if (!scheme) out = out.replace(/^[^/?]*/, (first) => first.replaceAll(':', '%3A'));
  return scheme + out + (fragment === undefined ? '' : '#' + fragment.replace(unsafe, percentEncode));
}

function location(r: SarifResult): Record<string, unknown> | undefined {
  if (r.uri !== undefined) return { physicalLocation: { artifactLocation: { uri: uriReference(r.uri) } } };
  if (r.file === undefined) return undefined;
  return {
    physicalLocation: {
      artifactLocation: { uri: artifactUri(r.file) },
      ...(r.line !== undefined && r.line >= 1 ? { region: { startLine: r.line } } : {}),
    },
  };
}

/** Builds a SARIF 2.1.0 log object (serialise with JSON.stringify). */
export function toSarif(tool: SarifTool, rules: SarifRule[], results: SarifResult[]): Record<string, unknown> {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            ...(tool.version ? { version: tool.version, semanticVersion: tool.version } : {}),
            ...(tool.informationUri ? { informationUri: tool.informationUri } : {}),
            rules: rules.map((r) => ({
              id: r.id,
              ...(r.name ? { name: r.name } : {}),
              shortDescription: { text: r.shortDescription },
              ...(r.help ? { help: { text: r.help } } : {}),
              ...(r.helpUri ? { helpUri: r.helpUri } : {}),
              ...(r.severity ? { defaultConfiguration: { level: sarifLevel(r.severity) } } : {}),
              ...(r.properties ? { properties: r.properties } : {}),
            })),
          },
        },
        results: results.map((r) => {
          const ruleIndex = index.get(r.ruleId);
          const where = location(r);
          return {
            ruleId: r.ruleId,
            ...(ruleIndex !== undefined ? { ruleIndex } : {}),
            level: sarifLevel(r.level),
            message: { text: r.message },
            ...(where ? { locations: [where] } : {}),
          };
        }),
      },
    ],
  };
}
