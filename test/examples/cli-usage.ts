// Finds the bot-watchdog command lines written in the examples and the README, for the tests that
// keep them in sync with the CLI.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/watchdog-process.js';

export const EXAMPLES = join(REPO_ROOT, 'examples');
export const README = join(REPO_ROOT, 'README.md');

/** The README and the reference in docs/. */
export function documentationFiles(): string[] {
  const docs = join(REPO_ROOT, 'docs');
  return [README, ...readdirSync(docs).filter((name) => name.endsWith('.md')).sort().map((name) => join(docs, name))];
}

export interface Invocation {
  /** Where: file:line. */
  where: string;
  /** The subcommand, or undefined when the word after bot-watchdog is no command (prose, a bot). */
  command: string | undefined;
  /** Option words as written (`--timeout`, `-c`), with their values after them. */
  args: string[];
}

export function exampleFiles(dir = EXAMPLES): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...exampleFiles(path));
    else out.push(path);
  }
  return out.sort();
}

/** The fenced code blocks of a Markdown text, with their language and first line number. */
export function codeBlocks(markdown: string): Array<{ lang: string; text: string; line: number }> {
  const blocks: Array<{ lang: string; text: string; line: number }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i] as string);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    blocks.push({ lang: open[1] ?? '', text: lines.slice(start, end).join('\n'), line: start + 1 });
    i = end;
  }
  return blocks;
}

/** The inline code spans of a Markdown text (outside fenced blocks). */
export function inlineSpans(markdown: string): Array<{ text: string; line: number }> {
  const spans: Array<{ text: string; line: number }> = [];
  let fenced = false;
  markdown.split('\n').forEach((line, index) => {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) return;
    for (const match of line.matchAll(/`([^`]+)`/g)) spans.push({ text: match[1] as string, line: index + 1 });
  });
  return spans;
}

const STOP = new Set(['--', '|', '||', '&&', ';', '#', '>', '>>', '2>&1', '\\']);

/** Shell-ish words: quoted strings stay whole; commas and brackets outside quotes separate. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s,[\]]+)/g)) out.push(match[1] ?? match[2] ?? match[3] ?? '');
  return out;
}

function isBotWatchdog(word: string): boolean {
  return word === 'bot-watchdog' || word.endsWith('/bot-watchdog.js') || word.endsWith('/bin/bot-watchdog');
}

/** Every bot-watchdog command line in `text` (continuation lines joined). */
export function invocations(text: string, where: string, firstLine: number, commands: readonly string[]): Invocation[] {
  const found: Invocation[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    const lineNo = firstLine + i;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + lines[++i];
    // A usage synopsis continues on indented lines of optional arguments: "    [--state <file> …]".
    while (i + 1 < lines.length && /^\s+\[-/.test(lines[i + 1] as string)) line = `${line} ${lines[++i]}`;
    const list = words(line);
    list.forEach((word, at) => {
      if (!isBotWatchdog(word)) return;
      const next = list[at + 1];
      if (next === undefined) return;
      let command: string | undefined;
      let from: number;
      if (commands.includes(next)) {
        command = next;
        from = at + 2;
      } else if (next.startsWith('-') && next !== '--') {
        command = 'run'; // the default command
        from = at + 1;
      } else {
        found.push({ where: `${where}:${lineNo}`, command: undefined, args: [] });
        return;
      }
      const args: string[] = [];
      for (const arg of list.slice(from)) {
        if (STOP.has(arg) || arg.startsWith('#')) break;
        args.push(arg);
      }
      found.push({ where: `${where}:${lineNo}`, command, args });
    });
  }
  return found;
}

/** Every invocation in the examples and in the README (code blocks and inline code). */
export function allInvocations(commands: readonly string[]): Invocation[] {
  const out: Invocation[] = [];
  for (const file of exampleFiles()) out.push(...invocations(readFileSync(file, 'utf8'), relative(REPO_ROOT, file), 1, commands));
  for (const file of documentationFiles()) {
    const text = readFileSync(file, 'utf8');
    const where = relative(REPO_ROOT, file);
    for (const block of codeBlocks(text)) out.push(...invocations(block.text, where, block.line, commands));
    for (const span of inlineSpans(text)) out.push(...invocations(span.text, where, span.line, commands));
  }
  return out;
}
