#!/usr/bin/env bash
# Makes the two virtual environments the real-framework tests and benches use, in the repo root:
#   .venv-nonebot    NoneBot2 2.5.0 + nonebot-adapter-onebot 2.4.6 (FastAPI driver; pydantic 2)
#   .venv-yirimirai  YiriMirai-rc 0.2.7.3, the library QChatGPT 2.x used (pydantic 1)
# Wheels the package mirror lacks come from ../shared/wheels (beside the repo; CI clones the repo
# into another folder with shared/ next to it), everything else from the mirror pip already uses.
# Idempotent: an environment that already imports its framework is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wheels="${BOT_WATCHDOG_WHEELS:-$(dirname "$root")/shared/wheels}"
if [ ! -f "$wheels/nonebot2.txt" ]; then
  echo "make-venvs: no wheels at $wheels (set BOT_WATCHDOG_WHEELS to the folder with nonebot2.txt)" >&2
  exit 1
fi
python="${PYTHON:-python3}"
pip_opts=(--quiet --retries 0 --timeout 5 --find-links "$wheels")

make_venv() { # name, import check, then the pip install steps
  local name="$1" venv="$root/$1" check="$2"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
    echo "make-venvs: $name ready"
    return
  fi
  rm -rf "$venv"
  "$python" -m venv "$venv"
  shift 2
  for requirements in "$@"; do
    # shellcheck disable=SC2086
    "$venv/bin/pip" install "${pip_opts[@]}" $requirements
  done
  "$venv/bin/python" -c "$check"
  echo "make-venvs: $name made"
}

make_venv .venv-nonebot 'import nonebot, nonebot.adapters.onebot.v11, fastapi, uvicorn' \
  "-r $wheels/nonebot2.txt"
make_venv .venv-yirimirai 'import mirai' \
  "-r $wheels/yirimirai.txt" "--no-deps yiri-mirai-rc==0.2.7.3"
