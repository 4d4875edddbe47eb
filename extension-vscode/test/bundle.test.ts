// The extension's features bundle (esbuild, as the .vsix carries them) from core's sources without
// its engine: a selection config and a hover need the schema and the client, never DuckDB, sharp,
// ONNX Runtime or the native core, none of which an extension host can load from a .vsix.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ENGINE = /@duckdb|sharp|onnxruntime|apache-arrow|@aws-sdk|@azure|@google-cloud|native\/|\.node$/;

describe("the extension's features", () => {
  it('bundle for the extension host with nothing of the engine in them', async () => {
    const result = await build({
      entryPoints: ['extension-vscode/src/configs/index.ts', 'extension-vscode/src/hover/index.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['vscode'],
      write: false,
      metafile: true,
      outdir: 'unused',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('core/src/select/config.ts');
    expect(inputs.filter((input) => ENGINE.test(input))).toEqual([]);
  });
});
