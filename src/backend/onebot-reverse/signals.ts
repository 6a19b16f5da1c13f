import { integerOf, isObject, parseJsonObject, snippet } from '../untrusted.js';

/**
 * What a frame from NapCat (or any OneBot v11 reverse-WebSocket client) means to the watchdog.
 * Only three kinds matter: the lifecycle event, heartbeats, and NapCat's `bot_offline` notice.
 * Every other event (messages, notices, requests) is `undefined`: it is not even parsed.
 */
export type OneBotSignal =
  | { kind: 'lifecycle'; subType: string | undefined; selfId: number | undefined }
  | { kind: 'heartbeat'; intervalMs: number | undefined; online: boolean | undefined; selfId: number | undefined }
  | { kind: 'bot-offline'; tag: string | undefined; message: string | undefined; selfId: number | undefined }
  | { kind: 'garbage'; reason: string };

const META = Buffer.from('meta_event');
const BOT_OFFLINE = Buffer.from('bot_offline');

/**
 * Reads one frame. Never throws. A busy account pushes every message of every group to every
 * client: frames that cannot be a meta event or the offline notice are skipped without parsing.
 */
export function readSignal(data: Buffer, isBinary: boolean): OneBotSignal | undefined {
  if (isBinary) return { kind: 'garbage', reason: 'a binary frame' };
  if (!data.includes(META) && !data.includes(BOT_OFFLINE)) return undefined;
  const text = data.toString('utf8');
  const frame = parseJsonObject(text);
  if (!frame) return { kind: 'garbage', reason: `not a JSON object: "${snippet(text, 40)}"` };
  const selfId = integerOf(frame['self_id']);
  if (frame['post_type'] === 'meta_event') {
    if (frame['meta_event_type'] === 'lifecycle') {
      return { kind: 'lifecycle', subType: shortString(frame['sub_type']), selfId };
    }
    if (frame['meta_event_type'] === 'heartbeat') {
      const status = isObject(frame['status']) ? frame['status'] : {};
      // NapCat fills `online` from its login state and may send null when it does not know.
      const online = typeof status['online'] === 'boolean' ? status['online'] : undefined;
      const interval = integerOf(frame['interval']);
      return { kind: 'heartbeat', intervalMs: interval !== undefined && interval > 0 ? interval : undefined, online, selfId };
    }
    return undefined;
  }
  if (frame['post_type'] === 'notice' && frame['notice_type'] === 'bot_offline') {
    return {
      kind: 'bot-offline',
      tag: shortString(frame['tag']),
      message: shortString(frame['message']),
      selfId: integerOf(frame['user_id']) ?? selfId,
    };
  }
  return undefined;
}

function shortString(value: unknown): string | undefined {
  return typeof value === 'string' ? snippet(value, 120) : undefined;
}
