/** What the user is told while typing the tag's name: a blank one will not do (an error). */
export function tagNameProblem(name: string): string | undefined {
  return name.trim() ? undefined : 'name the tag the selected samples go into';
}

/**
 * What the user is told of a name the dataset already has (information, not an error): a
 * selection into an existing tag writes its next version, its earlier picks kept in its history.
 */
export function existingTagNote(
  name: string,
  taken: ReadonlySet<string>,
  dataset: string,
): string | undefined {
  return taken.has(name)
    ? `tag '${name}' of '${dataset}' exists: the selection becomes its next version`
    : undefined;
}
