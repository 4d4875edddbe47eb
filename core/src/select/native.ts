import * as native from '@winnow/native';

/**
 * The native core's selection calls, as core uses them. Until the engine lands in native/, this
 * declares the shape the Rust bindings export.
 */
export type NativeStrategy =
  | { type: 'weights'; values: Float32Array; strength?: number }
  | {
      type: 'diversity';
      embeddings: Float32Array;
      dim: number;
      strength?: number;
      minDistance?: number;
      normalize?: boolean;
    }
  | { type: 'balance'; classes: Float32Array; numClasses: number; target: Float32Array; strength?: number };

export interface NativeProgressOptions {
  onProgress?: (done: number, total: number) => void;
}

interface NativeCore {
  selectSamples(
    n: number,
    count: number,
    strategies: NativeStrategy[],
    options?: { preselected?: Uint32Array } & NativeProgressOptions,
    signal?: AbortSignal,
  ): Promise<{ indices: Uint32Array; stoppedBy: 'count' | 'minDistance' | 'exhausted' }>;
  similarityWeights(
    embeddings: Float32Array,
    queries: Float32Array,
    dim: number,
    options?: { normalize?: boolean },
    signal?: AbortSignal,
  ): Promise<Float32Array>;
  pacmap(
    embeddings: Float32Array,
    dim: number,
    options?: { seed?: number } & NativeProgressOptions,
    signal?: AbortSignal,
  ): Promise<Float32Array>;
  duplicateGroups(
    embeddings: Float32Array,
    dim: number,
    threshold: number,
    options?: { metric?: 'euclidean' | 'cosine' } & NativeProgressOptions,
    signal?: AbortSignal,
  ): Promise<{ groupOf: Int32Array; representatives: Uint32Array }>;
  typicality(
    embeddings: Float32Array,
    dim: number,
    options?: { k?: number; definition?: 'lightly' | 'typiclust' } & NativeProgressOptions,
    signal?: AbortSignal,
  ): Promise<Float32Array>;
}

export const nativeCore = native as unknown as NativeCore;
