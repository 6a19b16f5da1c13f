import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgram } from '../../src/cli.js';
import { allInvocations } from './cli-usage.js';

/** The options of each command, from the commander program itself. */
function cliOptions(): Map<string, Set<string>> {
  const program = createProgram(() => {});
  const global = ['-h', '--help', '-v', '--version'];
  const map = new Map<string, Set<string>>();
  for (const command of program.commands) {
    const flags = new Set<string>(global);
    for (const option of command.options) {
      if (option.long) flags.add(option.long);
      if (option.short) flags.add(option.short);
    }
    map.set(command.name(), flags);
  }
  return map;
}

test('every flag used in examples/ and the README exists on its command', () => {
  const options = cliOptions();
  const commands = [...options.keys()];
  assert.ok(commands.includes('run') && commands.includes('check') && commands.includes('demo'));
  const found = allInvocations(commands);
  const checked = found.filter((i) => i.command !== undefined);
  // Enough to mean something: the README's command lines, recipes and every example.
  assert.ok(checked.length >= 25, `only ${checked.length} command lines found`);
  const unknown: string[] = [];
  for (const invocation of checked) {
    const flags = options.get(invocation.command as string) as Set<string>;
    for (const arg of invocation.args) {
      if (!/^--?[A-Za-z]/.test(arg)) continue;
      const flag = arg.split('=')[0] as string;
      if (!flags.has(flag)) unknown.push(`${invocation.where}: bot-watchdog ${invocation.command} ${flag}`);
    }
  }
  assert.deepEqual(unknown, []);
});

test('the check finds a wrong flag (it is not vacuous)', async () => {
  const { invocations } = await import('./cli-usage.js');
  const options = cliOptions();
  const [bad] = invocations('HEALTHCHECK CMD ["bot-watchdog", "check", "--timout", "5s"]', 'x', 1, [...options.keys()]);
  assert.deepEqual(bad?.args, ['--timout', '5s']);
  assert.equal(options.get('check')?.has('--timout'), false);
  const [viaNode] = invocations('ExecStart=/usr/bin/node /opt/bot-watchdog/bin/bot-watchdog.js run --config /x.json', 'y', 1, [...options.keys()]);
  assert.deepEqual(viaNode, { where: 'y:1', command: 'run', args: ['--config', '/x.json'] });
  const [quoted] = invocations(`bot-watchdog check --on-unhealthy "systemctl restart --now bot" --cooldown 10m`, 'z', 1, [...options.keys()]);
  assert.deepEqual(quoted?.args, ['--on-unhealthy', 'systemctl restart --now bot', '--cooldown', '10m']);
});
