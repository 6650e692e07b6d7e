#!/usr/bin/env bash
# Starts the desktop app on an X display with a clean environment (an empty HOME, no venv on
# PATH), measures the time until its window titled "Enclave" is mapped, takes a screenshot of
# the screen, then closes the window and waits for the program to exit.
#
# Usage (needs an X server; xvfb-run provides one):
#   xvfb-run -a -s "-screen 0 1280x800x24" packaging/linux/window_check.sh SCREENSHOT.png PROGRAM [ARGS...]
# Prints "time_to_window_s=<seconds>" and "screenshot=<path>"; exit 1 if no window appeared.
set -euo pipefail
shot="$1"; shift
: "${DISPLAY:?run this under xvfb-run or another X server}"
timeout_s="${ENCLAVE_WINDOW_TIMEOUT:-90}"
home="$(mktemp -d)"
log="$home/enclave-gui.log"

start_ns=$(date +%s%N)
env -i HOME="$home" PATH=/usr/bin:/bin DISPLAY="$DISPLAY" XAUTHORITY="${XAUTHORITY:-}" \
  QT_QPA_PLATFORM=xcb LANG=C.UTF-8 "$@" >"$log" 2>&1 &
pid=$!

window=""
deadline=$(( $(date +%s) + timeout_s ))
while [ -z "$window" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the program exited before showing a window; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "no window titled Enclave within ${timeout_s}s; output so far:" >&2
    cat "$log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  window="$(xdotool search --onlyvisible --name '^Enclave' 2>/dev/null | head -n1 || true)"
  [ -n "$window" ] || sleep 0.05
done
end_ns=$(date +%s%N)
elapsed="$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')"

# Let the first frames (and the model's background load) paint before the screenshot.
sleep "${ENCLAVE_SCREENSHOT_DELAY:-4}"
import -window root "$shot"
echo "window: $(xdotool getwindowname "$window") ($(xwininfo -id "$window" | awk '/geometry/ {print $2}'))," \
  "$(xprop -id "$window" WM_CLASS 2>/dev/null || true)"

# Close it as a user would (the window manager's close request), then wait for a clean exit.
python3 "$(dirname "$0")/xclose.py" "$window"
for _ in $(seq 1 200); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "the window did not close within 20 s; stopping it" >&2
  kill "$pid" 2>/dev/null || true
fi
status=0
wait "$pid" || status=$?
echo "exit status after close: $status"
echo "time_to_window_s=$elapsed"
echo "screenshot=$shot"
# A failure in a worker (a model that did not load…) leaves a traceback in the app's output
# or its error log, while the window itself stays up: look for both.
errors="$(cat "$home"/.local/share/Enclave/logs/*.log 2>/dev/null || true)"
if grep -q "Traceback" "$log"; then errors="$errors$(cat "$log")"; fi
rm -rf "$home"
if [ -n "$errors" ]; then
  echo "the app logged errors while its window was open:" >&2
  echo "$errors" >&2
  exit 1
fi
[ "$status" -eq 0 ] || { echo "the app exited with status $status after the close request" >&2; exit 1; }
