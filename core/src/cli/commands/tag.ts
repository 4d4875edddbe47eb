import type { Command } from 'commander';
import { parseAt } from '../../store/history.js';
import { type SetOperation, type TagChange, Tags } from '../../tags/tags.js';
import { addSelectionOptions, type SelectionOptions, selectionFrom, withWorkspace } from '../context.js';
import { table } from '../output.js';

type DatasetOption = { dataset: string };

export function registerTag(program: Command): void {
  const tag = program.command('tag').description('named subsets of a dataset, with their history');
  const withTags = (
    command: Command,
    body: (tags: Tags, out: import('../output.js').Output) => Promise<void>,
  ) =>
    withWorkspace(command, async ({ ws, out, dataset }) => {
      const { dataset: name } = command.opts<DatasetOption>();
      await body(new Tags(ws, await dataset(name)), out);
    });

  tag
    .command('list')
    .description('the tags of a dataset')
    .requiredOption('--dataset <name>')
    .action((_: DatasetOption, command: Command) =>
      withTags(command, async (tags, out) =>
        out.result(await tags.list(), (list) => table(list, ['name', 'size', 'version', 'created_at'])),
      ),
    );

  tag
    .command('show')
    .description("a tag's size, origin and history; --at reads an earlier version back")
    .argument('<name>')
    .requiredOption('--dataset <name>')
    .option('--at <version|time>', 'a version number, or a time (ISO 8601): the tag as it was then')
    .option('--files', 'list the filenames')
    .action((name: string, options: DatasetOption & { at?: string; files?: boolean }, command: Command) =>
      withTags(command, async (tags, out) => {
        const at = parseAt(options.at);
        const history = await tags.history(name);
        const members = await tags.members(name, at);
        const shown = history.find((v) => v.version === members.version)!;
        const data = {
          name: shown.name,
          version: members.version,
          size: members.files.length,
          history,
          ...(options.files || at !== undefined ? { files: members.files } : {}),
        };
        out.result(data, (d) =>
          [
            `tag ${d.name}: ${d.size} samples at version ${d.version}`,
            table(d.history, ['version', 'operation', 'name', 'size', 'changed_at']),
            ...(d.files ?? []),
          ].join('\n'),
        );
      }),
    );

  const changeCommand = (verb: 'create' | 'add' | 'remove', description: string) =>
    addSelectionOptions(
      tag.command(verb).description(description).argument('<name>').requiredOption('--dataset <name>'),
    ).action((name: string, options: DatasetOption & SelectionOptions, command: Command) =>
      withTags(command, async (tags, out) => {
        const selection = selectionFrom(options);
        const change = await (verb === 'create' ? tags.create(name, selection) : tags[verb](name, selection));
        out.result(change, describeChange);
      }),
    );
  changeCommand(
    'create',
    'a new tag from a query, a filter, a list of files, a run, another tag or all samples',
  );
  changeCommand('add', 'add samples to a tag');
  changeCommand('remove', 'remove samples from a tag');

  for (const [verb, operation] of [
    ['union', 'union'],
    ['intersect', 'intersection'],
    ['difference', 'difference'],
  ] as const) {
    tag
      .command(verb)
      .description(
        `a new tag: the ${operation} of two or more tags${verb === 'difference' ? ' (the first minus the rest)' : ''}`,
      )
      .argument('<name>', 'the new tag')
      .argument('<tags...>', 'the tags to combine')
      .requiredOption('--dataset <name>')
      .action((name: string, sources: string[], _: DatasetOption, command: Command) =>
        withTags(command, async (tags, out) =>
          out.result(await tags.combine(name, operation as SetOperation, sources), describeChange),
        ),
      );
  }

  tag
    .command('rename')
    .argument('<name>')
    .argument('<new-name>')
    .requiredOption('--dataset <name>')
    .action((name: string, newName: string, _: DatasetOption, command: Command) =>
      withTags(command, async (tags, out) =>
        out.result(await tags.rename(name, newName), (t) => `tag ${name} is now ${t.name}`),
      ),
    );

  tag
    .command('delete')
    .description('delete a tag (its history stays readable with tag show --at)')
    .argument('<name>')
    .requiredOption('--dataset <name>')
    .action((name: string, _: DatasetOption, command: Command) =>
      withTags(command, async (tags, out) =>
        out.result(await tags.delete(name), (v) => `tag ${name} deleted (version ${v.version})`),
      ),
    );
}

function describeChange(change: TagChange): string {
  const lines = [
    `tag ${change.tag.name}: ${change.tag.size} samples (version ${change.tag.version}; +${change.added} -${change.removed})`,
  ];
  if (change.unmatched_count) {
    lines.push(
      `  ${change.unmatched_count} given files are not in the dataset, e.g. ${change.unmatched.slice(0, 3).join(', ')}`,
    );
  }
  return lines.join('\n');
}
