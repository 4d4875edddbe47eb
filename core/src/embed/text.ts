import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { InputError, WinnowError } from '../errors.js';
import { DEFAULT_MODEL, type ModelSpec, type TextConfig, verifyFile } from './model.js';
import { normalizeRows } from './normalize.js';
import { openSession, requireNames } from './session.js';

/** The text tower of a model spec, or an error that says which model has one. */
export function textTowerOf(spec: ModelSpec): { config: TextConfig; path: string; tokenizer: string } {
  const config = spec.config.text;
  if (config && spec.text) return { config, ...spec.text };
  // The default model is CLIP: it has one.
  throw new WinnowError(
    'invalid_argument',
    `model '${spec.name}' has no text tower; text search needs a CLIP-style model such as ${DEFAULT_MODEL}`,
  );
}

/**
 * Tokenizes texts (a Hugging Face tokenizer.json, read by @huggingface/tokenizers) and runs the
 * model's text tower: one row per text, L2-normalized unless the config says otherwise.
 */
export class TextEmbedder {
  private constructor(
    readonly name: string,
    readonly config: TextConfig,
    private readonly tokenizer: Tokenizer,
    private readonly padId: number,
    private readonly session: ort.InferenceSession,
    private readonly idType: 'int64' | 'int32',
    /** The mask input: the config's, else one named attention_mask when the graph has it. */
    private readonly maskInput: string | undefined,
  ) {}

  static async open(spec: ModelSpec): Promise<TextEmbedder> {
    const tower = textTowerOf(spec);
    const { config } = tower;
    const name = `${spec.name} text tower`;
    await verifyFile(name, tower.path, config);
    await verifyFile(name, tower.tokenizer, config.tokenizer);
    const { tokenizer, padId } = await loadTokenizer(tower.tokenizer);
    // One query at a time: the CPU answers it sooner than a GPU starts up.
    const { session } = await openSession(tower.path, name, 'cpu');
    await requireNames(session, name, {
      inputs: [config.input, config.attentionMask],
      outputs: [config.output],
    });
    const meta = session.inputMetadata.find((m) => m.name === config.input);
    const idType = meta?.isTensor && meta.type === 'int32' ? 'int32' : 'int64';
    const maskInput =
      config.attentionMask ?? (session.inputNames.includes('attention_mask') ? 'attention_mask' : undefined);
    return new TextEmbedder(name, config, tokenizer, padId, session, idType, maskInput);
  }

  /**
   * Token ids and attention mask of each text, `contextLength` per text (row-major): a longer
   * text is cut, keeping its last token (the end token the tokenizer's template appends); a
   * shorter one is padded.
   */
  tokenize(texts: string[]): { ids: number[]; mask: number[] } {
    const length = this.config.contextLength;
    const ids: number[] = [];
    const mask: number[] = [];
    for (const text of texts) {
      let row = this.tokenizer.encode(text).ids;
      if (row.length > length) row = [...row.slice(0, length - 1), row[row.length - 1]!];
      const pad = length - row.length;
      ids.push(...row, ...new Array<number>(pad).fill(this.padId));
      mask.push(...new Array<number>(row.length).fill(1), ...new Array<number>(pad).fill(0));
    }
    return { ids, mask };
  }

  async embedTexts(texts: string[]): Promise<{ dim: number; rows: Float32Array }> {
    const { ids, mask } = this.tokenize(texts);
    const shape = [texts.length, this.config.contextLength];
    const tensor = (values: number[]) =>
      this.idType === 'int32'
        ? new ort.Tensor('int32', Int32Array.from(values), shape)
        : new ort.Tensor('int64', BigInt64Array.from(values, BigInt), shape);
    const feeds: Record<string, ort.Tensor> = { [this.config.input]: tensor(ids) };
    if (this.maskInput) feeds[this.maskInput] = tensor(mask);
    const output = (await this.session.run(feeds))[this.config.output]!;
    const rows = Float32Array.from(output.data as Float32Array);
    const dim = rows.length / texts.length;
    if (this.config.normalize) normalizeRows(rows, dim);
    return { dim, rows };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The tokenizer (with the tokenizer_config.json beside it, when there is one), and the id it
 * pads with: the file's own padding token, else `<|endoftext|>` (as CLIP pads), else 0.
 */
async function loadTokenizer(file: string): Promise<{ tokenizer: Tokenizer; padId: number }> {
  const json = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  const extra = join(dirname(file), 'tokenizer_config.json');
  try {
    const raw = await json(file);
    const tokenizer = new Tokenizer(raw, existsSync(extra) ? await json(extra) : {});
    const own = (raw.padding as { pad_id?: number } | null | undefined)?.pad_id;
    return { tokenizer, padId: own ?? tokenizer.token_to_id('<|endoftext|>') ?? 0 };
  } catch (error) {
    throw new InputError(
      file,
      undefined,
      `not a usable tokenizer.json: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
