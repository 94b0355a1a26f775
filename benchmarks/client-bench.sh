#!/usr/bin/env bash
# End-to-end client benchmark against Postfix smtp-sink (loopback, same run): Peregrine's client vs the
# Vert.x mail client (same pool size) vs Simple Java Mail 8 with its batch module (a pool of as many
# connections and threads) vs Postfix smtp-source -d, all reusing sessions, median of 3 runs.
# CLIENTS="source vertx-mail simple-java-mail peregrine" (the default) picks them.
# Peregrine keeps up to 8 transactions in flight per session (pipelining); the Vert.x client one per pooled
# connection; smtp-source sends in lockstep. Each cell: msgs/s and CPU seconds per 1,000 messages (the
# client process's own CPU: smtp-source whole process, the JVMs during the measured pass, after warm-up
# passes until the JIT has settled: at least WARMUP_SECONDS (5), then until the passes of the last 2 s
# (three at least) each spent under 1 % of their time compiling, at most WARMUP_MAX_SECONDS (60); see
# Passes.java). BENCH_LOG=FILE keeps every JVM run's whole output (jit-ms, heap bytes, user/sys split).
#
# Prerequisites:  mvn -B -q install -DskipTests && mvn -B -q -f benchmarks/pom.xml package
# Usage:          benchmarks/client-bench.sh            (BENCH_JAR=path/to/benchmarks.jar to override)
# SIZES, SESSIONS filter the cells; MSG_SCALE scales the message counts; CSV=FILE appends a row per run
# (lib.sh; scenario "client", net "loopback").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# The sink on CPU 0, the client under test on CPU 1 (PIN_SINK= PIN_CLIENT= to let the scheduler place
# them): unpinned, the per-message CPU of one and the same client varied by 30-50 % between runs.
PIN_SINK=${PIN_SINK-0} PIN_CLIENT=${PIN_CLIENT-1}
start_sink

CLIENTS=${CLIENTS:-source vertx-mail simple-java-mail peregrine}
others=(); for c in $CLIENTS; do [ "$c" = peregrine ] || others+=("$c"); done
{ printf "%-6s %-8s" size sessions; for c in $CLIENTS; do printf " %17s" "$c"; done
  for c in "${others[@]}"; do printf " %9s" "vs-$c"; done; echo
  printf "%-15s" ""; for c in $CLIENTS; do printf " %17s" "msg/s cpu/1k"; done; echo; }
for size in ${SIZES:-1024 102400}; do
  for sessions in ${SESSIONS:-1 10 50}; do
    # Measured passes of about 2 s or more (a C2 compile that lands in a short pass weighs on its CPU); the
    # Vert.x client gets a tenth at 100 KiB, where it sends about 45 msg/s, Simple Java Mail less (below).
    if [ "$size" = 1024 ]; then msgs=$(( sessions == 1 ? 4000 : 20000 )); else msgs=$(( sessions == 1 ? 3000 : 6000 )); fi
    msgs=$(scaled "$msgs" "$(( sessions * 4 ))")
    for who in $CLIENTS; do : > "$work/$who.rate"; : > "$work/$who.cpu"; done
    # Runs interleaved (source, vertx-mail, ..., source, ...) so that a slow spell of the machine falls on
    # every client alike.
    for r in $(seq 1 "$RUNS"); do
      for who in $CLIENTS; do
        # SLOW_SESSIONS_100K (default: every count) limits the Vert.x client and Simple Java Mail above 1 KiB to
        # those session counts: they send 20-50 msg/s there, whatever the sessions.
        if [ "$size" != 1024 ] && { [ "$who" = vertx-mail ] || [ "$who" = simple-java-mail ]; } \
          && [ -n "${SLOW_SESSIONS_100K:-}" ] && ! [[ " $SLOW_SESSIONS_100K " == *" $sessions "* ]]; then continue; fi
        m=$msgs
        if [ "$who" = vertx-mail ] && [ "$size" != 1024 ]; then m=$(( msgs / 10 )); fi
        # Simple Java Mail sends about 25 msg/s at 100 KiB here (a MIME message built per send): a twentieth.
        if [ "$who" = simple-java-mail ]; then m=$(( size == 1024 ? msgs / 4 : msgs / 20 )); fi
        m=$(( m < sessions * 2 ? sessions * 2 : m ))
        if [ "$who" = source ]; then out=$(source_run -d -s "$sessions" -m "$m" -l "$size" "$sink_port")
        else out=$(java_run "$who" 127.0.0.1 "$sink_port" "$sessions" "$m" "$size"); fi
        read -r rate cpu <<< "$out"; echo "$rate" >> "$work/$who.rate"; echo "$cpu" >> "$work/$who.cpu"
        impl=$who; [ "$who" = source ] && impl=smtp-source
        csv_row client "$impl" "$size" "$sessions" reuse none loopback "$r" "$rate" "$cpu" "" "" "msgs=$m target=smtp-sink"
      done
    done
    printf "%-6s %-8s" "$size" "$sessions"
    for c in $CLIENTS; do
      if [ -s "$work/$c.rate" ]; then printf " %9s %7s" "$(median < "$work/$c.rate")" "$(median < "$work/$c.cpu")"
      else printf " %9s %7s" - -; fi
    done
    p=$(median < "$work/peregrine.rate")
    for c in "${others[@]}"; do printf " %9s" "$(ratio "$p" "$( [ -s "$work/$c.rate" ] && median < "$work/$c.rate")")"; done; echo
  done
done
