#!/usr/bin/env bash
# Regenerates docs/screenshots/*.svg from real runs: builds the release binary, builds the
# demo store in a temporary folder (no config, as a first run from any folder would), drives
# `rewind` in a detached tmux session through every view, and renders each screen
# (capture-pane with its colours) to SVG with ansi2svg.py.
#
#   scripts/screenshots/take.sh            # all of them
#   REWIND_BIN=path/to/rewind scripts/screenshots/take.sh   # skip the build
#
# Needs tmux and python3. Each step waits for text the view shows, so a slow machine only
# makes it slower; a step that never shows its text fails the script with the screen.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/docs/screenshots"
columns=120
rows=34

if [[ -z "${REWIND_BIN:-}" ]]; then
    (cd "$root" && cargo build --release --quiet)
    target="${CARGO_TARGET_DIR:-$root/target}"
    REWIND_BIN="$target/release/rewind"
fi

work="$(mktemp -d)"
socket="rewind-screenshots-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A first run from an empty folder: no config.toml, the demo's own reducers.
cd "$work"
: >"$work/config.toml"
env -u REWIND_DB -u REWIND_CONFIG "$REWIND_BIN" demo --db "$work/demo.db" \
    --config "$work/config.toml" >/dev/null

tmux -L "$socket" new-session -d -x "$columns" -y "$rows" -e REWIND_LOG_FILE=/dev/null \
    "env -u REWIND_DB -u REWIND_CONFIG '$REWIND_BIN' --db '$work/demo.db' --config '$work/config.toml'"

screen() { tmux -L "$socket" capture-pane -p; }

# wait_for TEXT: until the screen shows TEXT (30 s at most).
wait_for() {
    for _ in $(seq 1 300); do
        if screen | grep -qF -- "$1"; then
            sleep 0.3 # let the frame that showed it settle (spinners, counters)
            return 0
        fi
        sleep 0.1
    done
    echo "screenshots: the screen never showed '$1':" >&2
    screen >&2
    exit 1
}

# One key at a time: Esc followed at once by a key would arrive as Alt+key.
keys() {
    for key in "$@"; do
        tmux -L "$socket" send-keys "$key"
        sleep 0.15
    done
}

# shot NAME TITLE: the screen as docs/screenshots/NAME.svg.
shot() {
    mkdir -p "$out"
    tmux -L "$socket" capture-pane -e -N -p | python3 "$here/ansi2svg.py" --title "$2" >"$out/$1.svg"
    echo "docs/screenshots/$1.svg"
}

wait_for "Activity"
shot streams "rewind: the Streams view"

# Account-1, the demo's long stream (5,649 events).
keys Enter
wait_for "events ─"
keys Down Down Down
wait_for "@ 4"
shot stream "rewind: a stream, its events and the selected event"

keys 3
wait_for "what v4 changed"
keys Right Right Right
wait_for "what v7 changed"
shot time-travel "rewind: time travel over Account-1, with the patch each event made"

keys 4 b
wait_for "built "
shot snapshots "rewind: the Snapshots view after building Account-1's"

keys 2
wait_for "Position"
shot log "rewind: the global Log"

keys Down Down Down Down Down Down Down Down Down Down Down Enter
wait_for "caused by"
shot from-log "rewind: Enter on a Log event opens its stream at that event"

# A breakpoint on a type, a run that stops there, one step.
keys 5 :
tmux -L "$socket" send-keys -l "break OrderCancelled"
keys Enter C-r
wait_for "breakpoint"
keys n
wait_for "partition"
shot workbench "rewind: the projection workbench, stopped at a breakpoint and stepped one event"

# Types: down to the type whose shape changed without a bump.
keys Escape 6
wait_for "events read"
for _ in $(seq 1 20); do
    screen | grep -qF "data.channel appeared" && break
    keys Down
done
wait_for "data.channel appeared"
shot types "rewind: the Types view, a shape change flagged at its first event"

keys 7
wait_for "dangling-causation"
keys Tab
wait_for "Enter opens"
shot health "rewind: the Health view, the doctor's findings and the events they name"

keys Escape 1 '?'
wait_for "Streams view"
shot help "rewind: the help overlay, every key of the view"

keys Escape q
