/** The nodes of the Winnow tree: what each stands for, without the VS Code items that show them. */
export type TreeNode =
  | { kind: 'dataset'; dataset: string; samples: number; tags: number }
  | { kind: 'group'; dataset: string; group: 'tags' | 'runs' | 'models'; count?: number }
  | { kind: 'tag'; dataset: string; name: string; size: number }
  | { kind: 'run'; dataset: string; id: string; runKind: string; status: string; started: string }
  | { kind: 'model'; dataset: string; name: string; dim: number }
  | { kind: 'message'; text: string; error?: boolean };

export type DatasetNode = Extract<TreeNode, { kind: 'dataset' }>;
export type TagNode = Extract<TreeNode, { kind: 'tag' }>;

/** "1 sample", "128 samples": counts as the tree shows them. */
export function counted(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
