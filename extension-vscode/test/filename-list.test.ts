// Insert Selected Filenames writes lists that the file's language reads back as exactly the
// selected paths: checked by parsing them with Python itself and with a YAML parser.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formOfDocument, pathLiteral, pythonList, yamlList } from '../src/insert/filename-list.js';

const PYTHON = join(import.meta.dirname, '..', '..', '.venv', 'bin', 'python');

/** Paths that a naive list would break: quotes, backslashes, a newline, a tab, unicode, YAML's specials. */
const AWKWARD = [
  '/data/coco/000000000009.jpg',
  '/data/it\'s "quoted".png',
  'C:\\images\\cat.jpg',
  '/data/line\nbreak.jpg',
  '/data/tab\there.jpg',
  '/data/ünïcødé/猫.jpg',
  '- dash: colon # hash',
  'yes',
  '1.5',
  '',
];

/** Evaluates a Python expression with the real interpreter and returns its value as JSON. */
function pythonValue(expression: string): unknown {
  const code = 'import ast, json, sys; print(json.dumps(ast.literal_eval(sys.stdin.read())))';
  return JSON.parse(execFileSync(PYTHON, ['-c', code], { input: expression, encoding: 'utf8' }));
}

describe('the inserted filenames', () => {
  it('a Python list: one quoted path a line, read back by Python as exactly the paths', () => {
    const text = pythonList(AWKWARD, '    ');
    expect(text.split('\n')).toHaveLength(AWKWARD.length + 2);
    expect(text.split('\n').at(-1)).toBe('    ]');
    expect(pythonValue(text)).toEqual(AWKWARD);
  });

  it('a YAML list, read back by a YAML parser as exactly the paths, also when indented under a key', () => {
    expect(parse(yamlList(AWKWARD))).toEqual(AWKWARD);
    const underKey = `train:\n  files:\n    ${yamlList(AWKWARD, '    ')}\n`;
    expect(parse(underKey)).toEqual({ train: { files: AWKWARD } });
  });

  it("a file list's path as the language writes a string", () => {
    const path = "/work/it's here/sel.txt";
    expect(pythonValue(pathLiteral(path, 'python'))).toBe(path);
    expect(parse(`file: ${pathLiteral(path, 'yaml')}`)).toEqual({ file: path });
    expect(pathLiteral(path, undefined)).toBe(path);
  });

  it('the form follows the language or the extension, and is asked for otherwise', () => {
    expect(formOfDocument('python', '/w/train.py')).toBe('python');
    expect(formOfDocument('plaintext', '/w/train.py')).toBe('python');
    expect(formOfDocument('yaml', '/w/config')).toBe('yaml');
    expect(formOfDocument('plaintext', '/w/data.yml')).toBe('yaml');
    expect(formOfDocument('markdown', '/w/README.md')).toBeUndefined();
    expect(formOfDocument('jsonc', '/w/settings.json')).toBeUndefined();
  });
});
