/**
 * A generic SARIF 2.1.0 writer: one run of one tool, its rules and its results. Used by
 * `distill lint` and meant for any command that reports rule findings against files
 * (results without a file or line are emitted without a location region).
 */

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: string;
  helpUri?: string;
  /** Default level; `info` is written as SARIF `note`. */
  severity: 'error' | 'warning' | 'info' | SarifLevel;
  /** Optional longer help text (markdown is fine). */
  help?: string;
}

export interface SarifResult {
  ruleId: string;
  level: 'error' | 'warning' | 'info' | SarifLevel;
  message: string;
  /** Path or URI of the artifact, relative paths preferred (`-` for stdin is written as `stdin`). */
  file?: string;
  /** 1-based line. */
  line?: number;
}

export interface SarifTool {
  name: string;
  version?: string;
  informationUri?: string;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Maps our severities onto SARIF levels (`info` -> `note`). */
export function sarifLevel(s: SarifRule['severity']): SarifLevel {
  return s === 'info' ? 'note' : s;
}

function artifactUri(file: string): string {
  if (file === '-') return 'stdin';
  // SARIF wants URI references: forward slashes, spaces and other unsafe characters escaped.
  return file.replace(/\\/g, '/').split('/').map((seg) => encodeURIComponent(seg)).join('/');
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
              name: r.name,
              shortDescription: { text: r.shortDescription },
              ...(r.help ? { help: { text: r.help } } : {}),
              ...(r.helpUri ? { helpUri: r.helpUri } : {}),
              defaultConfiguration: { level: sarifLevel(r.severity) },
            })),
          },
        },
        results: results.map((r) => {
          const ruleIndex = index.get(r.ruleId);
          return {
            ruleId: r.ruleId,
            ...(ruleIndex !== undefined ? { ruleIndex } : {}),
            level: sarifLevel(r.level),
            message: { text: r.message },
            ...(r.file !== undefined
              ? {
                  locations: [
                    {
                      physicalLocation: {
                        artifactLocation: { uri: artifactUri(r.file) },
                        ...(r.line !== undefined && r.line >= 1 ? { region: { startLine: r.line } } : {}),
                      },
                    },
                  ],
                }
              : {}),
          };
        }),
      },
    ],
  };
}
