import { basename } from 'node:path';
import { isMap, isPair, isScalar } from 'yaml';

/**
 * The file names the config's JSON Schema is contributed for (package.json's jsonValidation and
 * yamlValidation): completion needs the name, while diagnostics and the CodeLens also find a
 * config by its content.
 */
export const CONVENTIONAL_NAMES = [
  '*.selection.yaml',
  '*.selection.yml',
  '*.selection.json',
  'selection*.yaml',
  'selection*.yml',
  'selection*.json',
] as const;

/** The context key the menus offer "Run Selection" by (package.json's `when` clauses). */
export const ACTIVE_CONFIG_KEY = 'winnow.activeSelectionConfig';

const CONVENTIONAL = /(^selection.*|\.selection)\.(ya?ml|json)$/i;
const TOP_LEVEL_KEYS = ['strategies', 'selection_config'];

/** Whether a file's name is one the schema is contributed for. */
export function isConventionalName(fileName: string): boolean {
  return CONVENTIONAL.test(basename(fileName));
}

/** The languages a config is written in (an untitled one has no extension yet). */
export const CONFIG_LANGUAGES = ['yaml', 'json', 'jsonc'] as const;

/** Whether a document may be a selection config at all: YAML or JSON, by its name or its language. */
export function isConfigCandidate(fileName: string, languageId: string): boolean {
  return /\.(ya?ml|json)$/i.test(fileName) || (CONFIG_LANGUAGES as readonly string[]).includes(languageId);
}

/** Read as JSON (JSON.parse, as the CLI does by the extension) rather than YAML. */
export function isJsonName(fileName: string): boolean {
  return /\.json$/i.test(fileName);
}

/** Whether a parsed document's top level is a selection config's: it has `strategies`, or `selection_config` around one. */
export function hasSelectionKeys(contents: unknown): boolean {
  return (
    isMap(contents) &&
    contents.items.some(
      (item) => isPair(item) && isScalar(item.key) && TOP_LEVEL_KEYS.includes(String(item.key.value)),
    )
  );
}

/**
 * The tag a run of the file writes unless the user says otherwise: `diverse.selection.yaml` →
 * `diverse`. Running the file again writes the same tag's next version, as the CLI does.
 */
export function defaultTagName(fileName: string): string {
  const name = basename(fileName)
    .replace(/\.(ya?ml|json)$/i, '')
    .replace(/\.selection$/i, '');
  return name || 'selection';
}
