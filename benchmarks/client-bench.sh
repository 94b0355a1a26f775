#!/usr/bin/env bash
# End-to-end client benchmark against Postfix smtp-sink (loopback, same run): Peregrine's client vs the
# Vert.x mail client (same pool size) vs Postfix smtp-source -d, all reusing sessions, median of 3 runs.
# Peregrine keeps up to 8 transactions in flight per session (pipelining); the Vert.x client one per pooled
# connection; smtp-source sends in lockstep. Each cell: msgs/s and CPU seconds per 1,000 messages (the
# client process's own CPU: smtp-source whole process, the JVMs during the measured pass, after warm-up
# passes until the JIT has settled: at least WARMUP_SECONDS (5), then until the passes of the last 2 s
# (three at least) each spent under 1 % of their time compiling, at most WARMUP_MAX_SECONDS (60); see
# Passes.java). BENCH_LOG=FILE keeps every JVM run's whole output (jit-ms, heap bytes, user/sys split).
#
# Prerequisites:  mvn -B -q install -DskipTests && mvn -B -q -f benchmarks/pom.xml package
# Usage:          benchmarks/client-bench.sh            (BENCH_JAR=path/to/benchmarks.jar to override)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# The sink on CPU 0, the client under test on CPU 1 (PIN_SINK= PIN_CLIENT= to let the scheduler place
# them): unpinned, the per-message CPU of one and the same client varied by 30-50 % between runs.
PIN_SINK=${PIN_SINK-0} PIN_CLIENT=${PIN_CLIENT-1}
start_sink

printf "%-6s %-8s %16s %16s %16s %9s %9s\n" size sessions "smtp-source" "vertx-mail" "peregrine" vs-source vs-vertx
printf "%-6s %-8s %16s %16s %16s\n" "" "" "msg/s cpu/1k" "msg/s cpu/1k" "msg/s cpu/1k"
for size in ${SIZES:-1024 102400}; do
  for sessions in ${SESSIONS:-1 10 50}; do
    # Measured passes of about 2 s or more (a C2 compile that lands in a short pass weighs on its CPU); the
    # Vert.x client gets a tenth at 100 KiB, where it sends about 45 msg/s.
    if [ "$size" = 1024 ]; then msgs=$(( sessions == 1 ? 4000 : 20000 )); else msgs=$(( sessions == 1 ? 3000 : 6000 )); fi
    for who in source vertx-mail peregrine; do : > "$work/$who.rate"; : > "$work/$who.cpu"; done
    # Runs interleaved (source, vertx-mail, peregrine, source, ...) so that a slow spell of the machine
    # falls on every client alike.
    for _ in $(seq 1 "$RUNS"); do
      for who in source vertx-mail peregrine; do
        if [ "$who" = source ]; then out=$(source_run -d -s "$sessions" -m "$msgs" -l "$size" "$sink_port")
        elif [ "$who" = vertx-mail ] && [ "$size" != 1024 ]; then
          out=$(java_run "$who" 127.0.0.1 "$sink_port" "$sessions" $(( msgs / 10 )) "$size")
        else out=$(java_run "$who" 127.0.0.1 "$sink_port" "$sessions" "$msgs" "$size"); fi
        read -r rate cpu <<< "$out"; echo "$rate" >> "$work/$who.rate"; echo "$cpu" >> "$work/$who.cpu"
      done
    done
    s=$(median < "$work/source.rate"); v=$(median < "$work/vertx-mail.rate"); p=$(median < "$work/peregrine.rate")
    printf "%-6s %-8s %8s %7s %8s %7s %8s %7s %9s %9s\n" "$size" "$sessions" \
      "$s" "$(median < "$work/source.cpu")" "$v" "$(median < "$work/vertx-mail.cpu")" "$p" "$(median < "$work/peregrine.cpu")" \
      "$(ratio "$p" "$s")" "$(ratio "$p" "$v")"
  done
done
