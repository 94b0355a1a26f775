#!/usr/bin/env bash
# End-to-end server benchmark: Postfix smtp-source -> Postfix smtp-sink against smtp-source -> Peregrine
# (DiscardServer: every message read and discarded), same smtp-source arguments, same run, loopback only.
#
# Prerequisites:  mvn -B -q install -DskipTests && mvn -B -q -f benchmarks/pom.xml package
# Usage:          benchmarks/server-bench.sh            (BENCH_JAR=path/to/benchmarks.jar to override)
# Prints one line per cell: size, sessions, mode, median msgs/s of 3 runs for each server, the ratio,
# and CPU seconds per 1,000 messages of each server process.
# Filters (space-separated lists, default all): SIZES="1024 102400", SESSIONS="1 10 50", MODES="reuse new";
# e.g. MODES=new SIZES=1024 benchmarks/server-bench.sh runs only the 1 KiB new-connection cells.
# PG_JAVA_OPTS adds JVM options to Peregrine's JVM (e.g. a JFR recording).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_sink
pg_port=$(free_port)
mkfifo "$work/in"
java -Xms256m -Xmx1g ${PG_JAVA_OPTS:-} -cp "$JAR" dev.peregrine.bench.DiscardServer "$pg_port" ${INSTANCES:-} < "$work/in" > "$work/pg.out" 2>&1 &
pg_pid=$!; pids+=("$pg_pid")
exec 7> "$work/in"
wait_port "$pg_port"
hz=$(getconf CLK_TCK)

# Warm the JIT once, then measure: reused sessions, then new connections (accept, greeting, QUIT, close
# run their own code paths; without this the first new-connection cells measure the JIT). Both sinks get
# the same new-connection warm-up, so that both start from the same TIME_WAIT state. Bounded runs.
/usr/sbin/smtp-source -s 10 -m 20000 -l 1024 -d 127.0.0.1:"$pg_port" > /dev/null
/usr/sbin/smtp-source -s 10 -m 10000 -l 1024 127.0.0.1:"$pg_port" > /dev/null
/usr/sbin/smtp-source -s 10 -m 10000 -l 1024 127.0.0.1:"$sink_port" > /dev/null

run() { # port pid args... -> "msgs_per_s cpu_ticks"
  local port=$1 pid=$2; shift 2
  local c0; c0=$(cpu_ticks "$pid")
  local t0; t0=$(date +%s.%N)
  /usr/sbin/smtp-source "$@" 127.0.0.1:"$port" > /dev/null
  local t1; t1=$(date +%s.%N)
  local c1; c1=$(cpu_ticks "$pid")
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
      for target in sink pg; do
        : > "$work/$target.rates"; : > "$work/$target.cpu"
        for _ in $(seq 1 "$RUNS"); do
          if [ "$target" = sink ]; then out=$(run "$sink_port" "$sink_pid" "${flags[@]}"); else out=$(run "$pg_port" "$pg_pid" "${flags[@]}"); fi
          read -r t0 t1 ticks <<< "$out"
          awk -v m="$msgs" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f\n", m / (b - a)}' >> "$work/$target.rates"
          awk -v t="$ticks" -v hz="$hz" -v m="$msgs" 'BEGIN {printf "%.3f\n", t / hz / m * 1000}' >> "$work/$target.cpu"
        done
      done
      s=$(median < "$work/sink.rates"); p=$(median < "$work/pg.rates")
      sc=$(median < "$work/sink.cpu"); pc=$(median < "$work/pg.cpu")
      printf "%-6s %-8s %-6s %12s %12s %7.2f %14s %14s\n" "$size" "$sessions" "$mode" "$s" "$p" "$(ratio "$p" "$s")" "$sc" "$pc"
    done
  done
done
