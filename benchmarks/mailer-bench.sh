#!/usr/bin/env bash
# Mailer benchmark: Peregrine's Mailer against the Vert.x mail client, both sending to 5 mail exchangers
# (Postfix smtp-sink each) at 127.0.0.2-6 behind DelayProxy (DELAY_MS, default 5, each way: a 10 ms round
# trip). Recipients: 1,000 in 50 domains; dnsmasq on loopback serves their MX and A records. Peregrine
# resolves MX itself and pools at most CAP (default 10) sessions per exchanger; the Vert.x mail client, which
# has no MX lookup, gets one MailClient per exchanger with a pool of CAP and the routing for free.
# 1 KiB and 100 KiB; median of RUNS (3); msgs/s, CPU seconds per 1,000 messages, and Peregrine's sessions
# opened per 1,000 messages.
#
# SIZES ("1024 102400") filters; MSG_SCALE scales the message counts; CSV=FILE appends a row per run (lib.sh;
# scenario "mailer", sessions = CAP per exchanger, note = Peregrine's sessions opened per 1,000 messages).
#
# Prerequisites: as for client-bench.sh, plus dnsmasq.    Usage: benchmarks/mailer-bench.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DELAY_MS=${DELAY_MS:-5}
CAP=${CAP:-10}

# DNS: d0.test ... d49.test → MX mx(d % 5).test → 127.0.0.(2 + d % 5).
dns_port=$(free_port)
dns_args=()
for h in 0 1 2 3 4; do dns_args+=(--host-record=mx$h.test,127.0.0.$((h + 2))); done
for d in $(seq 0 49); do dns_args+=(--mx-host=d$d.test,mx$((d % 5)).test,10); done
/usr/sbin/dnsmasq --keep-in-foreground --port="$dns_port" --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --user="$(id -un)" --local=/test/ --local-ttl=3600 \
  "${dns_args[@]}" > "$work/dnsmasq.out" 2>&1 &
pids+=($!)
wait_port "$dns_port"

# Five sinks on 127.0.0.1, each behind a delay proxy listening on its exchanger's address, one common port.
mx_port=$(free_port)
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
for h in 0 1 2 3 4; do
  p=$(free_port)
  /usr/sbin/smtp-sink "${user[@]}" 127.0.0.1:"$p" 1000 > "$work/sink$h.out" 2>&1 &
  pids+=($!)
  wait_port "$p"
  java -cp "$JAR" dev.peregrine.bench.DelayProxy "$mx_port" 127.0.0.1 "$p" "$DELAY_MS" 127.0.0.$((h + 2)) \
    > "$work/proxy$h.out" 2>&1 &
  pids+=($!)
  [ -n "$(wait_line "$work/proxy$h.out" listening)" ] || { echo "delay proxy $h did not start" >&2; exit 1; }
done

mailer_run() {
  java -cp "$JAR" dev.peregrine.bench.MailerLoad "$@" \
    | awk '/^msgs\/s/ {r = $2} /^cpu-s-per-1000/ {c = $2} /^sessions-per-1000/ {s = $2} END {print r, c, (s == "" ? "-" : s)}'
}

for size in ${SIZES:-1024 102400}; do
  # About 3-10 s per measured pass at 10 ms.
  if [ "$size" = 1024 ]; then msgs_vertx=3000; msgs_pg=30000; else msgs_vertx=1000; msgs_pg=6000; fi
  msgs_vertx=$(scaled "$msgs_vertx" 100); msgs_pg=$(scaled "$msgs_pg" 250)
  for who in vertx-mail peregrine; do
    : > "$work/$who.rate"; : > "$work/$who.cpu"; : > "$work/$who.sessions"
    for r in $(seq 1 "$RUNS"); do
      msgs=$msgs_vertx; [ "$who" = peregrine ] && msgs=$msgs_pg
      read -r rate cpu sessions <<< "$(mailer_run "$who" "$dns_port" "$mx_port" "$msgs" "$size" "$CAP")"
      echo "$rate" >> "$work/$who.rate"; echo "$cpu" >> "$work/$who.cpu"; echo "$sessions" >> "$work/$who.sessions"
      csv_row mailer "$who" "$size" "$CAP" reuse none "rtt$(( 2 * DELAY_MS ))ms" "$r" "$rate" "$cpu" "" "" "msgs=$msgs domains=50 exchangers=5 sessions_per_1000=$sessions"
    done
  done
  v=$(median < "$work/vertx-mail.rate"); p=$(median < "$work/peregrine.rate")
  echo "== $size bytes: 5 exchangers, round trip $(( 2 * DELAY_MS )) ms added, $CAP sessions per exchanger, median of $RUNS"
  printf "%-12s %8s %8s %14s\n" client msg/s cpu/1k sessions/1k
  printf "%-12s %8s %8s %14s\n" vertx-mail "$v" "$(median < "$work/vertx-mail.cpu")" "-"
  printf "%-12s %8s %8s %14s\n" peregrine "$p" "$(median < "$work/peregrine.cpu")" "$(median < "$work/peregrine.sessions")"
  echo "peregrine vs vertx-mail $(ratio "$p" "$v")x"
done
