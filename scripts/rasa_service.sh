#!/usr/bin/env bash
# Installs Rasa 3.6 into .venv-rasa (Python 3.10), trains an NLU model from nlu/nlu.yml + config.yml
# and serves it on port 5005 (POST /model/parse). Called by `make rasa`.
# Env: RASA_PORT (5005), RASA_VENV (.venv-rasa), RASA_SKIP_SERVE=1 to only install + train.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${RASA_VENV:-$ROOT/.venv-rasa}"
PORT="${RASA_PORT:-5005}"
WORK="$ROOT/.cache/rasa"

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

# Rasa wants a project layout: config.yml + data/ + (optional) domain.yml.
mkdir -p "$WORK/data" "$WORK/models"
cp "$ROOT/config.yml" "$WORK/config.yml"
cp "$ROOT/nlu/nlu.yml" "$WORK/data/nlu.yml"

cd "$WORK"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
echo ">> training NLU model"
"$VENV/bin/rasa" train nlu --config config.yml --nlu data/nlu.yml --out models --fixed-model-name prakerja-nlu

if [[ "${RASA_SKIP_SERVE:-0}" == "1" ]]; then
  echo ">> model at $WORK/models/prakerja-nlu.tar.gz"
  exit 0
fi
echo ">> serving on :$PORT (POST /model/parse)"
exec "$VENV/bin/rasa" run --enable-api -p "$PORT" -m models/prakerja-nlu.tar.gz
