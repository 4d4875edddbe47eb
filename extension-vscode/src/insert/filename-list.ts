import { stringify } from 'yaml';

/** How the selected filenames go into a file: a Python list, a YAML list, or the path of a file list. */
export type ListForm = 'python' | 'yaml' | 'file-list';

/** The form a file's language asks for, or undefined when it is not obvious (then the user is asked). */
export function formOfDocument(languageId: string, fileName: string): ListForm | undefined {
  if (languageId === 'python' || /\.pyi?$/i.test(fileName)) return 'python';
  if (languageId === 'yaml' || /\.ya?ml$/i.test(fileName)) return 'yaml';
  return undefined;
}

/**
 * The paths as a Python list, one per line, indented under `indent` (the cursor line's). Each is a
 * JSON string, which is a valid Python string literal of the same text: JSON's escapes (`\"`,
 * `\\`, `\n`, `\t`, `\uXXXX`…) all mean the same in Python, and it escapes every control character.
 */
export function pythonList(paths: readonly string[], indent = ''): string {
  if (paths.length === 0) return '[]';
  const lines = paths.map((path) => `${indent}    ${JSON.stringify(path)},`);
  return ['[', ...lines, `${indent}]`].join('\n');
}

/**
 * The paths as a YAML block list (`- path`), quoted by the YAML library wherever a plain scalar
 * would read back as something else (`yes`, `1.5`, a leading `-`, a `: `…), indented by `indent`.
 */
export function yamlList(paths: readonly string[], indent = ''): string {
  if (paths.length === 0) return '[]';
  const text = stringify([...paths], { lineWidth: 0 }).trimEnd();
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? line : indent + line))
    .join('\n');
}

/** The path of an exported file list as the file's language writes a string: quoted in Python and YAML. */
export function pathLiteral(path: string, form: ListForm | undefined): string {
  if (form === 'python') return JSON.stringify(path);
  if (form === 'yaml') return stringify(path, { lineWidth: 0 }).trimEnd();
  return path;
}

/** The file list's content: one path a line, as `winnow export --format filenames` writes it. */
export function fileListText(paths: readonly string[]): string {
  return paths.map((path) => `${path}\n`).join('');
}
