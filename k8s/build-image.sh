#!/usr/bin/env bash
# Builds Peregrine's container image with podman from Debian's packages alone (no Docker Hub), and with
# --smoke runs it once: ready, one message to a local domain, the Maildir on the volume, a clean stop.
#
#   bash k8s/build-image.sh [--smoke] [--rebuild-base] [--tag NAME]     (as root; about 3 minutes the first time)
#
# 1. localhost/peregrine-debian:bookworm: a minimal Debian root file system made with debootstrap from the
#    machine's own Debian mirror (DEBIAN_MIRROR overrides it), imported as an image.
# 2. localhost/peregrine-jre:17 and localhost/peregrine-jdk:17: Debian's OpenJDK 17 on it (k8s/image/base.Containerfile).
#    Steps 1-2 are skipped when the images exist (--rebuild-base makes them again).
# 3. The Containerfile with BUILD_IMAGE and RUNTIME_IMAGE set to those, tagged localhost/peregrine:0.1.0.
#    The build stage sees the host's CA certificates (/etc/ssl/certs, read-only), so Maven reaches Maven
#    Central through whatever TLS setup the host's own Maven uses.
#
# podman runs with a private containers.conf unless CONTAINERS_CONF is set: runc (crun refuses hybrid cgroup
# hierarchies), cgroupfs (no systemd), and ulimits no higher than this shell's (podman's defaults are higher
# than an unprivileged root may set in some sandboxes).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=false rebuild=false tag=localhost/peregrine:0.1.0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=true ;;
    --rebuild-base) rebuild=true ;;
    --tag) tag="$2"; shift ;;
    *) echo "usage: $0 [--smoke] [--rebuild-base] [--tag NAME]" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "build-image: run as root (debootstrap and rootful podman)" >&2; exit 2; }

need=()
for p in podman debootstrap runc netavark aardvark-dns; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "build-image: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${CONTAINERS_CONF:-}" ]; then
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
  nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -gt 16384 ] && nproc=16384
  cat > "$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  export CONTAINERS_CONF="$work/containers.conf"
fi

t0=$(date +%s)
step() { echo "build-image: $(( $(date +%s) - t0 ))s: $*"; }

if $rebuild || ! podman image exists localhost/peregrine-debian:bookworm; then
  mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -1)}
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  [ -n "$mirror" ] || { echo "build-image: no Debian mirror found in the apt sources; set DEBIAN_MIRROR" >&2; exit 1; }
  step "debootstrap bookworm (minbase)"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/*
  tar -C "$work/rootfs" -c . | podman import -q - localhost/peregrine-debian:bookworm >/dev/null
  rm -rf "$work/rootfs"
fi
for target in jre jdk; do
  if $rebuild || ! podman image exists "localhost/peregrine-$target:17"; then
    step "base image localhost/peregrine-$target:17"
    podman build -q --format docker -f k8s/image/base.Containerfile --target "$target" \
      -t "localhost/peregrine-$target:17" k8s/image >/dev/null
  fi
done

step "image $tag"
podman build -q --format docker --volume /etc/ssl/certs:/etc/ssl/certs:ro \
  --build-arg BUILD_IMAGE=localhost/peregrine-jdk:17 --build-arg RUNTIME_IMAGE=localhost/peregrine-jre:17 \
  -t "$tag" . >/dev/null
step "built $tag ($(podman image inspect "$tag" --format '{{.Size}}' | awk '{ printf "%d MB", $1 / 1e6 }'))"
$smoke || exit 0

# The smoke run, as Kubernetes runs it (k8s/statefulset.yaml): a read-only root file system with /tmp on a
# tmpfs, every capability dropped, no privilege escalation, the spool on a volume; published on loopback only.
name=peregrine-smoke-$$
podman volume create "$name" >/dev/null
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman volume rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "build-image: smoke: FAILED: $*" >&2; podman logs "$name" 2>&1 | tail -20 >&2; exit 1; }
podman run -d --name "$name" --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
  -v "$name:/var/spool/peregrine" -p 127.0.0.1::2525 -p 127.0.0.1::8025 "$tag" >/dev/null 2>"$work/run.err" \
  || { cat "$work/run.err" >&2; fail "podman run"; }
smtp=$(podman port "$name" 2525/tcp) http=$(podman port "$name" 8025/tcp)
for _ in $(seq 1 60); do
  curl -fsS "http://$http/ready" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://$http/ready" >/dev/null || fail "/ready did not answer 200 within 60 s"
step "smoke: ready (SMTP on $smtp, HTTP on $http)"
podman healthcheck run "$name" >/dev/null 2>&1 || fail "the HEALTHCHECK (GET /health) failed"
swaks --server "$smtp" --from smoke@example.org --to user@localhost --header "Subject: image smoke $$" \
  > "$work/swaks.log" 2>&1 || { cat "$work/swaks.log" >&2; fail "swaks"; }
grep -q '^<- *250 2.0.0 OK queued as' "$work/swaks.log" || fail "no 250 for the message"
for _ in $(seq 1 20); do
  podman exec "$name" sh -c 'grep -l "image smoke" /var/spool/peregrine/maildir/new/* >/dev/null 2>&1' && break
  sleep 0.5
done
podman exec "$name" sh -c 'grep -l "image smoke" /var/spool/peregrine/maildir/new/* >/dev/null 2>&1' \
  || fail "the message is not in the Maildir on the volume"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$http/queue")
[ "$code" = 403 ] || fail "/queue answered $code to a client outside the container, not 403"
podman exec "$name" peregrine queue list >/dev/null || fail "peregrine queue list inside the container"
step "smoke: delivered to the Maildir on the volume; /health ok; /queue 403 from outside, answered inside"
podman stop -t 40 "$name" >/dev/null 2>&1
exit_code=$(podman inspect "$name" --format '{{.State.ExitCode}}')
# 143: the JVM's exit status after SIGTERM once its shutdown hook (the graceful stop) has run.
[ "$exit_code" = 143 ] || [ "$exit_code" = 0 ] || fail "exit status $exit_code after SIGTERM"
step "smoke: stopped by SIGTERM (exit $exit_code); passed"
