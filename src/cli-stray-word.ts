import type { Command } from 'commander';
import { didYouMean } from './config/did-you-mean.js';

/**
 * `bot-watchdog stauts` must not start a program called `stauts` (nor `bot-watchdog init` the
 * system's init): without a subcommand, the bot's command line comes only after `--`. This finds a
 * word in the place of a subcommand that names none of the program's commands (read from
 * commander, so new subcommands count at once) and is not after `--` or an option's value.
 * `run` named explicitly still takes its command with or without `--`.
 */
export function strayCommandWord(argv: readonly string[], program: Command, defaultCommand: Command): { word: string; index: number } | undefined {
  const names = new Set(program.commands.flatMap((command) => [command.name(), ...command.aliases()]));
  names.add('help');
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] as string;
    if (token === '--') return undefined;
    if (!token.startsWith('-') || token === '-') {
      // The first word: a subcommand, or a stray one.
      return index === 0 && names.has(token) ? undefined : { word: token, index };
    }
    if (token.startsWith('--') && token.includes('=')) continue; // --config=file
    const short = !token.startsWith('--') && token.length > 2 ? token.slice(0, 2) : undefined;
    const option = defaultCommand.options.find((o) => o.long === token || o.short === (short ?? token));
    // An unknown option is commander's to report.
    if (!option) return undefined;
    if (short !== undefined && (option.required || option.optional)) continue; // -cfile
    const next = argv[index + 1];
    if (option.required || (option.optional && next !== undefined && !next.startsWith('-'))) index++;
  }
  return undefined;
}

/** The one-line error for a stray word, with the command line that supervises such a program. */
export function strayWordMessage(argv: readonly string[], stray: { word: string; index: number }, program: Command): string {
  const candidates = program.commands.map((command) => command.name());
  const suggestion = didYouMean(stray.word, candidates);
  const fixed = [...argv.slice(0, stray.index), '--', ...argv.slice(stray.index)].map(shellWord).join(' ');
  return (
    `unknown command ${JSON.stringify(stray.word)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}; ` +
    `to supervise a program with that name: ${program.name()} ${fixed}`
  );
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
