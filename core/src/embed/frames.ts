import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WinnowError } from '../errors.js';

/** Which frames of a video become samples. */
export type FrameSampling =
  /** One every `every` seconds from the start. */
  | { every: number }
  /** `count` frames spread evenly over the video. */
  | { count: number }
  /** The first frame and each frame whose scene-change score (0–1) exceeds `scene`. */
  | { scene: number };

export interface ExtractedFrame {
  /** Seconds from the start of the video. */
  time: number;
  file: string;
}

/**
 * The sampled frames as JPEG files in `dir` (emptied first), with their times as ffmpeg's
 * showinfo filter reports them. Uses the system's ffmpeg (and ffprobe for `count`).
 */
export async function extractFrames(
  video: string,
  dir: string,
  sampling: FrameSampling,
): Promise<ExtractedFrame[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const filter = await frameFilter(video, sampling);
  const { stderr } = await tool('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-loglevel', 'info', '-i', video],
    ...['-vf', `${filter},showinfo`, '-fps_mode', 'vfr', '-q:v', '3', join(dir, '%06d.jpg')],
  ]);
  const times = [...stderr.matchAll(/Parsed_showinfo.*?pts_time:\s*(-?[\d.]+)/g)].map((m) => Number(m[1]));
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
  const taken = files.map((f, i) => ({
    time: Math.round((times[i] ?? 0) * 1000) / 1000,
    file: join(dir, f),
  }));
  return 'count' in sampling ? taken.slice(0, sampling.count) : taken;
}

async function frameFilter(video: string, sampling: FrameSampling): Promise<string> {
  if ('every' in sampling) return `fps=1/${sampling.every}`;
  if ('scene' in sampling) return `select='eq(n\\,0)+gt(scene\\,${sampling.scene})'`;
  const { stdout } = await tool('ffprobe', [
    ...['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', video],
  ]);
  const duration = Number(stdout.trim());
  if (!(duration > 0)) throw new Error(`ffprobe gives no duration for ${video}`);
  return `fps=${sampling.count}/${duration}`;
}

function tool(name: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(name, args, { timeout: 600_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        return reject(
          new WinnowError(
            'invalid_input',
            `videos need ${name}: install ffmpeg (for example apt-get install ffmpeg)`,
          ),
        );
      }
      if (error) return reject(new Error(lastLine(stderr) || error.message));
      resolve({ stdout, stderr });
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
