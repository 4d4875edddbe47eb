import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** A program and the arguments that come before Winnow's own. */
export interface CommandLine {
  program: string;
  args: string[];
}

/**
 * How to run `winnow`, from the `winnow.command` setting: a program on the PATH (`winnow`, the
 * default) or a path. A `.js` file (core/bin/winnow.js of a checkout, or a link to it) is run with
 * `node` from the PATH, not with the extension host's own runtime: in VS Code that is Electron,
 * which would need ELECTRON_RUN_AS_NODE, and code-server's Node is its own, not the user's.
 */
export function winnowCommand(setting: string, path = process.env.PATH ?? ''): CommandLine {
  const program = setting.trim() || 'winnow';
  if (!isNodeScript(program)) return { program, args: [] };
  const node = onPath('node', path);
  if (!node) {
    throw new Error(`winnow.command: ${program} is a .js file, and no \`node\` is on the PATH to run it`);
  }
  return { program: node, args: [program] };
}

function isNodeScript(program: string): boolean {
  if (!isAbsolute(program)) return program.endsWith('.js');
  try {
    return realpathSync(program).endsWith('.js');
  } catch {
    return program.endsWith('.js');
  }
}

/** The first executable named `name` in the PATH's folders, as a shell would find it. */
export function onPath(name: string, path: string): string | undefined {
  for (const folder of path.split(delimiter).filter(Boolean)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
