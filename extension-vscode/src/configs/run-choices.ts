import type { DatasetInfo } from '../../../core/src/store/info.js';

/** A dataset as the quick pick offers it. */
export interface DatasetChoice {
  label: string;
  description: string;
}

/** The workspace's datasets to run a selection on, the one shown in the panel first. */
export function datasetChoices(
  datasets: readonly DatasetInfo[],
  current: string | undefined,
): DatasetChoice[] {
  const ordered = [...datasets].sort((a, b) => Number(b.name === current) - Number(a.name === current));
  return ordered.map((dataset) => ({
    label: dataset.name,
    description: `${dataset.samples} samples${dataset.name === current ? ' · open in the panel' : ''}`,
  }));
}

/**
 * Why a tag name will not do, while the user types it: the server checks the name's form again,
 * and refuses a tag that exists (a selection makes a new tag).
 */
export function tagNameProblem(
  name: string,
  taken: ReadonlySet<string>,
  dataset: string,
): string | undefined {
  if (!name.trim()) return 'name the tag the selected samples go into';
  if (taken.has(name)) return `tag '${name}' already exists in dataset '${dataset}'`;
  return undefined;
}
