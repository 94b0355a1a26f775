#!/usr/bin/env bash
# 10,000 concurrent idle SMTP sessions on one Peregrine server (DiscardServer, -Xmx256m): reports the
# server's heap after GC with the sessions open, against its heap before, and the cost per session.
# The client (Python, one process, non-blocking sockets) holds the sessions open after reading each
# greeting; only the server JVM's heap is measured. Loopback only; everything is stopped on exit.
#
# Prerequisites: as for server-bench.sh. Usage: benchmarks/idle-connections.sh [count]
# CSV=FILE appends one row (lib.sh; scenario "idle", note = heap bytes before/with and bytes per session).
set -euo pipefail
COUNT=${1:-10000}
ulimit -n "$(ulimit -Hn)"  # each process holds one descriptor per session
source "$(dirname "$0")/lib.sh"
port=$(free_port)
mkfifo "$work/in"
java -Xmx256m -cp "$JAR" dev.peregrine.bench.DiscardServer "$port" < "$work/in" > "$work/out" 2>&1 &
pids+=($!)
exec 7> "$work/in"
for _ in $(seq 1 200); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.05; done
heap() { local before; before=$(grep -c '^heap' "$work/out" || true); echo heap >&7
  for _ in $(seq 1 200); do [ "$(grep -c '^heap' "$work/out" || true)" -gt "$before" ] && break; sleep 0.05; done
  grep '^heap' "$work/out" | tail -1 | awk '{print $2}'; }
base=$(heap)
python3 - "$port" "$COUNT" "$work" <<'PY' &
import os, selectors, socket, sys, time
port, count, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sel = selectors.DefaultSelector()
socks = []
greeted = 0
deadline = time.time() + 120
for i in range(count):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    sel.register(s, selectors.EVENT_READ)
    socks.append(s)
    # Keep the accept queue short: read greetings as we go.
    while i - greeted > 500 and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            if key.fileobj.recv(512).startswith(b"220"):
                greeted += 1
            sel.unregister(key.fileobj)
while greeted < count and time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        if key.fileobj.recv(512).startswith(b"220"):
            greeted += 1
        sel.unregister(key.fileobj)
open(os.path.join(work, "greeted"), "w").write(str(greeted))
time.sleep(600)  # hold the sessions until killed
PY
pids+=($!)
for _ in $(seq 1 2400); do [ -f "$work/greeted" ] && break; sleep 0.05; done
greeted=$(cat "$work/greeted")
with=$(heap)
echo "sessions greeted: $greeted of $COUNT"
awk -v b="$base" -v w="$with" -v n="$greeted" 'BEGIN {
  printf "server heap after GC: %.1f MiB before, %.1f MiB with the sessions open (-Xmx256m)\n", b/1048576, w/1048576;
  printf "per session: %.0f bytes\n", (w-b)/n }'
csv_row idle peregrine "" "$greeted" idle none loopback 1 "" "" "" "" \
  "$(awk -v b="$base" -v w="$with" -v n="$greeted" 'BEGIN {printf "heap_before_mib=%.1f heap_with_mib=%.1f bytes_per_session=%.0f", b/1048576, w/1048576, (w-b)/n}')"
