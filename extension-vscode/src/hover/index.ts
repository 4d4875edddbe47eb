import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { ServerClient } from '../../../core/src/client/server-client.js';
import type { ExtensionParts } from '../parts.js';
import { locationFromSettings } from '../server/settings.js';
import { ExpiringCache } from './expiring-cache.js';
import { locationsToTry } from './locations.js';
import { pathAt } from './path-at.js';
import { type HoveredSample, sampleMarkdown } from './sample-markdown.js';

/** How long an answer is kept: the mouse moving over the same string asks again at once. */
const ANSWER_TTL_MS = 10_000;
const ANSWERS_KEPT = 200;
/** A hover not answered by then shows nothing: the server is busy or gone. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** The datasets holding the same file that one hover shows. */
const SAMPLES_SHOWN = 3;

/**
 * A hover on a sample's path in any editor: a string under the cursor that names an image or
 * video of one of the workspace's datasets shows its thumbnail, dataset, tags and labels. Only
 * strings with an image or video extension reach the server, and only where the folder has a
 * Winnow workspace (a hover never creates one); answers are kept briefly.
 */
export function registerSampleHover(context: vscode.ExtensionContext, parts: ExtensionParts): void {
  const answers = new ExpiringCache<Promise<HoveredSample[]>>(ANSWER_TTL_MS, ANSWERS_KEPT);
  const samplesAt = (location: string) => {
    let answer = answers.get(location);
    if (!answer) {
      // A failure (no server could be started, a timeout) shows nothing, and is kept as briefly as
      // an answer: hovering over paths must not start a server again at every move of the mouse.
      answer = parts.connection.withClient((client) => lookUp(client, location)).catch(() => []);
      answers.set(location, answer);
    }
    return answer;
  };
  context.subscriptions.push(
    vscode.languages.registerHoverProvider('*', {
      async provideHover(document, position, cancellation) {
        const candidate = pathAt(document.lineAt(position.line).text, position.character);
        if (!candidate || !existsSync(locationFromSettings().workspace)) return undefined;
        const folders = [
          vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath,
          document.uri.scheme === 'file' ? dirname(document.uri.fsPath) : undefined,
        ];
        for (const location of locationsToTry(candidate.text, folders)) {
          const samples = await samplesAt(location);
          if (cancellation.isCancellationRequested) return undefined;
          if (samples.length === 0) continue;
          const markdown = new vscode.MarkdownString(sampleMarkdown(samples));
          markdown.supportHtml = true;
          const range = new vscode.Range(position.line, candidate.start, position.line, candidate.end);
          return new vscode.Hover(markdown, range);
        }
        return undefined;
      },
    }),
  );
}

/** The samples at a location, with their details and thumbnails, from the server. */
async function lookUp(client: ServerClient, location: string): Promise<HoveredSample[]> {
  const signal = AbortSignal.timeout(LOOKUP_TIMEOUT_MS);
  const { matches } = await client.lookupSample(location, signal);
  return Promise.all(
    matches.slice(0, SAMPLES_SHOWN).map(async (match) => {
      const [detail, thumbnail] = await Promise.all([
        client.sample(match.dataset, match.sample_id, signal),
        // No thumbnail (a video before embed) still shows the rest.
        client.thumbnail(match.dataset, match.sample_id, signal).catch(() => undefined),
      ]);
      return { match, detail, thumbnail };
    }),
  );
}
