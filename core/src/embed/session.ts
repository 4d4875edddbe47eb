import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InputError, WinnowError } from '../errors.js';

export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];
export type ResolvedDevice = Exclude<Device, 'auto'>;

export interface OpenedSession {
  session: ort.InferenceSession;
  device: ResolvedDevice;
  /** With `auto`, why the faster devices were passed over (one line), when they were. */
  fallback?: string;
}

/**
 * An ONNX Runtime session on the device asked for. `auto` takes CUDA, then WebGPU, then the
 * CPU, each only when its libraries are there; an explicit device that cannot start is an
 * error that says what is missing.
 */
export async function openSession(
  path: string,
  model: string,
  device: Device,
  /** ONNX Runtime's threads on the CPU (its intra-op pool); all cores when not given. */
  cpuThreads?: number,
): Promise<OpenedSession> {
  const candidates: ResolvedDevice[] = device === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [device];
  const passedOver: string[] = [];
  for (const candidate of candidates) {
    const missing = missingLibrary(candidate);
    try {
      if (missing) throw new Error(missing);
      const session = await ort.InferenceSession.create(path, sessionOptions(candidate, cpuThreads));
      const fallback = passedOver.length
        ? `using the CPU (${passedOver.join('; ')}; see docs/embedding.md#devices)`
        : undefined;
      return { session, device: candidate, fallback };
    } catch (error) {
      const reason = missing ?? whyUnavailable(candidate, error as Error);
      if (candidate === 'cpu' || device !== 'auto') {
        throw new WinnowError(
          'invalid_input',
          `model '${model}' on ${candidate}: ${reason}${candidate === 'cpu' ? '' : '; see docs/embedding.md#devices'}`,
        );
      }
      passedOver.push(`${candidate}: ${reason}`);
    }
  }
  throw new Error('unreachable: the CPU is always a candidate');
}

/**
 * Checks that the session has the inputs and outputs a config names (an undefined name is not
 * asked for); otherwise releases it and says which name is wrong and what there is.
 */
export async function requireNames(
  session: ort.InferenceSession,
  model: string,
  wanted: { inputs: (string | undefined)[]; outputs: (string | undefined)[] },
): Promise<void> {
  for (const [kind, names, have] of [
    ['input', wanted.inputs, session.inputNames],
    ['output', wanted.outputs, session.outputNames],
  ] as const) {
    const missing = names.find((name) => name !== undefined && !have.includes(name));
    if (missing !== undefined) {
      await session.release();
      throw new InputError(
        model,
        kind,
        `'${missing}' is not one of the model's ${kind}s: ${have.join(', ')}`,
      );
    }
  }
}

function sessionOptions(device: ResolvedDevice, cpuThreads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [device],
    ...(cpuThreads ? { intraOpNumThreads: cpuThreads } : {}),
    graphOptimizationLevel: 'all',
    // Failures are reported as errors; ORT's own log would repeat them on stderr.
    logSeverityLevel: 4,
    // Spinning inference threads would take the cores the decoders share with them.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/** A library the device's provider loads, when it is certainly absent (checked before ORT tries). */
function missingLibrary(device: ResolvedDevice): string | undefined {
  if (device === 'cuda') {
    const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
    const providers = join(binding, '..', 'bin', 'napi-v6', process.platform, process.arch);
    const library = 'libonnxruntime_providers_cuda.so';
    if (process.platform === 'linux' && !existsSync(join(providers, library))) {
      return `no ${library} beside onnxruntime-node (${providers})`;
    }
  }
  if (device === 'webgpu' && process.platform === 'linux') {
    if (!anyFileIn(libraryDirs(), 'libvulkan.so.1')) {
      return 'no Vulkan loader (libvulkan.so.1; Debian: apt-get install libvulkan1)';
    }
    if (!hasVulkanDriver())
      return 'no Vulkan driver (no ICD file in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d)';
  }
  return undefined;
}

function libraryDirs(): string[] {
  const extra = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [...extra, '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
}

function anyFileIn(dirs: string[], name: string): boolean {
  return dirs.some((dir) => existsSync(join(dir, name)));
}

/** A GPU driver registers its Vulkan ICD with a JSON file; without one Dawn finds no adapter. */
function hasVulkanDriver(): boolean {
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return true;
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json')));
}

function whyUnavailable(device: ResolvedDevice, error: Error): string {
  const message = error.message.split('\n')[0] ?? '';
  if (device === 'cuda' && /load shared library|libonnxruntime_providers/i.test(message)) {
    return `the CUDA provider libraries cannot be loaded (${message})`;
  }
  if (device === 'webgpu' && /adapter/i.test(message)) {
    return 'no WebGPU adapter (a GPU driver with Vulkan is needed)';
  }
  return message;
}
