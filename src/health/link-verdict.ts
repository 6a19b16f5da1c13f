import type { HealthResult } from './types.js';

/** A QQ account whose NapCat is linked to the watchdog (fresh heartbeats), since `since` (pipeline clock). */
export interface LinkedAccount {
  key: string;
  account?: number | undefined;
  since: number;
}

export interface LinkJudgement {
  result: HealthResult;
  /** Since when the bot has held fewer links than there are accounts linked to the watchdog (several accounts). */
  shortSince: number | undefined;
}

/**
 * The differential verdict on a listening bot's link (probes.link.listen) when NapCat also dials
 * the watchdog (backend.kind "onebot-reverse"). The probe says whether the bot was linked within
 * probes.link.grace; NapCat's link to the watchdog says whether NapCat could have linked it:
 *
 * - no link to the bot, and an account linked to the watchdog for at least `grace`: the bot is
 *   deaf (NapCat reaches us, not it): unhealthy, the link probe's rule restarts it;
 * - no link to the bot, and no account linked to the watchdog: NapCat is out, linked to neither.
 *   Never the bot's fault, however long: `unknown` (backend.down says the rest);
 * - no link to the bot, and NapCat linked to the watchdog for less than `grace`: NapCat is back
 *   and reconnects to the bot by itself; the bot gets `grace` for it: `unknown`;
 * - several accounts: each NapCat holds its own connection to the bot, so fewer connections to the
 *   bot than accounts linked to the watchdog for `grace`, for `grace` on end, is deaf too.
 *
 * A bot that stopped listening, or stopped reading (a stall), is judged on its own: its fault.
 */
export function judgeListenedLink(
  result: HealthResult,
  linked: readonly LinkedAccount[],
  now: number,
  grace: number,
  shortSince: number | undefined,
): LinkJudgement {
  const evidence = result.evidence ?? {};
  if (evidence['listen'] === undefined || evidence['stallMs'] !== undefined) return { result, shortSince: undefined };
  const settled = linked.filter((a) => now - a.since >= grace);
  const accounts = (list: readonly LinkedAccount[]) => list.map((a) => a.account ?? a.key).join(', ');
  if (result.verdict === 'unhealthy' && evidence['listening'] === true) {
    if (settled.length > 0) {
      const since = Math.min(...settled.map((a) => a.since));
      return {
        result: {
          ...result,
          reason: `${result.reason}; NapCat is linked to the watchdog (account ${accounts(settled)}) for ${seconds(now - since)} but not to the bot: it is deaf`,
          evidence: { ...evidence, napcatLinked: linked.length },
        },
        shortSince: undefined,
      };
    }
    const reason =
      linked.length === 0
        ? 'NapCat is linked to neither the watchdog nor the bot: NapCat is out (backend.down), not the bot\'s fault'
        : `NapCat linked to the watchdog again ${seconds(now - Math.min(...linked.map((a) => a.since)))} ago; it reconnects to the bot by itself (probes.link.grace ${seconds(grace)})`;
    return { result: { ...result, verdict: 'unknown', reason, evidence: { ...evidence, napcatLinked: linked.length } }, shortSince: undefined };
  }
  const links = evidence['listenedLinks'];
  if (result.verdict !== 'healthy' || typeof links !== 'number' || settled.length < 2 || links >= settled.length) return { result, shortSince: undefined };
  const short = shortSince ?? now;
  if (now - short < grace) return { result, shortSince: short };
  return {
    result: {
      ...result,
      verdict: 'unhealthy',
      reason: `NapCat links ${settled.length} accounts to the watchdog (${accounts(settled)}) but the bot holds ${links} connection(s) from NapCat, for ${seconds(now - short)}: it is deaf to some`,
      evidence: { ...evidence, listening: true, napcatLinked: settled.length },
    },
    shortSince: short,
  };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
