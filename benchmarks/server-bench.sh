#!/usr/bin/env bash
# End-to-end server benchmark: Postfix smtp-source -> Postfix smtp-sink against smtp-source -> Peregrine
# (DiscardServer: every message read and discarded), same smtp-source arguments, same run, loopback only.
#
# Prerequisites:  mvn -B -q install -DskipTests && mvn -B -q -f benchmarks/pom.xml package
# Usage:          benchmarks/server-bench.sh            (BENCH_JAR=path/to/benchmarks.jar to override)
# Prints one line per cell: size, sessions, mode, median msgs/s of RUNS runs (default 3) for each server, the
# ratio, and CPU seconds per 1,000 messages of each server process (all its threads, from schedstat: exact
# run time, not 10 ms ticks). The runs of the two servers alternate (sink, Peregrine, sink, ...), so that
# load from elsewhere on the machine falls on both.
# Filters (space-separated lists, default all): SIZES="1024 102400", SESSIONS="1 10 50", MODES="reuse new";
# e.g. MODES=new SIZES=1024 benchmarks/server-bench.sh runs only the 1 KiB new-connection cells.
# PG_JAVA_OPTS adds JVM options to Peregrine's JVM (e.g. a JFR recording).
# PIN_SINK=N runs both servers (smtp-sink and Peregrine's whole JVM) on CPU N only, PIN_CLIENT=M every
# smtp-source on CPU M only; unset (the default), the scheduler places them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_sink
pg_port=$(free_port)
mkfifo "$work/in"
${PIN_SINK:+taskset -c "$PIN_SINK"} java -Xms256m -Xmx1g ${PG_JAVA_OPTS:-} -cp "$JAR" dev.peregrine.bench.DiscardServer "$pg_port" ${INSTANCES:-} < "$work/in" > "$work/pg.out" 2>&1 &
pg_pid=$!; pids+=("$pg_pid")
exec 7> "$work/in"
wait_port "$pg_port"
source_cmd=(${PIN_CLIENT:+taskset -c "$PIN_CLIENT"} /usr/sbin/smtp-source)

# Warm the JIT, then measure. Reused sessions, then new connections: accept, greeting, QUIT and close run
# their own code paths, and without this the new-connection cells measured the JIT compiling them (C2 time
# counts as the server's CPU). Then rounds of 1- and 10-session new connections until a round leaves the
# JIT compiler threads under 20 ms of CPU (at most 10 rounds). The sink gets the same new-connection
# warm-up. Every run is bounded (-m).
"${source_cmd[@]}" -s 10 -m 20000 -l 1024 -d 127.0.0.1:"$pg_port" > /dev/null
"${source_cmd[@]}" -s 10 -m 10000 -l 1024 127.0.0.1:"$pg_port" > /dev/null
"${source_cmd[@]}" -s 10 -m 10000 -l 1024 127.0.0.1:"$sink_port" > /dev/null
for round in $(seq 1 10); do
  j0=$(jit_ns "$pg_pid")
  "${source_cmd[@]}" -s 1 -m 2000 -l 1024 127.0.0.1:"$pg_port" > /dev/null
  "${source_cmd[@]}" -s 10 -m 5000 -l 1024 127.0.0.1:"$pg_port" > /dev/null
  j1=$(jit_ns "$pg_pid")
  [ $((j1 - j0)) -lt 20000000 ] && break
done
echo "# warm-up: $round settling round(s), JIT $(( (j1 - j0) / 1000000 )) ms in the last" >&2

run() { # port pid args... -> "t0 t1 cpu_ns"
  local port=$1 pid=$2; shift 2
  local c0; c0=$(cpu_ns "$pid")
  local t0; t0=$(date +%s.%N)
  "${source_cmd[@]}" "$@" 127.0.0.1:"$port" > /dev/null
  local t1; t1=$(date +%s.%N)
  local c1; c1=$(cpu_ns "$pid")
  echo "$t0 $t1 $((c1 - c0))"
}

printf "%-6s %-8s %-6s %12s %12s %7s %14s %14s\n" size sessions mode smtp-sink peregrine ratio sink-cpu/1k peregrine-cpu/1k
for size in ${SIZES:-1024 102400}; do
  for sessions in ${SESSIONS:-1 10 50}; do
    for mode in ${MODES:-reuse new}; do
      if [ "$size" = 1024 ]; then msgs=$(( sessions == 1 ? 4000 : 20000 )); else msgs=$(( sessions == 1 ? 1000 : 4000 )); fi
      [ "$mode" = new ] && msgs=$(( msgs / 2 ))
      flags=(-s "$sessions" -m "$msgs" -l "$size" -f a@example.org -t b@example.com)
      [ "$mode" = reuse ] && flags+=(-d)
      for target in sink pg; do : > "$work/$target.rates"; : > "$work/$target.cpu"; done
      for _ in $(seq 1 "$RUNS"); do
        for target in sink pg; do
          if [ "$target" = sink ]; then out=$(run "$sink_port" "$sink_pid" "${flags[@]}"); else out=$(run "$pg_port" "$pg_pid" "${flags[@]}"); fi
          read -r t0 t1 ns <<< "$out"
          awk -v m="$msgs" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f\n", m / (b - a)}' >> "$work/$target.rates"
          awk -v t="$ns" -v m="$msgs" 'BEGIN {printf "%.3f\n", t / 1e9 / m * 1000}' >> "$work/$target.cpu"
        done
      done
      s=$(median < "$work/sink.rates"); p=$(median < "$work/pg.rates")
      sc=$(median < "$work/sink.cpu"); pc=$(median < "$work/pg.cpu")
      printf "%-6s %-8s %-6s %12s %12s %7.2f %14s %14s\n" "$size" "$sessions" "$mode" "$s" "$p" "$(ratio "$p" "$s")" "$sc" "$pc"
      if [ -n "${VERBOSE:-}" ]; then
        echo "#   runs msgs/s sink: $(paste -sd' ' "$work/sink.rates")  peregrine: $(paste -sd' ' "$work/pg.rates")"
        echo "#   runs cpu/1k sink: $(paste -sd' ' "$work/sink.cpu")  peregrine: $(paste -sd' ' "$work/pg.cpu")"
      fi
    done
  done
done
