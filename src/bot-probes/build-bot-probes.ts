import type { Clock } from '../clock/clock.js';
import type { EventLog } from '../log/events.js';
import type { WatchdogConfig } from '../config/load-config.js';
import { botProbeRule, type ProbeRule } from '../health/probe-rules.js';
import { linkRestartReason } from '../probes/link/link-probe.js';
import { listenPorts } from '../probes/link/listen.js';
import { linkTargets } from '../probes/link/target.js';
import type { Plugin } from '../supervisor/types.js';
import { heartbeatRunner } from './heartbeat-runner.js';
import { linkRunner } from './link-runner.js';
import { OutputWatcher } from './output-watcher.js';

/**
 * The bot probes that watch the bot itself (issue 4), each independent of the others and of the
 * backend: heartbeat file, the bot's own link to the backend, output patterns and silence.
 */
export function buildBotProbes(config: WatchdogConfig, logger: EventLog, clock: Clock): Plugin[] {
  const plugins: Plugin[] = [];
  const { heartbeat, link, output } = config.probes;
  if (heartbeat) {
    plugins.push(heartbeatRunner({ file: heartbeat.file, maxAge: heartbeat.maxAge, interval: heartbeat.interval, clock }));
  }
  if (link?.enabled) {
    plugins.push(
      linkRunner({
        targets: linkTargets(config),
        listen: listenPorts(config)[0],
        stall: link.stall,
        grace: link.grace,
        interval: link.interval,
        logger,
        clock,
      }),
    );
  }
  const outputWatcher = new OutputWatcher({ patterns: output.patterns, silence: output.silence, clock });
  if (outputWatcher.active) plugins.push(outputWatcher);
  return plugins;
}

/**
 * The health sink's rules for the bot's own probes: each failure restarts the bot with its
 * reason; the heartbeat and the link are grace subjects (startup.grace, ended once both are
 * healthy); a printed failure counts at once, and the silence timer waits out the grace itself.
 * A listened link judged against NapCat's link to the watchdog when NapCat dials it too.
 */
export function botProbeRules(config: WatchdogConfig): Record<string, ProbeRule> {
  const rules: Record<string, ProbeRule> = {};
  const { heartbeat, link, output } = config.probes;
  if (heartbeat) {
    // Up once the bot wrote its file after this start (a file left by the last run proves nothing).
    rules['heartbeat'] = { ...botProbeRule('heartbeat-stale'), upWhen: (result, spawnedAt, now) => typeof result.evidence?.['ageMs'] === 'number' && now - result.evidence['ageMs'] >= spawnedAt };
  }
  if (link?.enabled) {
    // Up once a sample saw the link (healthy within probes.link.grace alone proves nothing yet).
    const rule: ProbeRule = { ...botProbeRule('link-lost', true, linkRestartReason), upWhen: (result) => result.evidence?.['remote'] !== undefined };
    if (config.backend.kind === 'onebot-reverse' && listenPorts(config).length > 0) rule.differential = { grace: link.grace };
    rules['link'] = rule;
  }
  if (output.patterns.length > 0) rules['output-pattern'] = botProbeRule('output-match', false);
  if (output.silence > 0) rules['output-silence'] = botProbeRule('output-silent', false);
  return rules;
}
