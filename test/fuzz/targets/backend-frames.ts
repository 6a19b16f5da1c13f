// What mirai-api-http and OneBot servers send, random: never a throw, and never a signal that
// would stop or restart the bot unless the frame really says so (an account event of our qq, a
// heartbeat with online:false, NapCat's bot_offline notice). Reasons stay short and printable.
// Adapter: miraiProtocol, judgeMiraiBody, oneBotProtocol, readSignal, snippet/integerOf.
import fc from 'fast-check';
import { judgeMiraiBody, MIRAI_CODE } from '../../../src/backend/mirai/mirai-answer.js';
import { miraiProtocol } from '../../../src/backend/mirai/mirai-ws.js';
import { oneBotProtocol } from '../../../src/backend/onebot/onebot-ws.js';
import { readSignal } from '../../../src/backend/onebot-reverse/signals.js';
import { integerOf, snippet } from '../../../src/backend/untrusted.js';
import { check, ODD_KEYS, type FuzzTarget } from '../target.js';

const QQ = 123456789;
const ACCOUNT_EVENTS = ['BotOnlineEvent', 'BotReloginEvent', 'BotOfflineEventActive', 'BotOfflineEventForce', 'BotOfflineEventDropped'];
const MAX_REASON = 400;

const field = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(QQ, String(QQ), -1, '-1', 0, 1, 2, 1e21, '1e3', ' 5', 'NaN', null, '\u0000', 'x'.repeat(500)),
  fc.constantFrom(...ACCOUNT_EVENTS, 'meta_event', 'heartbeat', 'lifecycle', 'notice', 'bot_offline', 'connect'),
);
const keys = fc.constantFrom('code', 'msg', 'data', 'syncId', 'type', 'qq', 'post_type', 'meta_event_type', 'sub_type', 'self_id', 'notice_type', 'user_id', 'tag', 'message', 'interval', 'status', 'online', ...ODD_KEYS);
const { frame } = fc.letrec<{ frame: unknown }>((tie) => ({
  frame: fc.oneof({ depthSize: 'small' }, field, fc.dictionary(keys, fc.oneof(field, tie('frame')), { maxKeys: 7 })),
}));
/** Frames of the shapes that carry signals, with random values in them. */
const shaped = fc.oneof(
  fc.record({ syncId: fc.constantFrom('-1', -1, '1', '', null), data: fc.record({ type: fc.oneof(fc.constantFrom(...ACCOUNT_EVENTS), fc.string()), qq: field }, { requiredKeys: ['type'] }) }),
  fc.record({ code: field, msg: field, data: fc.record({ code: field }) }, { requiredKeys: [] }),
  fc.record(
    { post_type: fc.constantFrom('meta_event', 'notice', 'message'), meta_event_type: fc.constantFrom('heartbeat', 'lifecycle', 'x'), notice_type: fc.constantFrom('bot_offline', 'x'), interval: field, status: fc.record({ online: field }), self_id: field, user_id: field, tag: field, message: field, sub_type: field },
    { requiredKeys: ['post_type'] },
  ),
);

/** A frame as text: JSON of the right shape or not, cut JSON, or no JSON at all. */
const text = fc.oneof(
  frame.map((value) => JSON.stringify(value) ?? 'undefined'),
  shaped.map((value) => JSON.stringify(value)),
  frame.chain((value) => {
    const json = JSON.stringify(value) ?? '';
    return fc.nat({ max: json.length }).map((cut) => json.slice(0, cut));
  }),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

function parsed(text: string): Record<string, any> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

function printable(reason: string, where: string): void {
  check(reason.length <= MAX_REASON, () => `${where}: a reason of ${reason.length} characters`);
  // eslint-disable-next-line no-control-regex
  check(!/[\u0000-\u001f\u007f]/.test(reason), () => `${where}: a control character in ${JSON.stringify(reason)}`);
}

export const backendFrames: FuzzTarget<{ text: string; binary: boolean }> = {
  name: 'backend-frames',
  about: 'mirai and OneBot frames and answers, random: no throw; an account, offline or heartbeat signal only when the frame says so; reasons short and printable',
  runs: 500,
  arbitrary: () => fc.record({ text, binary: fc.boolean() }),
  property: ({ text, binary }) => {
    const json = parsed(text);
    // mirai: later frames
    const mirai = miraiProtocol(QQ);
    const account = mirai.frame(text);
    if (account) {
      check(account.kind === 'account' && json !== undefined && (json['syncId'] === '-1' || json['syncId'] === -1), () => `an account signal from ${text}`);
      check(ACCOUNT_EVENTS.includes(json['data']?.type) && [undefined, QQ].includes(integerOf(json['data']?.qq)), () => `an account signal from ${text}`);
      for (const value of Object.values(account.details)) if (typeof value === 'string') check(value.length <= 200, () => 'a long detail');
    }
    // mirai: the first frame, and any answer body
    const first = mirai.firstFrame(text);
    if (first.ok) check(integerOf((json?.['data'] && typeof json['data'] === 'object' && !Array.isArray(json['data']) ? json['data'] : json)?.['code']) === MIRAI_CODE.OK, () => `linked on ${text}`);
    else printable(first.reason, 'mirai first frame');
    const body = judgeMiraiBody(json, 'GET /about', QQ);
    if (body.ok) check(integerOf(json?.['code']) === MIRAI_CODE.OK, () => `ok on ${text}`);
    else printable(body.reason, 'mirai answer');
    // OneBot forward WebSocket
    const onebot = oneBotProtocol(false);
    const beat = onebot.frame(text);
    if (beat) {
      check(json?.['post_type'] === 'meta_event' && json['meta_event_type'] === 'heartbeat', () => `a heartbeat from ${text}`);
      check(beat.kind !== 'heartbeat' || beat.online === undefined || beat.online === json['status']?.online, () => `online ${beat.online} from ${text}`);
    }
    const opened = onebot.firstFrame(text);
    printable(opened.reason, 'onebot first frame');
    // OneBot reverse WebSocket (NapCat)
    const signal = readSignal(Buffer.from(text), binary);
    if (signal && signal.kind !== 'garbage') {
      check(!binary && json !== undefined, () => `a ${signal.kind} signal from ${binary ? 'a binary frame' : text}`);
      if (signal.kind === 'bot-offline') check(json['post_type'] === 'notice' && json['notice_type'] === 'bot_offline', () => `bot-offline from ${text}`);
      else check(json['post_type'] === 'meta_event', () => `${signal.kind} from ${text}`);
      if (signal.kind === 'heartbeat') {
        check(signal.intervalMs === undefined || (Number.isSafeInteger(signal.intervalMs) && signal.intervalMs > 0), () => `interval ${signal.intervalMs}`);
        check(signal.online === undefined || signal.online === json['status']?.online, () => `online ${signal.online} from ${text}`);
      }
    }
    if (signal?.kind === 'garbage') printable(signal.reason, 'reverse garbage');
    check(snippet(text).length <= 80, () => 'snippet longer than 80');
  },
};
