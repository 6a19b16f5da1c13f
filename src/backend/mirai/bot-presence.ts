import type { Verdict } from '../../probes/probe.js';

export type PresenceJudgement = { verdict: 'healthy' } | { verdict: Exclude<Verdict, 'healthy'>; reason: string };

/** At most this many QQ numbers are named in a reason. */
const NAMED_BOTS = 5;

/**
 * Is backend.qq a bot that mirai has, or a typo in our config? Fed every `/botList` the poll
 * gets; the link asks it what a refusal of the qq (code 2 on the handshake) means.
 *
 * - The qq is in the list: healthy.
 * - The list is empty: no account is logged in to mirai (a login waiting for a captcha, a
 *   password problem). Not ready, and the bot waits: it could not work either (startup.timeout
 *   bounds the wait).
 * - Other bots are there and ours was there before: that account logged out; not ready.
 * - Other bots are there and ours has NEVER been there since the watchdog started, for
 *   `threshold` answers in a row (probes.backend.failureThreshold: the same confirmation an
 *   outage needs, 15 s with the defaults, room for mirai logging in several accounts one by one):
 *   backend.qq is wrong. Misconfigured: the reason names the qq and the bots mirai has, and the
 *   bot is started — its own config may well name the right account.
 *
 * QQ numbers are not secrets; nothing else goes into a reason.
 */
export class MiraiBotPresence {
  private seen = false;
  private streak = 0;
  private wrong: string | undefined;

  constructor(
    readonly qq: number,
    private readonly threshold: number,
  ) {}

  /** Whether backend.qq counts as wrong now: the misconfigured reason, else undefined. */
  get misconfigured(): string | undefined {
    return this.wrong;
  }

  /** Judges one `/botList` answer. */
  observe(bots: readonly number[]): PresenceJudgement {
    const { qq } = this;
    if (bots.includes(qq)) {
      this.seen = true;
      this.streak = 0;
      this.wrong = undefined;
      return { verdict: 'healthy' };
    }
    if (bots.length === 0) {
      this.streak = 0;
      this.wrong = undefined;
      return { verdict: 'unhealthy', reason: `bot ${qq} is not logged in to mirai yet (/botList is empty: log the account in to mirai)` };
    }
    const others = nameBots(bots);
    if (this.seen) {
      return { verdict: 'unhealthy', reason: `bot ${qq} is not logged in to mirai any more (/botList has ${others})` };
    }
    this.streak += 1;
    if (this.streak < this.threshold && this.wrong === undefined) {
      return { verdict: 'unhealthy', reason: `bot ${qq} is not logged in to mirai, which has ${others}: is backend.qq right?` };
    }
    this.wrong = `backend.qq ${qq} is not a bot of this mirai, which has ${others}: fix backend.qq (a typo?); the bot is not held back for it`;
    return { verdict: 'misconfigured', reason: this.wrong };
  }
}

function nameBots(bots: readonly number[]): string {
  const named = bots.slice(0, NAMED_BOTS).join(', ');
  const more = bots.length - NAMED_BOTS;
  return `${bots.length === 1 ? 'bot' : 'bots'} ${named}${more > 0 ? ` and ${more} more` : ''}`;
}
