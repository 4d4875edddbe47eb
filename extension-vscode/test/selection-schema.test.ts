// The JSON Schema VS Code completes selection configs from is core's zod schema (committed, written by
// scripts/contract-json.mjs, and checked here like extension-jupyter/winnow/contract.json), and
// package.json contributes it for the names the extension calls configs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { selectionConfigJsonSchema } from '../../core/src/select/config.js';
import { ACTIVE_CONFIG_KEY, CONVENTIONAL_NAMES, isConventionalName } from '../src/configs/selection-file.js';

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const manifest = read('../package.json');

describe("the selection config's JSON Schema", () => {
  it('schemas/selection-config.schema.json is the schema of this source tree (npm run build writes it)', () => {
    expect(read('../schemas/selection-config.schema.json')).toEqual(selectionConfigJsonSchema());
  });

  it("offers core's choices and descriptions", () => {
    const schema = read('../schemas/selection-config.schema.json');
    const config = schema.definitions.SelectionConfig.properties;
    expect(config.n_samples!.description).toBe('how many new samples to pick');
    const strategy = config.strategies!.items.properties.strategy.properties;
    expect(strategy.type.enum).toEqual([
      'DIVERSITY',
      'WEIGHTS',
      'THRESHOLD',
      'BALANCE',
      'SIMILARITY',
      'TYPICALITY',
    ]);
    expect(strategy.operation.enum).toContain('BIGGER_EQUAL');
  });

  it('is contributed for JSON and YAML under the names the extension takes for configs', () => {
    const { jsonValidation, yamlValidation } = manifest.contributes;
    const names = [...jsonValidation[0].fileMatch, ...yamlValidation[0].fileMatch].sort();
    expect(names).toEqual([...CONVENTIONAL_NAMES].sort());
    for (const entry of [...jsonValidation, ...yamlValidation]) {
      expect(entry.url).toBe('./schemas/selection-config.schema.json');
    }
  });

  it('names the files the explorer menu offers the run on, as the extension does', () => {
    const run = (menu: string) =>
      manifest.contributes.menus[menu].find(
        (entry: { command: string }) => entry.command === 'winnow.runSelection',
      );
    const when = run('explorer/context').when as string;
    const [, source, flags] = /^resourceFilename =~ \/(.*)\/(\w*)$/.exec(when)!;
    const pattern = new RegExp(source!, flags);
    for (const name of [
      'a.selection.yaml',
      'selection.json',
      'selection-hard.yml',
      'x.yaml',
      'myselection.json',
    ]) {
      expect(pattern.test(name), name).toBe(isConventionalName(name));
    }
    for (const menu of ['editor/title', 'editor/context', 'commandPalette']) {
      expect(run(menu).when).toBe(ACTIVE_CONFIG_KEY);
    }
  });
});
