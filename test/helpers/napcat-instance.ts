// One NapCat with two "WebSocket client" network configs, as the recipes set it up: one dials the
// bot, one dials the watchdog (backend.kind "onebot-reverse"). Both links share NapCat's fate: it
// stops and starts as one process, its heartbeats and its account state are the same on both.
// Built from test/helpers/fake-napcat.ts; used by the real-framework tests and bench/napcat-*.ts.
import { FakeNapCat, type ActionCall, type FakeNapCatOptions } from './fake-napcat.js';

export interface NapCatInstanceOptions extends Omit<FakeNapCatOptions, 'url'> {
  /** ws://… of the bot's reverse-WebSocket server. */
  botUrl: string;
  /** ws://… of the watchdog's backend.listen; none: NapCat has no client for the watchdog. */
  watchdogUrl?: string;
}

const FRIEND = 42;

export class NapCatInstance {
  private botClient: FakeNapCat;
  private watchdogClient: FakeNapCat | undefined;
  private up = true;
  private muted = false;
  private offline = false;

  private constructor(private readonly options: NapCatInstanceOptions) {
    this.botClient = this.client(options.botUrl);
    this.watchdogClient = options.watchdogUrl === undefined ? undefined : this.client(options.watchdogUrl);
  }

  static start(options: NapCatInstanceOptions): NapCatInstance {
    return new NapCatInstance(options);
  }

  /** The client that dials the bot (a new one after each restart). */
  get bot(): FakeNapCat {
    return this.botClient;
  }

  get watchdog(): FakeNapCat | undefined {
    return this.watchdogClient;
  }

  get running(): boolean {
    return this.up;
  }

  /** NapCat's process is gone: both links close, nothing reconnects. */
  async stop(): Promise<void> {
    this.up = false;
    await Promise.all([this.botClient.stop(), this.watchdogClient?.stop()]);
  }

  /** NapCat is back (a restart, a relogin done): both clients dial again at once. */
  start(): void {
    if (this.up) return;
    this.up = true;
    this.botClient = this.client(this.options.botUrl);
    if (this.options.watchdogUrl !== undefined) this.watchdogClient = this.client(this.options.watchdogUrl);
  }

  /** NapCat's heartbeat timer stops (links stay open), or runs again. */
  muteHeartbeats(muted: boolean): void {
    this.muted = muted;
    for (const c of this.clients()) (muted ? c.stopHeartbeats() : c.resumeHeartbeats());
  }

  /** The account kicked (`bot_offline` on both links, heartbeats say offline), or logged in again. */
  setAccountOnline(online: boolean): void {
    this.offline = !online;
    for (const c of this.clients()) {
      if (online) c.setOnline(true);
      else c.kick();
    }
  }

  /** Drops the bot's link (no close frame); NapCat redials after its reconnect interval. */
  dropBotLink(): void {
    this.botClient.drop();
  }

  /** A private message to the bot; false when the bot's link is not open. */
  message(text: string): boolean {
    if (!this.botClient.isOpen()) return false;
    this.botClient.privateMessage(FRIEND, text);
    return true;
  }

  /**
   * Sends "/ping" every `everyMs` while the bot's link is open until the bot answers "pong";
   * resolves with Date.now() of the answer, rejects after `timeoutMs`.
   */
  async untilAnswers(timeoutMs: number, everyMs = 250, text = '/ping', answer = 'pong'): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const isAnswer = (call: ActionCall) => call.action.startsWith('send') && JSON.stringify(call.params['message'] ?? '').includes(answer);
    while (Date.now() < deadline) {
      const client = this.botClient;
      if (client.isOpen()) {
        const waiting = client.waitForAction(isAnswer, false, Math.min(everyMs, Math.max(1, deadline - Date.now())));
        client.privateMessage(FRIEND, text);
        try {
          await waiting;
          return Date.now();
        } catch {
          continue;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(everyMs, Math.max(1, deadline - Date.now()))));
    }
    throw new Error(`the bot did not answer ${text} within ${timeoutMs} ms (NapCat ${this.up ? 'up' : 'down'}, bot link ${this.botClient.isOpen() ? 'open' : 'closed'})`);
  }

  private clients(): FakeNapCat[] {
    return this.watchdogClient ? [this.botClient, this.watchdogClient] : [this.botClient];
  }

  private client(url: string): FakeNapCat {
    const client = FakeNapCat.start({ ...this.options, url });
    if (this.muted) client.stopHeartbeats();
    if (this.offline) client.setOnline(false);
    return client;
  }
}
