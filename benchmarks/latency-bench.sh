#!/usr/bin/env bash
# Client latency benchmark: every client talks to Postfix smtp-sink through DelayProxy, a TCP relay adding
# DELAY_MS (default 5) each way, i.e. a 10 ms round trip, the same for every client. 1 KiB messages,
# SESSIONS (default 10) reused sessions; Peregrine's client vs the Vert.x mail client (same pool size) vs
# Simple Java Mail 8 + batch module (same pool size) vs Postfix smtp-source -d; median of RUNS (3) runs;
# msgs/s and CPU seconds per 1,000 messages. MSG_SCALE scales the message counts; CSV=FILE appends a row per
# run (lib.sh; net "rtt10ms" for the default delay; scenario "client" into smtp-sink, "client-chunking" into
# Peregrine's DiscardServer).
# Without CHUNKING (smtp-sink offers none) a message costs a pipelined client one round trip (the 354 has
# to come back before the content); smtp-source waits for each of MAIL, RCPT, DATA and the end of data
# (4 round trips), the Vert.x client about 3. So against smtp-sink the ratios cannot exceed ~4x and ~3x.
# The same clients are then measured against Peregrine's DiscardServer, which offers CHUNKING.
#
# Prerequisites:  as for client-bench.sh.    Usage: benchmarks/latency-bench.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DELAY_MS=${DELAY_MS:-5}
SESSIONS=${SESSIONS:-10}
start_sink
# A second target that offers CHUNKING (Peregrine's DiscardServer): there BDAT needs no 354, so a pipelining
# client keeps several whole transactions in flight per round trip.
discard_port=$(free_port)
mkfifo "$work/in"
java -cp "$JAR" dev.peregrine.bench.DiscardServer "$discard_port" 1 < "$work/in" > "$work/discard.out" 2>&1 &
pids+=($!)
exec 7> "$work/in"
wait_port "$discard_port"

for target in smtp-sink:"$sink_port" peregrine-discard:"$discard_port"; do
name=${target%%:*}; target_port=${target##*:}
java -cp "$JAR" dev.peregrine.bench.DelayProxy 0 127.0.0.1 "$target_port" "$DELAY_MS" > "$work/proxy.out" 2>&1 &
proxy_pid=$!; pids+=("$proxy_pid")
port=$(wait_line "$work/proxy.out" listening)
[ -n "$port" ] || { echo "delay proxy did not start" >&2; cat "$work/proxy.out" >&2; exit 1; }
# About 5-10 s per run for each client at 10 ms.
msgs_source=$(scaled $(( SESSIONS * 100 )) $(( SESSIONS * 2 ))); msgs_vertx=$(scaled $(( SESSIONS * 200 )) $(( SESSIONS * 2 )))
msgs_pg=$(scaled $(( SESSIONS * 600 )) $(( SESSIONS * 4 )))
[ "$name" = peregrine-discard ] && msgs_pg=$(scaled $(( SESSIONS * 3000 )) $(( SESSIONS * 4 )))
for who in source vertx-mail simple-java-mail peregrine; do
  : > "$work/$who.rate"; : > "$work/$who.cpu"
  for r in $(seq 1 "$RUNS"); do
    case $who in
      source) m=$msgs_source; out=$(source_run -d -s "$SESSIONS" -m "$m" -l 1024 "$port") ;;
      vertx-mail) m=$msgs_vertx; out=$(java_run "$who" 127.0.0.1 "$port" "$SESSIONS" "$m" 1024) ;;
      # Simple Java Mail waits for every reply (about 90 msg/s over 10 sessions at 10 ms): a quarter.
      simple-java-mail) m=$(( msgs_vertx / 4 )); out=$(java_run "$who" 127.0.0.1 "$port" "$SESSIONS" "$m" 1024) ;;
      peregrine) m=$msgs_pg; out=$(java_run peregrine 127.0.0.1 "$port" "$SESSIONS" "$m" 1024) ;;
    esac
    read -r rate cpu <<< "$out"; echo "$rate" >> "$work/$who.rate"; echo "$cpu" >> "$work/$who.cpu"
    impl=$who; [ "$who" = source ] && impl=smtp-source
    scen=client; [ "$name" = peregrine-discard ] && scen=client-chunking
    csv_row "$scen" "$impl" 1024 "$SESSIONS" reuse none "rtt$(( 2 * DELAY_MS ))ms" "$r" "$rate" "$cpu" "" "" "msgs=$m target=$name"
  done
done
s=$(median < "$work/source.rate"); v=$(median < "$work/vertx-mail.rate"); p=$(median < "$work/peregrine.rate")
j=$(median < "$work/simple-java-mail.rate")
echo "== $name: round trip $(( 2 * DELAY_MS )) ms added, $SESSIONS sessions, 1 KiB, median of $RUNS"
printf "%-12s %8s %8s\n" client msg/s cpu/1k
printf "%-12s %8s %8s\n" smtp-source "$s" "$(median < "$work/source.cpu")"
printf "%-12s %8s %8s\n" vertx-mail "$v" "$(median < "$work/vertx-mail.cpu")"
printf "%-12s %8s %8s\n" simple-java-mail "$j" "$(median < "$work/simple-java-mail.cpu")"
printf "%-12s %8s %8s\n" peregrine "$p" "$(median < "$work/peregrine.cpu")"
echo "peregrine vs smtp-source $(ratio "$p" "$s")x, vs vertx-mail $(ratio "$p" "$v")x, vs simple-java-mail $(ratio "$p" "$j")x"
kill "$proxy_pid"
done
