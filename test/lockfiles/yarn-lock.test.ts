import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockedPackages } from '../../scripts/installed-versions.mjs';
import { LockfileConversionError, staleFiles, withResolutions, yarnLockFromNpmLock } from '../../scripts/yarn-lock.mjs';

const root = join(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(join(root, f), 'utf8');

/** `name@version` of each yarn.lock entry, read without the generator. */
function yarnLockVersions(text: string): Set<string> {
  const ids = new Set<string>();
  let name: string | null = null;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line) && !line.startsWith('#')) {
      const firstKey = line.split(', ')[0]!.replace(/^"/, '');
      name = firstKey.slice(0, firstKey.indexOf('@', 1));
    } else if (name && line.startsWith('  version ')) {
      ids.add(`${name}@${JSON.parse(line.slice('  version '.length))}`);
    }
  }
  return ids;
}

describe('yarn.lock (what bench installs) against package-lock.json (what the tests install)', () => {
  it('is up to date: yarn.lock and package.json "resolutions" are what package-lock.json gives', () => {
    expect(staleFiles(root), 'run `npm run lock:yarn` after changing package-lock.json').toEqual([]);
  });

  it('locks the same set of package versions', () => {
    const npm = lockedPackages(JSON.parse(read('package-lock.json'))).all;
    const yarn = yarnLockVersions(read('yarn.lock'));
    expect([...yarn].filter((id) => !npm.has(id)), 'in yarn.lock only').toEqual([]);
    expect([...npm].filter((id) => !yarn.has(id)), 'in package-lock.json only').toEqual([]);
    expect(yarn.size).toBeGreaterThan(500);
  });

  it('pins through yarn "resolutions" every version npm "overrides" pins', () => {
    const manifest = JSON.parse(read('package.json'));
    expect(Object.keys(manifest.overrides).length).toBeGreaterThan(0);
    expect(manifest.resolutions).toEqual(manifest.overrides);
  });
});

describe('yarnLockFromNpmLock', () => {
  const pkg = (version: string, extra: object = {}) => ({ version, integrity: `sha512-${version}`, ...extra });
  const workspace = { name: 'ws', dependencies: { a: '^1.0.0', '@s/b': '2.0.0' }, devDependencies: { c: '^3.0.0' } };

  it('locks each range at the version npm installed where Node resolves it, nested ones too', () => {
    const text = yarnLockFromNpmLock({
      packages: {
        '': { name: 'root', workspaces: ['ws'], devDependencies: { c: '^3.1.0' } },
        ws: workspace,
        'node_modules/ws': { resolved: 'ws', link: true },
        'node_modules/a': pkg('1.2.0', { dependencies: { c: '^2.0.0' } }),
        'node_modules/a/node_modules/c': pkg('2.5.0'),
        'node_modules/@s/b': pkg('2.0.0', { optionalDependencies: { 'b-darwin': '2.0.0' } }),
        'node_modules/c': pkg('3.4.0'),
      },
    });
    expect(text).toContain('a@^1.0.0:\n  version "1.2.0"\n  resolved a/-/a-1.2.0.tgz\n  integrity sha512-1.2.0\n  dependencies:\n    c "^2.0.0"');
    expect(text).toContain('"@s/b@2.0.0":\n  version "2.0.0"\n  resolved "@s/b/-/b-2.0.0.tgz"');
    expect(text).toContain('  optionalDependencies:\n    b-darwin "2.0.0"');
    expect(text).toContain('c@^2.0.0:\n  version "2.5.0"');
    expect(text).toContain('c@^3.0.0, c@^3.1.0:\n  version "3.4.0"');
    expect(text).not.toMatch(/^"?ws@/m);
  });

  it('locks a resolution under its own pattern, the one yarn looks up', () => {
    const text = yarnLockFromNpmLock(
      { packages: { '': { dependencies: { a: '^1.0.0' } }, 'node_modules/a': pkg('1.0.5') } },
      { a: '1.0.5' },
    );
    expect(text).toContain('a@1.0.5, a@^1.0.0:\n  version "1.0.5"');
  });

  it('refuses a tree yarn 1 cannot reproduce: two versions for one range', () => {
    const lock = {
      packages: {
        '': { dependencies: { a: '^1.0.0', b: '1.0.0' } },
        'node_modules/a': pkg('1.2.0'),
        'node_modules/b': pkg('1.0.0', { dependencies: { a: '^1.0.0' } }),
        'node_modules/b/node_modules/a': pkg('1.1.0'),
      },
    };
    expect(() => yarnLockFromNpmLock(lock)).toThrow(LockfileConversionError);
  });

  it('refuses a resolution npm did not install', () => {
    const lock = { packages: { '': { dependencies: { a: '^1.0.0' } }, 'node_modules/a': pkg('1.2.0') } };
    expect(() => yarnLockFromNpmLock(lock, { a: '1.1.0' })).toThrow(/npm installed 1.2.0/);
  });

  it('refuses nested npm overrides, which yarn 1 resolutions cannot express', () => {
    expect(() => withResolutions({ overrides: { a: { b: '1.0.0' } } })).toThrow(LockfileConversionError);
    expect(withResolutions({ overrides: { vite: '8.3.8' } }).resolutions).toEqual({ vite: '8.3.8' });
  });
});
