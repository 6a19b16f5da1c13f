/**
 * Enumerations of the config that the command line also needs. They live apart from the schema
 * so that the CLI can name them without loading the validator (one-shot commands must start fast).
 */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGKILL'] as const;
export const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty', 'auto'] as const;
export const BACKEND_KINDS = ['mirai', 'onebot', 'onebot-reverse', 'http', 'tcp', 'none'] as const;
/** Bot stacks `bot-watchdog init --preset` knows (src/init/presets.ts). */
export const PRESET_NAMES = ['qchatgpt', 'langbot', 'koishi', 'nonebot2', 'yunzai', 'astrbot', 'mirai-js', 'onebot', 'generic'] as const;
