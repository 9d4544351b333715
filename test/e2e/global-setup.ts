/**
 * Builds the SPA before the browser tests when the build is missing or older than its sources,
 * so the tests always drive what `npm run build` would ship.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')
const FRONTEND = join(ROOT, 'frontend')
const OUTPUTS = [join(ROOT, 'integrations_app/www/integrations.html'), join(ROOT, 'integrations_app/public/frontend/index.html')]
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'tailwind.config.js', 'postcss.config.js', 'package.json']

function newestMtime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))))
}

export function buildIsStale(): boolean {
  if (!OUTPUTS.every(existsSync)) return true
  const built = Math.min(...OUTPUTS.map((file) => statSync(file).mtimeMs))
  const sources = Math.max(...SOURCES.map((entry) => join(FRONTEND, entry)).filter(existsSync).map(newestMtime))
  return sources > built
}

export default function setup(): void {
  if (!buildIsStale()) return
  console.log('[e2e] building the SPA (npm run -w frontend build)…')
  execFileSync('npm', ['run', '-w', 'frontend', 'build'], { cwd: ROOT, stdio: 'inherit' })
}
