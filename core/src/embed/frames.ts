import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WinnowError } from '../errors.js';

export interface ExtractedFrame {
  /** Seconds from the start of the video. */
  time: number;
  file: string;
}

/**
 * One frame every `everySeconds` from the start (ffmpeg's fps filter: at 0, N, 2N, … the input
 * frame nearest each time), as JPEG files in `dir` (emptied first). Uses the system's ffmpeg.
 */
export async function extractFrames(
  video: string,
  dir: string,
  everySeconds: number,
): Promise<ExtractedFrame[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const args = ['-v', 'error', '-nostdin', '-i', video, '-vf', `fps=1/${everySeconds}`, '-q:v', '3'];
  await new Promise<void>((resolve, reject) => {
    execFile('ffmpeg', [...args, join(dir, '%06d.jpg')], { timeout: 600_000 }, (error, _out, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        return reject(
          new WinnowError(
            'invalid_input',
            'videos need ffmpeg: install it (for example apt-get install ffmpeg)',
          ),
        );
      }
      if (error) return reject(new Error(stderr.split('\n')[0] || error.message));
      resolve();
    });
  });
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
  return files.map((f, i) => ({ time: i * everySeconds, file: join(dir, f) }));
}
