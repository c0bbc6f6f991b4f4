#!/usr/bin/env bash
# make bench: whole-command timings against their anchors, on this machine.
# Prints one table: work, repro's median, the anchor's median, the ratio,
# the target and pass/fail. Everything runs on 127.0.0.1; state is under a
# temporary directory removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${BENCH_RUNS:-3}
size_mib=${BENCH_CONTEXT_MIB:-1024}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/repro-bench.XXXXXX")
trap 'kill $registry_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
registry_pid=

repro=$root/bin/repro
[ -x "$repro" ] || { echo "bench: run make build first" >&2; exit 1; }
export REPRO_LEDGER=$tmp/ledger.db

# crane, the anchor for build and push, from the Go module proxy.
crane_version=$(go list -m -f '{{.Version}}' github.com/google/go-containerregistry)
GOBIN=$tmp/bin go install "github.com/google/go-containerregistry/cmd/crane@$crane_version"
crane=$tmp/bin/crane

# A registry with request logs, so uploads can be counted.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
registry=127.0.0.1:$port
cat >"$tmp/registry.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: $registry
YAML
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fsS "http://$registry/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

uploads() { grep -cE '"(PATCH|PUT) /v2/[^ ]*/blobs/uploads' "$tmp/registry.log" || true; }

# The context: many small files and a few large ones, incompressible like
# model weights and packed data.
echo "bench: writing a ${size_mib} MiB context" >&2
ctx=$tmp/context
mkdir -p "$ctx/small"
large=$((size_mib / 2 / 4))
for i in 1 2 3 4; do head -c "${large}M" /dev/urandom >"$ctx/large-$i.bin"; done
small_total=$((size_mib - large * 4))
n_small=$((small_total * 4)) # 256 KiB each
head -c "${small_total}M" /dev/urandom | split -b 256K -a 5 - "$ctx/small/part-"
echo "bench: $(find "$ctx" -type f | wc -l) files, $(du -sm "$ctx" | cut -f1) MiB" >&2

# seconds CMD...: wall seconds of one run.
seconds() {
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null 2>>"$tmp/errors"
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

repro_t=() crane_t=()
first_before=$(uploads)
for i in $(seq "$runs"); do
	repro_t+=("$(seconds "$repro" build "$ctx" --repo "$registry/bench/repro-$i" --version 1.0.0)")
	crane_t+=("$(seconds sh -c "tar -cf '$tmp/ctx-$i.tar' -C '$ctx' . && '$crane' append -f '$tmp/ctx-$i.tar' -t '$registry/bench/crane-$i:1.0.0' && rm -f '$tmp/ctx-$i.tar'")")
done
first_uploads=$(( $(uploads) - first_before ))
repro_build=$(printf '%s\n' "${repro_t[@]}" | median)
crane_build=$(printf '%s\n' "${crane_t[@]}" | median)

before=$(uploads)
second=$(seconds "$repro" build "$ctx" --repo "$registry/bench/repro-1" --version 1.0.0)
second_uploads=$(( $(uploads) - before ))

# Data: repro digest against the coreutils pipeline that defines it.
digest_t=() coreutils_t=()
for i in $(seq "$runs"); do
	digest_t+=("$(seconds "$repro" digest "$ctx")")
	coreutils_t+=("$(seconds sh -c "cd '$ctx' && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum -- | sha256sum")")
done
repro_digest=$(printf '%s\n' "${digest_t[@]}" | median)
coreutils_digest=$(printf '%s\n' "${coreutils_t[@]}" | median)

ratio() { echo "scale=2; $1 / $2" | bc -l; }
verdict() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo pass; else echo FAIL; fi; }

printf '\n%-44s %10s %10s %7s %8s %s\n' "work" "repro s" "anchor s" "ratio" "target" "result"
r=$(ratio "$repro_build" "$crane_build")
printf '%-44s %10.2f %10.2f %7s %8s %s\n' "build+push ${size_mib} MiB (anchor: tar + crane append)" "$repro_build" "$crane_build" "$r" "<= 1.0" "$(verdict "$r" 1.0)"
printf '%-44s %10s %10s %7s %8s %s\n' "upload requests, all first pushes (repro+crane)" "-" "-" "$first_uploads" "> 0" "$( [ "$first_uploads" -gt 0 ] && echo pass || echo FAIL)"
printf '%-44s %10.2f %10s %7s %8s %s\n' "second push, unchanged: upload requests" "$second" "-" "$second_uploads" "0" "$( [ "$second_uploads" -eq 0 ] && echo pass || echo FAIL)"
r=$(ratio "$repro_digest" "$coreutils_digest")
printf '%-44s %10.2f %10.2f %7s %8s %s\n' "digest ${size_mib} MiB (anchor: coreutils pipeline)" "$repro_digest" "$coreutils_digest" "$r" "<= 1.0" "$(verdict "$r" 1.0)"
echo
echo "medians of $runs runs; errors, if any, in the commands' stderr:" >&2
cat "$tmp/errors" >&2 || true

echo "Go benchmarks:"
go test -run '^$' -bench . -benchmem ./...
