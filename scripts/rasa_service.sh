#!/usr/bin/env bash
# The Prakerja assistant on Rasa 3.6, called by `make rasa`: installs Rasa into .venv-rasa
# (Python 3.10), checks that domain/faq.yml still matches flows/faq.yml, validates and trains the
# full model (NLU + dialogue: config.yml, domain/, nlu/), starts the action server
# (`prakerja actions serve`) and serves Rasa on 127.0.0.1 with the HTTP API behind a token.
# Env: RASA_PORT (5005), RASA_ACTIONS_PORT (5055), RASA_VENV (.venv-rasa), RASA_MODELS
# (.cache/rasa/models), RASA_TOKEN (else the settings' RASA_TOKEN, else a fresh one),
# RASA_SKIP_SERVE=1 to only install + train.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${RASA_VENV:-$ROOT/.venv-rasa}"
APP="$ROOT/.venv/bin"
PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${RASA_ACTIONS_PORT:-5055}"
MODELS="${RASA_MODELS:-$ROOT/.cache/rasa/models}"
MODEL="$MODELS/prakerja.tar.gz"
DATA=(nlu/nlu.yml nlu/rules.yml nlu/rules_faq.yml nlu/stories.yml)
export SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false
export RASA_CACHE_DIRECTORY="$ROOT/.cache/rasa/train-cache"

pick_python() {
  local pyenv_py="/root/.pyenv/versions/3.10.13/bin/python"
  if [[ -x "$pyenv_py" ]]; then echo "$pyenv_py"; return; fi
  if command -v python3.10 >/dev/null 2>&1; then command -v python3.10; return; fi
  echo "Rasa 3.6 needs Python 3.10 (python3.10 not found)" >&2
  exit 1
}

if [[ ! -x "$VENV/bin/rasa" ]]; then
  PY="$(pick_python)"
  echo ">> creating $VENV with $PY"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade "pip<24.1" wheel
  "$VENV/bin/pip" install --quiet "rasa==3.6.21"
fi

echo ">> checking domain/faq.yml and nlu/rules_faq.yml against flows/faq.yml"
"$APP/prakerja" rasa domain --check >/dev/null || {
  echo "flows/faq.yml changed: run '.venv/bin/prakerja rasa domain' and commit the result" >&2
  exit 1
}
echo ">> rasa data validate"
"$VENV/bin/rasa" data validate --fail-on-warnings --config config.yml --domain domain \
  --data "${DATA[@]}" >/dev/null
echo ">> training (skipped when config, domain and data are unchanged)"
mkdir -p "$MODELS"
"$VENV/bin/rasa" train --config config.yml --domain domain --data "${DATA[@]}" \
  --out "$MODELS" --fixed-model-name prakerja
if [[ "${RASA_SKIP_SERVE:-0}" == "1" ]]; then
  echo ">> model at $MODEL"
  exit 0
fi

# The same settings the bot reads (environment, then .env), so both sides share the token.
RASA_TOKEN="${RASA_TOKEN:-$("$APP/python" -c 'from storage.settings import get_settings as g; print(g().rasa_token or "")')}"
if [[ -z "$RASA_TOKEN" ]]; then
  RASA_TOKEN="$("$APP/python" -c 'import secrets; print(secrets.token_urlsafe(24))')"
  echo ">> RASA_TOKEN is not set; this run's token (put it in .env to keep it):"
  echo "   export RASA_TOKEN=$RASA_TOKEN"
fi
# endpoints.yml names the default action port; a different RASA_ACTIONS_PORT gets its own copy.
ENDPOINTS="$ROOT/.cache/rasa/endpoints.yml"
sed "s#127.0.0.1:5055#127.0.0.1:$ACTIONS_PORT#" endpoints.yml > "$ENDPOINTS"

"$APP/prakerja" actions serve --host 127.0.0.1 --port "$ACTIONS_PORT" &
ACTIONS_PID=$!
trap 'kill "$ACTIONS_PID" 2>/dev/null || true' EXIT INT TERM

cat <<EOF
>> Rasa on http://127.0.0.1:$PORT, actions on http://127.0.0.1:$ACTIONS_PORT (Ctrl-C stops both)
   Talk to it (REST channel; sender "42" is Telegram chat 42 for the actions):
     curl -s localhost:$PORT/webhooks/rest/webhook -d '{"sender": "42", "message": "kapan gelombang dibuka?"}'
   Only the NLU, as the bot asks it (NLU_BACKEND=rasa RASA_URL=http://127.0.0.1:$PORT RASA_TOKEN):
     curl -s "localhost:$PORT/model/parse?token=\$RASA_TOKEN" -d '{"text": "otp ga masuk"}'
   Or a terminal chat instead (stop this first; it starts its own Rasa, not the actions):
     .venv/bin/prakerja actions serve --port $ACTIONS_PORT &
     $VENV/bin/rasa shell -m $MODEL --endpoints $ENDPOINTS
EOF
"$VENV/bin/rasa" run -m "$MODEL" --interface 127.0.0.1 -p "$PORT" --enable-api \
  --auth-token "$RASA_TOKEN" --endpoints "$ENDPOINTS" --credentials credentials.yml
