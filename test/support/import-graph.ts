/**
 * The transitive import graph of some entry points, as esbuild resolves it (a metafile), and the
 * import chains that reach something forbidden. Type-only imports are erased, as in the bundles.
 */
import * as esbuild from 'esbuild';

/** Options of {@link forbiddenImports}. */
export interface ImportCheck {
  /** Files to start from, relative to the repository root. */
  entryPoints: string[];
  /** True for an import (a package name or a repository path) that must not be reached. */
  forbidden: (path: string) => boolean;
  /** Extra `import` statements appended to files as they load (to prove the check is live). */
  inject?: Record<string, string[]>;
}

/** Every chain `entry → … → forbidden import`, one per forbidden import reached. */
export async function forbiddenImports(check: ImportCheck): Promise<string[][]> {
  const result = await esbuild.build({
    entryPoints: check.entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    outdir: 'out',
    logLevel: 'silent',
    plugins: [injectImports(check.inject ?? {})],
  });
  const inputs = result.metafile.inputs;
  const chains: string[][] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of inputs[file]?.imports ?? []) {
      const next = [...chain, imported.path];
      if (check.forbidden(imported.path)) chains.push(next);
      else if (!imported.external) walk(imported.path, next);
    }
  };
  for (const entry of check.entryPoints) walk(entry, [entry]);
  return chains;
}

function injectImports(inject: Record<string, string[]>): esbuild.Plugin {
  return {
    name: 'inject-imports',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        const relative = args.path.slice(process.cwd().length + 1);
        const extra = inject[relative];
        if (!extra) return undefined;
        const { readFile } = await import('node:fs/promises');
        const source = await readFile(args.path, 'utf8');
        return {
          contents: `${source}\n${extra.map((path) => `import '${path}';`).join('\n')}\n`,
          loader: 'ts',
        };
      });
    },
  };
}
