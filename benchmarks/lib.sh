# Shared by the benchmark scripts (sourced, not run): the jar, a scratch directory, processes stopped on
# exit, free loopback ports, waiting for a port, medians, CPU ticks of a process, and Postfix smtp-sink.
JAR=${BENCH_JAR:-$(dirname "$0")/target/benchmarks.jar}
# procs.py: the processes of a session, CPU ns of a process or a Postfix instance, waiting for smtp-sink's count.
PROCS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/procs.py
RUNS=${RUNS:-3}
work=$(mktemp -d)
pids=()
# A private Postfix instance (start_postfix_discard, below) is stopped first.
pfd_master=
cleanup() { pfd_stop; for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
# A TERM or INT (run-all.sh's timeout, Ctrl-C) ends the script through its EXIT trap, so cleanup runs.
trap 'exit 143' TERM
trap 'exit 130' INT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
# Waits (bounded) until FILE has a line starting with WORD; prints that line's second field.
wait_line() { for _ in $(seq 1 400); do grep -q "^$2" "$1" 2>/dev/null && break; sleep 0.05; done; grep -m1 "^$2" "$1" | awk '{print $2}'; }
# Waits (bounded, 60 s) until a `serve` process (PID) wrote "SMTP listening" to LOG; else says so and exits.
await_serve() {
  for _ in $(seq 1 600); do grep -q "SMTP listening" "$2" && break; kill -0 "$1" || break; sleep 0.1; done
  grep -q "SMTP listening" "$2" || { echo "peregrine ($2) did not start" >&2; tail -20 "$2" >&2; exit 1; }
}
# SIGTERM to each PID, at most 10 s for each to stop, then SIGKILL (a spool survives that by design).
term_wait() {
  local p
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# CPU nanoseconds run by every thread of a process so far (schedstat: exact, where ticks are 10 ms samples);
# jit_ns counts only a JVM's JIT compiler threads.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
jit_ns() { for t in /proc/"$1"/task/*; do case "$(cat "$t/comm" 2>/dev/null)" in C1\ Compi*|C2\ Compi*) cat "$t/schedstat";; esac; done | awk '{s += $1} END {printf "%.0f\n", s}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) printf "-"; else printf "%.2f", a / b}'; }

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
# Each run bounded by RUN_TIMEOUT seconds (default 300): a run cut short prints no numbers.
java_run() {
  timeout "${RUN_TIMEOUT:-300}" ${PIN_CLIENT:+taskset -c "$PIN_CLIENT"} java -cp "$JAR" dev.peregrine.bench.ClientLoad "$@" | { echo "== ClientLoad $*"; cat; } | tee -a "${BENCH_LOG:-/dev/null}" | awk '/^msgs\/s/ {r = $2} /^cpu-s-per-1000/ {c = $2} END {print r, c}'
}

# Machine-readable output, used by run-all.sh: with CSV=FILE every measured run appends one row
#   scenario,impl,size,sessions,mode,durability,net,run,msgs_per_s,cpu_s_per_1000,p50_ms,p99_ms,note
# (empty where a column does not apply). The human tables on stdout are unchanged.
CSV_HEADER=scenario,impl,size,sessions,mode,durability,net,run,msgs_per_s,cpu_s_per_1000,p50_ms,p99_ms,note
csv_row() {
  [ -n "${CSV:-}" ] || return 0
  [ -s "$CSV" ] || echo "$CSV_HEADER" > "$CSV"
  local IFS=,; echo "$*" >> "$CSV"
}
# MSG_SCALE (default 1) scales every scenario's message counts (run-all.sh --smoke uses a small one);
# scaled MSGS: at least MIN (default 1).
scaled() { awk -v n="$1" -v f="${MSG_SCALE:-1}" -v m="${2:-1}" 'BEGIN {v = int(n * f); print (v < m ? m : v)}'; }

# Python aiosmtpd (Debian's python3-aiosmtpd, so /usr/bin/python3) with its Sink handler (reads each message, keeps nothing) on a free loopback port; sets
# aio_port and aio_pid.
start_aiosmtpd() {
  aio_port=$(free_port)
  /usr/bin/python3 -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l 127.0.0.1:"$aio_port" > "$work/aiosmtpd.out" 2>&1 &
  aio_pid=$!; pids+=("$aio_pid")
  wait_port "$aio_port"
}

# A private Postfix instance (its own config, queue and data directories under $work, never /etc/postfix):
# smtpd on a free loopback port, every recipient accepted from 127.0.0.0/8 and delivered by the discard
# transport. Its durability is Postfix's own: cleanup fsyncs each queue file before smtpd answers 250.
# Sets pfd_port and pfd_master; pfd_stop (called by cleanup) stops it. Needs root.
start_postfix_discard() {
  local d=$work/pfd
  pfd_port=$(free_port)
  chmod 755 "$work"
  mkdir -p "$d/conf" "$d/queue" "$d/data"; chmod 755 "$d"; chown postfix "$d/data"
  cat > "$d/conf/main.cf" << PFEOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix-discard.bench
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_client_connection_count_limit = 1000
smtpd_peername_lookup = no
default_process_limit = 300
message_size_limit = 0
default_transport = discard
relay_transport = discard
local_transport = discard
maillog_file = $d/maillog
maillog_file_prefixes = $d
PFEOF
  { echo "127.0.0.1:$pfd_port inet n - n - - smtpd"
    printf '%s\n' "cleanup unix n - n - 0 cleanup" "qmgr unix n - n 300 1 qmgr" "rewrite unix - - n - - trivial-rewrite" \
      "bounce unix - - n - 0 bounce" "defer unix - - n - 0 bounce" "trace unix - - n - 0 bounce" \
      "verify unix - - n - 1 verify" "flush unix n - n 1000? 0 flush" "proxymap unix - - n - - proxymap" \
      "error unix - - n - - error" "retry unix - - n - - error" "discard unix - - n - - discard" \
      "anvil unix - - n - 1 anvil" "scache unix - - n - 1 scache" "postlog unix-dgram n - n - 1 postlogd" \
      "showq unix n - n - - showq" "pickup unix n - n 60 1 pickup"; } > "$d/conf/master.cf"
  /usr/sbin/postfix -c "$d/conf" start > "$work/pfd.start" 2>&1 \
    || { echo "postfix did not start" >&2; cat "$work/pfd.start" "$d/maillog" >&2 2>/dev/null; return 1; }
  for _ in $(seq 1 100); do [ -s "$d/queue/pid/master.pid" ] && break; sleep 0.1; done
  pfd_master=$(tr -d ' \n' < "$d/queue/pid/master.pid")
  wait_port "$pfd_port"
}
# The processes of the instance (the master leads a session; its children share it), and the CPU ns of the
# whole instance: live processes (schedstat) plus the children the master reaped (cutime + cstime).
pfd_pids() { python3 "$PROCS" pids "$pfd_master"; }
pfd_cpu_ns() { python3 "$PROCS" cpu "$pfd_master" postfix; }
pfd_stop() {
  [ -n "$pfd_master" ] || return 0
  /usr/sbin/postfix -c "$work/pfd/conf" stop > /dev/null 2>&1 || true
  for _ in $(seq 1 100); do kill -0 "$pfd_master" 2>/dev/null || break; sleep 0.1; done
  for p in $(pfd_pids); do kill -9 "$p" 2>/dev/null || true; done
  pfd_master=
}
