import type { Command } from 'commander';
import type { ServerClient } from '../../client/server-client.js';
import { type TagDetail, tagDetail } from '../../tags/detail.js';
import { type SetOperation, type TagChange, type TagInfo, Tags, type TagVersion } from '../../tags/tags.js';
import { addSelectionOptions, runOperation, type SelectionOptions, selectionFrom } from '../context.js';
import type { Output } from '../output.js';
import { table } from '../output.js';

type DatasetOption = { dataset: string };

/** A tag subcommand's work on the dataset's tags here, or through the server. */
interface TagOperation<T> {
  local(tags: Tags): Promise<T>;
  remote(client: ServerClient, dataset: string): Promise<T>;
}

/** Every tag subcommand works on the tags of one dataset. */
const TAGS_DATASET = ['--dataset <name>', 'the dataset the tags belong to'] as const;

export function registerTag(program: Command): void {
  const tag = program.command('tag').description('named subsets of a dataset, with their history');
  const withTags = <T>(
    command: Command,
    operation: TagOperation<T>,
    print: (result: T, out: Output) => void,
  ) => {
    const { dataset: name } = command.opts<DatasetOption>();
    return runOperation<T>(
      command,
      {
        local: async ({ ws, dataset }) => operation.local(new Tags(ws, await dataset(name))),
        remote: ({ client }) => operation.remote(client, name),
      },
      print,
    );
  };

  tag
    .command('list')
    .description('the tags of a dataset')
    .requiredOption(...TAGS_DATASET)
    .action((_: DatasetOption, command: Command) =>
      withTags<TagInfo[]>(
        command,
        { local: (tags) => tags.list(), remote: (client, dataset) => client.tags(dataset) },
        (list, out) => out.result(list, (l) => table(l, ['name', 'size', 'version', 'created_at'])),
      ),
    );

  tag
    .command('show')
    .description("a tag's size, origin and history; --at reads an earlier version back")
    .argument('<name>', 'the tag')
    .requiredOption(...TAGS_DATASET)
    .option('--at <version|time>', 'a version number, or a time (ISO 8601): the tag as it was then')
    .option('--files', 'list the filenames')
    .action((name: string, options: DatasetOption & { at?: string; files?: boolean }, command: Command) =>
      withTags<TagDetail>(
        command,
        {
          local: (tags) => tagDetail(tags, name, options),
          remote: (client, dataset) => client.tag(dataset, name, options),
        },
        (data, out) =>
          out.result(data, (d) =>
            [
              `tag ${d.name}: ${d.size} samples at version ${d.version}`,
              table(d.history, ['version', 'operation', 'name', 'size', 'changed_at']),
              ...(d.files ?? []),
            ].join('\n'),
          ),
      ),
    );

  const changeCommand = (verb: 'create' | 'add' | 'remove', description: string) =>
    addSelectionOptions(
      tag
        .command(verb)
        .description(description)
        .argument('<name>', 'the tag')
        .requiredOption(...TAGS_DATASET),
    ).action((name: string, options: DatasetOption & SelectionOptions, command: Command) => {
      const selection = selectionFrom(options);
      return withTags<TagChange>(
        command,
        {
          local: (tags) => (verb === 'create' ? tags.create(name, selection) : tags[verb](name, selection)),
          remote: (client, dataset) =>
            verb === 'create'
              ? client.createTag(dataset, name, selection)
              : client.changeTag(dataset, name, verb, selection),
        },
        (change, out) => out.result(change, describeChange),
      );
    });
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
      .requiredOption(...TAGS_DATASET)
      .action((name: string, sources: string[], _: DatasetOption, command: Command) =>
        withTags<TagChange>(
          command,
          {
            local: (tags) => tags.combine(name, operation as SetOperation, sources),
            remote: (client, dataset) => client.combineTags(dataset, name, operation, sources),
          },
          (change, out) => out.result(change, describeChange),
        ),
      );
  }

  tag
    .command('rename')
    .description('rename a tag (its history stays with it)')
    .argument('<name>', 'the tag')
    .argument('<new-name>', 'its new name')
    .requiredOption(...TAGS_DATASET)
    .action((name: string, newName: string, _: DatasetOption, command: Command) =>
      withTags<TagInfo>(
        command,
        {
          local: (tags) => tags.rename(name, newName),
          remote: (client, dataset) => client.renameTag(dataset, name, newName),
        },
        (renamed, out) => out.result(renamed, (t) => `tag ${name} is now ${t.name}`),
      ),
    );

  tag
    .command('delete')
    .description('delete a tag (its history stays readable with tag show --at)')
    .argument('<name>', 'the tag')
    .requiredOption(...TAGS_DATASET)
    .action((name: string, _: DatasetOption, command: Command) =>
      withTags<TagVersion>(
        command,
        {
          local: (tags) => tags.delete(name),
          remote: (client, dataset) => client.deleteTag(dataset, name),
        },
        (deleted, out) => out.result(deleted, (v) => `tag ${name} deleted (version ${v.version})`),
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
