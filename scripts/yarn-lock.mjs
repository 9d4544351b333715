// yarn.lock is derived from package-lock.json, never resolved on its own: bench installs an
// app's Node packages with yarn 1 (`yarn install --check-files`), which reads neither
// package-lock.json nor npm's `overrides`, so left alone it picks newer versions than the ones
// the tests ran with. package-lock.json (npm, what `npm test` installs) is the one source of
// truth; this writes the yarn.lock and the `resolutions` (a copy of `overrides`) that make yarn
// install exactly its versions.
//
//   node scripts/yarn-lock.mjs          rewrite yarn.lock and package.json "resolutions"
//   node scripts/yarn-lock.mjs --check  exit 1 if either is not what package-lock.json gives
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export class LockfileConversionError extends Error {}

const WORKSPACE_DEV = Symbol('workspace');

/** Where Node's resolution finds `name` from the package installed at `path` in the npm tree. */
function resolveInTree(packages, path, name) {
  let from = path;
  for (;;) {
    const candidate = `${from ? `${from}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!from) return null;
    const nested = from.lastIndexOf('/node_modules/');
    from = nested >= 0 ? from.slice(0, nested) : '';
  }
}

/** Relative to whatever registry yarn is configured with, so the file names no host. */
function registryTarballPath(name, version) {
  const base = name.startsWith('@') ? name.split('/')[1] : name;
  return `${name}/-/${base}-${version}.tgz`;
}

function dependencyLists(node, isWorkspace) {
  const lists = [node.dependencies, node.optionalDependencies];
  if (isWorkspace) lists.push(node.devDependencies);
  return lists.filter(Boolean);
}

/**
 * yarn.lock entries keyed by every `name@range` the npm tree asks for, each with the version npm
 * installed for it. yarn 1 can hold one version per `name@range`; if npm installed two for the
 * same range this throws rather than write a lockfile that installs something else.
 * @param {{packages: Record<string, any>}} npmLock parsed package-lock.json (lockfileVersion 2 or 3)
 * @param {Record<string, string>} resolutions the root package.json "resolutions"
 * @returns {Map<string, {path: string, node: any}>} `name@range` → the installed package
 */
export function lockedPatterns(npmLock, resolutions = {}) {
  const packages = npmLock.packages;
  if (!packages) throw new LockfileConversionError('package-lock.json has no "packages" (lockfileVersion 2 or 3 needed)');
  const workspaces = new Set(Object.values(packages).filter((n) => n.link).map((n) => n.resolved));
  const patterns = new Map();
  const add = (pattern, target) => {
    const seen = patterns.get(pattern);
    if (seen && packages[seen.path].version !== packages[target].version) {
      throw new LockfileConversionError(
        `npm installed two versions for ${pattern} (${packages[seen.path].version}, ${packages[target].version}): yarn 1 cannot lock both`,
      );
    }
    if (!seen) patterns.set(pattern, { path: target, node: packages[target] });
  };
  for (const [path, node] of Object.entries(packages)) {
    if (node.link) continue;
    const isWorkspace = path === '' || workspaces.has(path);
    for (const deps of dependencyLists(node, isWorkspace)) {
      for (const [name, range] of Object.entries(deps)) {
        const target = resolveInTree(packages, path, name);
        if (!target) {
          if (node.optionalDependencies?.[name]) continue; // another platform's binary
          throw new LockfileConversionError(`${path || 'root'} needs ${name}@${range}, which package-lock.json does not hold`);
        }
        if (packages[target].link) continue; // a workspace: yarn links it, never locks it
        add(`${name}@${range}`, target);
      }
    }
  }
  // yarn looks a resolution up under its own pattern (`vite@8.3.8`), so that one is locked too.
  for (const [name, version] of Object.entries(resolutions)) {
    const target = resolveInTree(packages, '', name);
    if (!target) throw new LockfileConversionError(`resolution ${name}@${version}: package-lock.json does not hold ${name}`);
    if (packages[target].version !== version) {
      throw new LockfileConversionError(`resolution ${name}@${version}, but npm installed ${packages[target].version}`);
    }
    add(`${name}@${version}`, target);
  }
  return patterns;
}

// yarn 1's own serialisation (lockfile/stringify.js), so `yarn install` never rewrites the file
// and a bench's app folder stays clean for `bench update`.
function needsQuotes(s) {
  return s.startsWith('true') || s.startsWith('false') || /[:\s\n\\",[\]]/.test(s) || /^[0-9]/.test(s) || !/^[a-zA-Z]/.test(s);
}
const quote = (s) => (needsQuotes(s) ? JSON.stringify(s) : s);
const byCodeUnit = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function dependencyBlock(title, deps) {
  const names = Object.keys(deps ?? {}).sort(byCodeUnit);
  if (names.length === 0) return [];
  return [`  ${title}:`, ...names.map((n) => `    ${quote(n)} ${quote(deps[n])}`)];
}

/** The yarn.lock text for package-lock.json. */
export function yarnLockFromNpmLock(npmLock, resolutions = {}) {
  const byPath = new Map();
  for (const [pattern, { path, node }] of lockedPatterns(npmLock, resolutions)) {
    if (!byPath.has(path)) byPath.set(path, { node, name: path.slice(path.lastIndexOf('node_modules/') + 13), patterns: [] });
    byPath.get(path).patterns.push(pattern);
  }
  // Two tree positions with the same name and version are one yarn entry.
  const entries = new Map();
  for (const { node, name, patterns } of byPath.values()) {
    const id = `${name}@${node.version}`;
    if (!node.integrity) throw new LockfileConversionError(`${id} has no integrity in package-lock.json`);
    const entry = entries.get(id) ?? { node, name, patterns: new Set() };
    patterns.forEach((p) => entry.patterns.add(p));
    entries.set(id, entry);
  }
  const blocks = [...entries.values()].map(({ node, name, patterns }) => {
    const keys = [...patterns].sort(byCodeUnit);
    return {
      sortKey: keys[0],
      lines: [
        `${keys.map(quote).join(', ')}:`,
        `  version ${quote(node.version)}`,
        `  resolved ${quote(registryTarballPath(name, node.version))}`,
        `  integrity ${quote(node.integrity)}`,
        ...dependencyBlock('dependencies', node.dependencies),
        ...dependencyBlock('optionalDependencies', node.optionalDependencies),
      ],
    };
  });
  blocks.sort((a, b) => byCodeUnit(a.sortKey, b.sortKey));
  const header = '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n';
  return header + blocks.map((b) => b.lines.join('\n')).join('\n\n') + '\n';
}

/** package.json with "resolutions" equal to "overrides" (flat `name: version` only, as yarn 1 reads them). */
export function withResolutions(manifest) {
  const overrides = manifest.overrides ?? {};
  for (const [name, value] of Object.entries(overrides)) {
    if (typeof value !== 'string') {
      throw new LockfileConversionError(`override ${name} is nested: yarn 1 resolutions cannot express it, keep overrides flat`);
    }
  }
  return { ...manifest, resolutions: { ...overrides } };
}

/** What yarn.lock and package.json must contain, from the files in `root`. */
export function expectedFiles(root) {
  const manifestText = readFileSync(join(root, 'package.json'), 'utf8');
  const manifest = withResolutions(JSON.parse(manifestText));
  const npmLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  return {
    'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'yarn.lock': yarnLockFromNpmLock(npmLock, manifest.resolutions),
  };
}

/** Names of the files in `root` that differ from what package-lock.json gives. */
export function staleFiles(root) {
  const current = (f) => {
    try {
      return readFileSync(join(root, f), 'utf8');
    } catch {
      return null;
    }
  };
  return Object.entries(expectedFiles(root))
    .filter(([file, text]) => current(file) !== text)
    .map(([file]) => file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  if (process.argv.includes('--check')) {
    const stale = staleFiles(root);
    if (stale.length) {
      console.error(`${stale.join(' and ')} out of date with package-lock.json: run \`npm run lock:yarn\``);
      process.exit(1);
    }
  } else {
    for (const [file, text] of Object.entries(expectedFiles(root))) writeFileSync(join(root, file), text);
  }
}
