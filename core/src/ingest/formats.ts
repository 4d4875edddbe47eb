/** The file kinds Winnow indexes, by lower-cased extension. */
export const IMAGE_EXTENSIONS: Record<string, ContentFormat> = {
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  bmp: 'bmp',
  gif: 'gif',
  tif: 'tiff',
  tiff: 'tiff',
};

export const VIDEO_EXTENSIONS: Record<string, ContentFormat> = {
  mp4: 'mp4',
  mov: 'mov',
  avi: 'avi',
};

export type ContentFormat = 'png' | 'jpeg' | 'bmp' | 'gif' | 'tiff' | 'mp4' | 'mov' | 'avi';

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? path.slice(dot + 1).toLowerCase() : '';
}

/** The format a file claims by its name, or undefined when Winnow does not index it. */
export function formatByName(path: string): { format: ContentFormat; kind: 'image' | 'video' } | undefined {
  const ext = extensionOf(path);
  const image = IMAGE_EXTENSIONS[ext];
  if (image) return { format: image, kind: 'image' };
  const video = VIDEO_EXTENSIONS[ext];
  if (video) return { format: video, kind: 'video' };
  return undefined;
}
