import { execFile } from 'node:child_process';

export interface VideoInfo {
  width: number | null;
  height: number | null;
  duration: number | null;
  fps: number | null;
}

export class FfprobeMissing extends Error {}

/**
 * Reads a video's size, duration and frame rate with ffprobe. Rejects with FfprobeMissing
 * when ffprobe cannot be run, and with the tool's first line of error for a bad file.
 */
export function probeVideo(ffprobe: string, file: string): Promise<VideoInfo> {
  const args = [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    '-select_streams',
    'v:0',
    file,
  ];
  return new Promise((resolve, reject) => {
    execFile(ffprobe, args, { maxBuffer: 4 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(new FfprobeMissing(ffprobe));
      if (error) return reject(new Error(firstLine(stderr) || error.message));
      try {
        const info = JSON.parse(stdout) as {
          streams?: {
            width?: number;
            height?: number;
            avg_frame_rate?: string;
            r_frame_rate?: string;
            duration?: string;
          }[];
          format?: { duration?: string };
        };
        const stream = info.streams?.[0];
        if (!stream) return reject(new Error('no video stream'));
        resolve({
          width: stream.width ?? null,
          height: stream.height ?? null,
          duration: numberOrNull(info.format?.duration ?? stream.duration),
          fps: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate),
        });
      } catch (parseError) {
        reject(parseError as Error);
      }
    });
  });
}

function rate(fraction: string | undefined): number | null {
  if (!fraction) return null;
  const [num, den] = fraction.split('/').map(Number);
  if (!num || !den) return null;
  return num / den;
}

function numberOrNull(text: string | undefined): number | null {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) ? value : null;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
