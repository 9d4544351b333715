/**
 * Every string a person reads goes through `__()`. Reads each .vue template (text, the
 * attributes that show text, and string literals in `{{ }}` and bound text attributes) and the
 * scripts' user-facing literals (`label:`/`title:`/… properties, toast messages), and lists what
 * is not wrapped. Strings without a letter ('—', ' / ') and literals compared against (`=== 'Active'`)
 * are not text.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { babelParse, parse } from 'vue/compiler-sfc'
import { describe, expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '../../frontend/src')
/** Attributes and props that put their value on screen. */
const TEXT_ATTRIBUTES = new Set([
  'label',
  'title',
  'placeholder',
  'tooltip',
  'aria-label',
  'empty-title',
  'empty-text',
  'description',
  'hint',
  'alt',
  'subtitle',
])
/** Object properties in scripts whose string values end up on screen. */
const TEXT_PROPERTIES = new Set(['label', 'title', 'hint', 'subtitle', 'description', 'emptyTitle', 'emptyText', 'placeholder'])

const hasLetter = (s: string) => /\p{L}/u.test(s)

// compiler-core node types (NodeTypes), spelled out so the test does not depend on its enum export
const ELEMENT = 1
const TEXT = 2
const INTERPOLATION = 5
const ATTRIBUTE = 6
const DIRECTIVE = 7

type BabelNode = { type: string; [key: string]: unknown }

/**
 * String and template literals with letters in code that are shown and not `__()`'s message.
 * A template expression is shown as a whole; in a script, the values of text properties and
 * toast messages are. Being shown passes down through `a ? b : c`, `a || b` and the like, not
 * into the arguments of a call (`deskUrl('Integration Webhook', …)` is not text).
 */
function untranslatedLiterals(code: string, kind: 'shown expression' | 'expression' | 'module'): string[] {
  const ast =
    kind === 'module'
      ? (babelParse(code, { sourceType: 'module', plugins: ['typescript'] }) as unknown as BabelNode)
      : (babelParse(`(${code})`, { plugins: ['typescript'] }) as unknown as BabelNode)
  const found: string[] = []
  const visit = (node: BabelNode, parent: BabelNode | null, key: string, shownAbove: boolean) => {
    const shown = shownAbove || isTextPosition(parent, key)
    if (shown && !isExempt(node, parent, key)) {
      if (node.type === 'StringLiteral' && hasLetter(node.value as string)) found.push(node.value as string)
      if (node.type === 'TemplateLiteral') {
        const text = (node.quasis as BabelNode[]).map((q) => (q.value as { cooked: string }).cooked).join('${}')
        if (hasLetter(text)) found.push(text)
      }
    }
    const passDown = shown && node.type !== 'CallExpression'
    for (const [childKey, child] of Object.entries(node)) {
      if (childKey === 'loc' || childKey === 'extra') continue
      const children = Array.isArray(child) ? child : [child]
      for (const c of children) {
        if (c && typeof c === 'object' && typeof (c as BabelNode).type === 'string') visit(c as BabelNode, node, childKey, passDown)
      }
    }
  }
  visit(ast, null, '', kind === 'shown expression')
  return found
}

/** A script position whose value is shown: a text property's value, a toast message. */
function isTextPosition(parent: BabelNode | null, key: string): boolean {
  if (!parent) return false
  if (parent.type === 'ObjectProperty' && key === 'value') {
    const k = parent.key as BabelNode
    return TEXT_PROPERTIES.has((k.name ?? k.value) as string)
  }
  if (parent.type === 'CallExpression' && key === 'arguments') {
    const callee = parent.callee as BabelNode
    const object = callee.object as BabelNode | undefined
    return callee.type === 'MemberExpression' && object?.type === 'Identifier' && object.name === 'toast'
  }
  return false
}

function isExempt(node: BabelNode, parent: BabelNode | null, key: string): boolean {
  if (!parent) return false
  if (parent.type === 'CallExpression' && key === 'arguments') {
    const callee = parent.callee as BabelNode
    if (callee.type === 'Identifier' && callee.name === '__') return (parent.arguments as BabelNode[])[0] === node
  }
  if (parent.type === 'BinaryExpression' && ['===', '!==', '==', '!='].includes(parent.operator as string)) return true
  if (parent.type === 'ObjectProperty' && key === 'key') return true
  return parent.type === 'MemberExpression' && key === 'property'
}

interface TemplateNode {
  type: number
  content?: string | { content: string }
  tag?: string
  props?: { type: number; name: string; value?: { content: string }; arg?: { content: string }; exp?: { content: string } }[]
  children?: TemplateNode[]
}

function templateProblems(node: TemplateNode, out: string[]) {
  if (node.type === TEXT && typeof node.content === 'string' && hasLetter(node.content)) out.push(`text "${node.content.trim()}"`)
  if (node.type === INTERPOLATION && typeof node.content === 'object') {
    for (const literal of untranslatedLiterals(node.content.content, 'shown expression')) out.push(`{{ }} "${literal}"`)
  }
  if (node.type === ELEMENT) {
    for (const prop of node.props ?? []) {
      if (prop.type === ATTRIBUTE && TEXT_ATTRIBUTES.has(prop.name) && prop.value && hasLetter(prop.value.content)) {
        out.push(`<${node.tag} ${prop.name}="${prop.value.content}">`)
      }
      if (prop.type === DIRECTIVE && prop.name === 'bind' && prop.arg && prop.exp) {
        // a text attribute is shown whole; any other may hold text properties (`:options="{ title: … }"`)
        const kind = TEXT_ATTRIBUTES.has(prop.arg.content) ? 'shown expression' : 'expression'
        for (const literal of untranslatedLiterals(prop.exp.content, kind)) out.push(`<${node.tag} :${prop.arg.content}> "${literal}"`)
      }
    }
  }
  for (const child of node.children ?? []) templateProblems(child, out)
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'types' ? [] : sourceFiles(path)
    return /\.(vue|ts)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

/** Problems per file (relative path), for every .vue and .ts file under `dir`. */
export function untranslatedStrings(dir: string): Record<string, string[]> {
  const result: Record<string, string[]> = {}
  for (const file of sourceFiles(dir)) {
    const source = readFileSync(file, 'utf8')
    const problems: string[] = []
    if (file.endsWith('.vue')) {
      const { descriptor } = parse(source, { filename: file })
      if (descriptor.template?.ast) templateProblems(descriptor.template.ast as unknown as TemplateNode, problems)
      for (const block of [descriptor.script, descriptor.scriptSetup]) {
        if (block) for (const literal of untranslatedLiterals(block.content, 'module')) problems.push(`script "${literal}"`)
      }
    } else {
      for (const literal of untranslatedLiterals(source, 'module')) problems.push(`script "${literal}"`)
    }
    if (problems.length) result[relative(dir, file)] = problems
  }
  return result
}

describe('translations', () => {
  it('every user-visible string in the SPA goes through __()', () => {
    expect(untranslatedStrings(SRC)).toEqual({})
  })

  it('finds unwrapped strings in templates and scripts (the check can fail)', () => {
    const problems = (template: string, script = '') => {
      const { descriptor } = parse(`<template>${template}</template><script setup lang="ts">${script}</script>`)
      const out: string[] = []
      templateProblems(descriptor.template!.ast as unknown as TemplateNode, out)
      out.push(...untranslatedLiterals(descriptor.scriptSetup?.content ?? '', 'module').map((l) => `script "${l}"`))
      return out
    }
    expect(problems('<p>Deliveries</p>')).toEqual(['text "Deliveries"'])
    expect(problems('<Button label="Refresh" />')).toEqual(['<Button label="Refresh">'])
    expect(problems(`<Button :label="paused ? 'Resume' : __('Pause')" />`)).toEqual(['<Button :label> "Resume"'])
    expect(problems('<Button :label="`Open ${name}`" />')).toEqual(['<Button :label> "Open ${}"'])
    expect(problems(`<p>{{ x || 'Delivery' }}</p>`)).toEqual(['{{ }} "Delivery"'])
    expect(problems(`<Dialog :options="{ title: 'Recover', size: 'lg' }" />`)).toEqual(['<Dialog :options> "Recover"'])
    expect(problems('', `const c = [{ key: 'title', label: 'Webhook' }]; toast.error('It failed')`)).toEqual([
      'script "Webhook"',
      'script "It failed"',
    ])
    expect(
      problems(
        `<p>{{ __('Deliveries') }} — {{ n }}</p><Button :label="status === 'Active' ? __('Pause') : __('Resume')" class="text-ink-gray-5" />`,
        `const c = [{ key: 'title', label: __('Webhook') }]; toast.error(__('{0} failed', [name]))`,
      ),
    ).toEqual([])
  })
})
