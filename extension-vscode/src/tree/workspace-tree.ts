import * as vscode from 'vscode';
import type { ServerClient } from '../../../core/src/client/server-client.js';
import type { ServerConnection } from '../server/connection.js';
import { counted, type TreeNode } from './nodes.js';

export const TREE_VIEW_ID = 'winnow.workspace';
/** The runs listed under a dataset, newest first. */
const RUNS_SHOWN = 50;

/**
 * The tree of the workspace the server serves: its datasets with their sample counts, and under
 * each its tags (with their sizes), its runs and its embedding models. Read from the server on
 * each expansion; `refresh` reads it again (after a job, a tag change, or from the title button).
 */
export class WorkspaceTree implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly connection: ServerConnection) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const shown = treeItem(node);
    // Stable ids keep what the user expanded expanded across refreshes.
    shown.id = nodeId(node);
    return shown;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    try {
      return await this.connection.withClient((client) => childrenOf(client, node));
    } catch (error) {
      return [{ kind: 'message', text: (error as Error).message, error: true }];
    }
  }
}

async function childrenOf(client: ServerClient, node: TreeNode | undefined): Promise<TreeNode[]> {
  if (!node) {
    const { datasets } = await client.info();
    return datasets.map((d) => ({ kind: 'dataset', dataset: d.name, samples: d.samples, tags: d.tags }));
  }
  if (node.kind === 'dataset') {
    const { dataset } = node;
    return [
      { kind: 'group', dataset, group: 'tags', count: node.tags },
      { kind: 'group', dataset, group: 'runs' },
      { kind: 'group', dataset, group: 'models' },
    ];
  }
  if (node.kind !== 'group') return [];
  const { dataset } = node;
  if (node.group === 'tags') {
    const tags = await client.tags(dataset);
    return tags.map((tag) => ({ kind: 'tag', dataset, name: tag.name, size: tag.size }));
  }
  if (node.group === 'runs') {
    const { rows } = await client.query({
      dataset,
      sql: `SELECT run_id, kind, status, started_at FROM runs ORDER BY started_at DESC LIMIT ${RUNS_SHOWN}`,
    });
    return rows.map((row) => ({
      kind: 'run',
      dataset,
      id: String(row.run_id),
      runKind: String(row.kind),
      status: String(row.status),
      started: String(row.started_at),
    }));
  }
  const { rows } = await client.query({
    dataset,
    sql: 'SELECT model, dim FROM embedding_models ORDER BY model',
  });
  return rows.map((row) => ({ kind: 'model', dataset, name: String(row.model), dim: Number(row.dim) }));
}

function nodeId(node: TreeNode): string {
  switch (node.kind) {
    case 'dataset':
      return `dataset/${node.dataset}`;
    case 'group':
      return `${node.group}/${node.dataset}`;
    case 'tag':
    case 'model':
      return `${node.kind}/${node.dataset}/${node.name}`;
    case 'run':
      return `run/${node.dataset}/${node.id}`;
    case 'message':
      return `message/${node.text}`;
  }
}

const { Collapsed, None } = vscode.TreeItemCollapsibleState;
const GROUP_LABELS = { tags: 'Tags', runs: 'Runs', models: 'Models' } as const;
const GROUP_ICONS = { tags: 'tag', runs: 'history', models: 'symbol-array' } as const;

function treeItem(node: TreeNode): vscode.TreeItem {
  switch (node.kind) {
    case 'dataset':
      return item(node.dataset, Collapsed, 'winnow.dataset', 'database', counted(node.samples, 'sample'));
    case 'group':
      return item(
        GROUP_LABELS[node.group],
        Collapsed,
        `winnow.${node.group}`,
        GROUP_ICONS[node.group],
        node.count === undefined ? undefined : String(node.count),
      );
    case 'tag':
      return item(node.name, None, 'winnow.tag', 'tag', counted(node.size, 'sample'));
    case 'run': {
      const shown = item(
        `${node.runKind} ${node.started.slice(0, 19).replace('T', ' ')}`,
        None,
        'winnow.run',
        'history',
        node.status,
      );
      shown.tooltip = `run ${node.id}: ${node.runKind}, ${node.status}`;
      return shown;
    }
    case 'model':
      return item(node.name, None, 'winnow.model', 'symbol-array', `${node.dim} dimensions`);
    case 'message': {
      const shown = item(node.text, None, 'winnow.message', node.error ? 'error' : 'info');
      // Most failures to reach the server are a setting to fix: a click opens Winnow's settings.
      if (node.error) {
        shown.command = {
          command: 'workbench.action.openSettings',
          title: 'Open Settings',
          arguments: ['winnow.'],
        };
      }
      return shown;
    }
  }
}

function item(
  label: string,
  state: vscode.TreeItemCollapsibleState,
  contextValue: string,
  icon: string,
  description?: string,
): vscode.TreeItem {
  const made = new vscode.TreeItem(label, state);
  made.contextValue = contextValue;
  made.iconPath = new vscode.ThemeIcon(icon);
  if (description !== undefined) made.description = description;
  made.tooltip = description === undefined ? label : `${label}: ${description}`;
  return made;
}
