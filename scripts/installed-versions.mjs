// Compares what a package manager actually put in node_modules with package-lock.json: the
// proof that a yarn install (bench's) has exactly the versions npm's lockfile tests.
//
//   node scripts/installed-versions.mjs DIR   exit 1 if DIR's node_modules differ from DIR/package-lock.json
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `name@version` of every package installed under the root's and the workspaces' node_modules. */
export function installedPackages(root, workspaces) {
  const found = new Set();
  const visit = (modulesDir) => {
    if (!existsSync(modulesDir)) return;
    for (const entry of readdirSync(modulesDir)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@')
        ? readdirSync(join(modulesDir, entry)).map((scoped) => [`${entry}/${scoped}`, join(modulesDir, entry, scoped)])
        : [[entry, join(modulesDir, entry)]];
      for (const [name, dir] of dirs) {
        if (lstatSync(dir).isSymbolicLink()) continue; // a workspace link
        const manifest = join(dir, 'package.json');
        if (!existsSync(manifest)) continue;
        found.add(`${name}@${JSON.parse(readFileSync(manifest, 'utf8')).version}`);
        visit(join(dir, 'node_modules'));
      }
    }
  };
  for (const ws of ['', ...workspaces]) visit(join(root, ws, 'node_modules'));
  return found;
}

/** `name@version` of every package package-lock.json installs, and of those only some platforms get. */
export function lockedPackages(npmLock) {
  const all = new Set();
  const optional = new Set();
  for (const [path, node] of Object.entries(npmLock.packages)) {
    if (!path.includes('node_modules/') || node.link) continue;
    const id = `${path.slice(path.lastIndexOf('node_modules/') + 13)}@${node.version}`;
    all.add(id);
    if (node.optional) optional.add(id);
  }
  return { all, optional };
}

/** What differs: versions installed that npm did not lock, and locked packages not installed. */
export function compareInstall(root) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const locked = lockedPackages(JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')));
  const installed = installedPackages(root, manifest.workspaces ?? []);
  return {
    notLocked: [...installed].filter((id) => !locked.all.has(id)).sort(),
    missing: [...locked.all].filter((id) => !installed.has(id) && !locked.optional.has(id)).sort(),
    installed: installed.size,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? '.';
  const { notLocked, missing, installed } = compareInstall(root);
  for (const id of notLocked) console.error(`installed but not in package-lock.json: ${id}`);
  for (const id of missing) console.error(`in package-lock.json but not installed: ${id}`);
  if (notLocked.length || missing.length) process.exit(1);
  console.log(`${installed} packages installed, each at the version package-lock.json holds`);
}
