import { parseDocument } from 'yaml';
import { selectionConfigProblems } from '../../../core/src/select/config.js';
import { jsonFailure } from '../../../core/src/util/parse-failure.js';
import { fieldRange, type TextRange } from './field-range.js';
import { hasSelectionKeys, isConventionalName, isJsonName } from './selection-file.js';

/** Longer than any selection config: a file this long is read as one only when named like one. */
const MAX_CONFIG_LENGTH = 1024 * 1024;
const MENTIONS_KEYS = /\b(strategies|selection_config)\b/;

/** A problem of a config file, at the span of text an editor marks. */
export interface ConfigProblemAt extends TextRange {
  message: string;
}

/** What an editor knows of a YAML or JSON file as a selection config. */
export interface ConfigDocument {
  /** A selection config: named like one, or with `strategies` (or `selection_config`) at its top. */
  isConfig: boolean;
  /** Its syntax errors, or else its problems as a config (core's messages, each at its field). */
  problems: ConfigProblemAt[];
  /** The parsed file, when it parses. */
  raw?: unknown;
}

/**
 * Reads a config's text as `winnow select --config` reads the file (JSON by the `.json`
 * extension, YAML otherwise) and checks it with core's schema. The `yaml` package parses both
 * and keeps where each field lies, so each problem lands on its field.
 */
export function readConfigDocument(text: string, fileName: string): ConfigDocument {
  const named = isConventionalName(fileName);
  // Every YAML and JSON file opened comes here (a 100 MB COCO file too): only a file that names
  // the keys is parsed to see whether they are at its top.
  if (!named && (text.length > MAX_CONFIG_LENGTH || !MENTIONS_KEYS.test(text))) {
    return { isConfig: false, problems: [] };
  }
  const doc = parseDocument(text, { prettyErrors: false });
  const isConfig = named || hasSelectionKeys(doc.contents);
  if (!isConfig) return { isConfig, problems: [] };
  const parsed = isJsonName(fileName) ? parseJson(text) : parseYaml(doc);
  if ('problems' in parsed) return { isConfig, problems: parsed.problems };
  const problems = selectionConfigProblems(parsed.raw).map((problem) => ({
    ...fieldRange(doc, problem.path, text),
    message: problem.message,
  }));
  return { isConfig, problems, raw: parsed.raw };
}

type Parsed = { raw: unknown } | { problems: ConfigProblemAt[] };

function parseYaml(doc: ReturnType<typeof parseDocument>): Parsed {
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((error) => ({
        start: error.pos[0],
        end: Math.max(error.pos[1], error.pos[0] + 1),
        message: `not valid YAML: ${error.message}`,
      })),
    };
  }
  try {
    return { raw: doc.toJS() };
  } catch (error) {
    // toJS refuses what would blow up in memory (too many aliases), as the CLI's parse does.
    return { problems: [{ start: 0, end: 1, message: `not valid YAML: ${(error as Error).message}` }] };
  }
}

function parseJson(text: string): Parsed {
  try {
    return { raw: JSON.parse(text) };
  } catch (error) {
    const at = Number(/position (\d+)/.exec((error as Error).message)?.[1] ?? text.length);
    return { problems: [{ start: at, end: at + 1, message: jsonFailure(error, text) }] };
  }
}
