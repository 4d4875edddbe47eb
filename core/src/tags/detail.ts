import { parseAt } from '../store/history.js';
import type { Tags, TagVersion } from './tags.js';

/** What `winnow tag show` reports: a tag's size and history, and its files when asked or read back at a version. */
export interface TagDetail {
  name: string;
  version: number;
  size: number;
  history: TagVersion[];
  files?: string[];
}

export async function tagDetail(
  tags: Tags,
  name: string,
  options: { at?: string; files?: boolean } = {},
): Promise<TagDetail> {
  const at = parseAt(options.at);
  const history = await tags.history(name);
  const members = await tags.members(name, at);
  const shown = history.find((v) => v.version === members.version)!;
  return {
    name: shown.name,
    version: members.version,
    size: members.files.length,
    history,
    ...(options.files || at !== undefined ? { files: members.files } : {}),
  };
}
