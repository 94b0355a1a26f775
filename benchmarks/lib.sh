# Shared by the benchmark scripts (sourced, not run): the jar, a scratch directory, processes stopped on
# exit, free loopback ports, waiting for a port, medians, CPU ticks of a process, and Postfix smtp-sink.
JAR=${BENCH_JAR:-$(dirname "$0")/target/benchmarks.jar}
RUNS=${RUNS:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
# Waits (bounded) until FILE has a line starting with WORD; prints that line's second field.
wait_line() { for _ in $(seq 1 400); do grep -q "^$2" "$1" 2>/dev/null && break; sleep 0.05; done; grep -m1 "^$2" "$1" | awk '{print $2}'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# CPU nanoseconds run by every thread of a process so far (schedstat: exact, where ticks are 10 ms samples);
# jit_ns counts only a JVM's JIT compiler threads.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
jit_ns() { for t in /proc/"$1"/task/*; do case "$(cat "$t/comm" 2>/dev/null)" in C1\ Compi*|C2\ Compi*) cat "$t/schedstat";; esac; done | awk '{s += $1} END {printf "%.0f\n", s}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# CPU pinning, used by client-bench.sh: with PIN_SINK=N the sink runs on CPU N only, with PIN_CLIENT=M every
# client process (smtp-source, the JVMs) on CPU M only (through ${PIN_CLIENT:+taskset ...}). Unset: none.

# Starts Postfix smtp-sink on a free loopback port (extra arguments go before the address); sets
# sink_port and sink_pid. smtp-sink refuses to run as root without -u.
start_sink() {
  sink_port=$(free_port)
  local user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
  /usr/sbin/smtp-sink "${user[@]}" "$@" 127.0.0.1:"$sink_port" 1000 > "$work/sink.out" 2>&1 &
  sink_pid=$!; pids+=("$sink_pid")
  if [ -n "${PIN_SINK:-}" ]; then taskset -pc "$PIN_SINK" "$sink_pid" > /dev/null; fi
  wait_port "$sink_port"
}

# smtp-source ARGS... against 127.0.0.1:PORT (last argument): prints "msgs/s cpu-seconds-per-1000" for
# MESSAGES (the value after -m), the CPU being smtp-source's own (user + system).
source_run() {
  local port=${*: -1} msgs t0 t1 cpu
  msgs=$(printf '%s\n' "$@" | awk 'p {print; exit} $0 == "-m" {p = 1}')
  t0=$(date +%s.%N)
  cpu=$( { /usr/bin/time -f '%U %S' ${PIN_CLIENT:+taskset -c "$PIN_CLIENT"} /usr/sbin/smtp-source "${@:1:$#-1}" 127.0.0.1:"$port" > /dev/null; } 2>&1 | tail -1)
  t1=$(date +%s.%N)
  awk -v m="$msgs" -v a="$t0" -v b="$t1" -v c="$cpu" 'BEGIN {split(c, u, " "); printf "%.0f %.3f\n", m / (b - a), (u[1] + u[2]) * 1000 / m}'
}

# ClientLoad WHO HOST PORT SESSIONS MESSAGES SIZE: prints "msgs/s cpu-seconds-per-1000".
java_run() {
  ${PIN_CLIENT:+taskset -c "$PIN_CLIENT"} java -cp "$JAR" dev.peregrine.bench.ClientLoad "$@" | { echo "== ClientLoad $*"; cat; } | tee -a "${BENCH_LOG:-/dev/null}" | awk '/^msgs\/s/ {r = $2} /^cpu-s-per-1000/ {c = $2} END {print r, c}'
}
