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
