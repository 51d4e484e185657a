/**
 * Reading the configuration file, one way for `cdk synth` and the CLI, so that a file either
 * reads for both or for neither: a file (not a folder), its editor's byte-order mark dropped.
 * What the text says is {@link parseFleetText}'s to judge.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** The outcome of {@link readConfigFile}: the text, or why there is none; `where` is absolute. */
export type ConfigFileRead =
  | { readonly ok: true; readonly where: string; readonly text: string }
  | { readonly ok: false; readonly where: string; readonly problem: string };

/** Reads the configuration file at `path`. */
export function readConfigFile(path: string): ConfigFileRead {
  const where = resolve(path);
  if (!existsSync(where)) return { ok: false, where, problem: 'does not exist' };
  if (!statSync(where).isFile()) return { ok: false, where, problem: 'is not a file' };
  // An editor's byte-order mark is not part of the JSON.
  return { ok: true, where, text: readFileSync(where, 'utf8').replace(/^\uFEFF/, '') };
}
