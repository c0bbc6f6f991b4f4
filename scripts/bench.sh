#!/usr/bin/env bash
# make bench: whole-command timings against their anchors on this machine,
# as one table: work, repro's median, the anchor's median, the ratio, the
# target, pass/fail. Everything runs on 127.0.0.1; state lives in a
# temporary directory removed at the end. BENCH_SMALL=1 shrinks the data
# for a quick look (the targets are for the full sizes); BENCH_ONLY picks
# sections (words of: code data ledger lineage build run check team).
# The team section (a PostgreSQL ledger beside SQLite) pushes and queries
# BENCH_TEAM_RUNS runs (default 100,000; the 1,000,000 of the targets take
# it about 9 minutes more, so they are asked for by name).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${BENCH_RUNS:-3}
small=${BENCH_SMALL:-}
only=${BENCH_ONLY:-code data ledger lineage build run check team}
team_runs=${BENCH_TEAM_RUNS:-100000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/repro-bench.XXXXXX")
registry_pid=
slurm_dir=
pg_dir=
pinned=
bg_pids=() # inputs being made; on exit, they and what they started are stopped
trap 'for p in "${bg_pids[@]}"; do pkill -P "$p"; kill "$p"; done 2>/dev/null; kill $registry_pid 2>/dev/null || true; [ -z "$slurm_dir" ] || scripts/slurm-cluster.sh stop "$slurm_dir"; [ -z "$pg_dir" ] || { scripts/pg-cluster.sh stop "$pg_dir"; rm -rf "$pg_dir"; }; [ -z "$pinned" ] || docker image rm -f "$pinned" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

repro=$root/bin/repro
[ -x "$repro" ] || { echo "bench: run make build first" >&2; exit 1; }
missing=()
for pair in docker-registry:docker-registry sqlite3:sqlite3 bc:bc curl:curl python3:python3 /usr/bin/time:time; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ "${#missing[@]}" -eq 0 ] || { echo "bench: needs the Debian packages ${missing[*]}: apt-get install ${missing[*]}" >&2; exit 1; }
export REPRO_LEDGER=$tmp/ledger.db XDG_DATA_HOME=$tmp/share # runs without --out keep outputs under it
export XDG_CONFIG_HOME=$tmp/config # the signing key the bench makes
say() { echo "bench: [${SECONDS}s] $*" >&2; }
want() { [[ " $only " == *" $1 "* ]]; }

# seconds CMD...: wall seconds of one run of CMD.
seconds() {
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null 2>>"$tmp/errors"
	end=$(date +%s.%N)
	printf '%.3f\n' "$(echo "$end - $start" | bc -l)"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed CMD...: median wall seconds of $runs runs after one warm-up.
timed() {
	"$@" >/dev/null 2>>"$tmp/errors" || true
	for _ in $(seq "$runs"); do seconds "$@"; done | median
}
# paired A B: runs the commands A and B (each a string of shell words,
# quoted with printf %q) in turn, A B A B ..., $runs times after one
# warm-up of each (of A only with warm_b=0, when A's warm-up also warms
# what B reads), and prints the median of A, the median of B, and the
# median of the differences A - B in ms: a difference taken pair by pair
# holds when the machine's speed drifts.
paired() {
	local a b as=() bs=() d=()
	eval "$1" >/dev/null 2>>"$tmp/errors" || true
	[ "${warm_b:-1}" = 0 ] || eval "$2" >/dev/null 2>>"$tmp/errors" || true
	for _ in $(seq "$runs"); do
		a=$(seconds eval "$1")
		b=$(seconds eval "$2")
		as+=("$a") bs+=("$b") d+=("$(echo "($a - $b) * 1000" | bc -l)")
	done
	printf '%s %s %s\n' "$(printf '%s\n' "${as[@]}" | median)" "$(printf '%s\n' "${bs[@]}" | median)" \
		"$(printf '%s\n' "${d[@]}" | median | cut -d. -f1)"
}
ratio() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }
rows=()
row() { # work repro anchor ratio target verdict
	rows+=("$(printf '%-52s %9s %9s %7s %8s %s' "$@")")
}
judge() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo pass; else echo FAIL; fi; }

# --- The inputs. Git repositories of 20,000 and 100,000 files.
gitrepo() { # DIR FILES
	mkdir -p "$1"
	(cd "$1" && git init -q && python3 -c "
import os, sys
n = int(sys.argv[1])
for i in range(n):
    d = 'd%d' % (i // 100)
    os.makedirs(d, exist_ok=True)
    open('%s/f%d.py' % (d, i), 'w').write('x = %d\n' % i)
" "$2" && printf '*.log\n' >.gitignore && git add -A && git -c user.name=b -c user.email=b@example.invalid -c gc.auto=0 commit -qm init &&
		git gc -q) # packed, as a clone is; and no gc left running in the background while the timings run
}
repos=(20000 100000)
[ -n "$small" ] && repos=(2000 10000)
want code || repos=("${repos[0]}") # run needs the smaller one only

# Datasets: the two the targets name, 2 GiB in 1,000 files and
# in 100,000 (21 KiB each), and 100,000 tiny files (200 bytes), where only
# the cost per file shows.
big=$tmp/data-big
many=$tmp/data-many
tiny=$tmp/data-tiny
n_many=100000
data_mib=2048
[ -n "$small" ] && n_many=10000 data_mib=256
# files ROOT N BYTES: N files of BYTES bytes each, 1,000 to a directory,
# each different.
files() {
	python3 -c "
import os, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blob = os.urandom(size + 4096)
for i in range(n):
    d = os.path.join(root, 'd%d' % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'f%d' % i), 'wb') as f:
        f.write(b'%08d' % i + blob[i % 4096:i % 4096 + size - 8])
" "$1" "$2" "$3"
}
datasets() {
	mkdir -p "$big"
	head -c "${data_mib}M" /dev/urandom | split -b $((data_mib * 1024 * 1024 / 1000 + 1)) -a 4 - "$big/part-"
	files "$many" "$n_many" $((data_mib * 1024 * 1024 / n_many))
	if want data; then files "$tiny" "$n_many" 200; fi
}

# A ledger of a million realistic runs, for the lineage queries (200
# images, 5,000 commits, 2,000 dataset versions, every tenth run trained on
# an earlier run's outputs; see runlog's TestFillLedger).
n_runs=1000000
[ -n "$small" ] && n_runs=100000
big_ledger=$tmp/big/ledger.db
fill() {
	local start=$SECONDS
	REPRO_FILL_LEDGER="$big_ledger" REPRO_FILL_RUNS="$n_runs" go test -count=1 -timeout 30m -run '^TestFillLedger$' ./runlog
	echo "filled in $((SECONDS - start))s"
}

# The build context (1 GiB: four large files, the rest in 256 KiB
# parts) and crane, at the version of go-containerregistry repro uses.
ctx=$tmp/context
size_mib=1024
[ -n "$small" ] && size_mib=128
buildinputs() {
	local crane_version
	crane_version=$(go list -m -f '{{.Version}}' github.com/google/go-containerregistry)
	GOBIN=$tmp/bin go install "github.com/google/go-containerregistry/cmd/crane@$crane_version"
	mkdir -p "$ctx/small"
	local large=$((size_mib / 8))
	for i in 1 2 3 4; do head -c "${large}M" /dev/urandom >"$ctx/large-$i.bin"; done
	head -c "$((size_mib - large * 4))M" /dev/urandom | split -b 256K -a 5 - "$ctx/small/part-"
}

# The inputs are made side by side, untimed (a million runs take SQLite
# minutes, on one core); nothing is timed until all are made.
# background LOG WHAT CMD...: CMD in the background, its output in
# $tmp/LOG.log.
background() {
	local log=$tmp/$1.log what=$2
	shift 2
	say "$what (in the background)"
	( "$@" >"$log" 2>&1 || { echo "bench: $what failed:" >&2; tail -20 "$log" >&2; exit 1; } ) &
	bg_pids+=($!)
}
want lineage && background fill "a ledger of $n_runs runs" fill
want build && background build "the build context and crane" buildinputs
if want code || want run; then
	for n in "${repos[@]}"; do
		background "repo-$n" "a git repository of $n files" gitrepo "$tmp/repo-$n" "$n"
	done
fi
if want data || want run; then
	say "datasets"
	datasets
fi
for pid in "${bg_pids[@]}"; do
	wait "$pid" || exit 1
done
bg_pids=()
want lineage && say "the ledger: $(tail -1 "$tmp/fill.log")"
say "inputs made"

# --- Code capture: repro tags reads commit, branch, remote and dirty state.
if want code; then
	for n in "${repos[@]}"; do
		# Tens of ms each: taken in turn (A B A B ...), at least 15 pairs,
		# so that the machine's drift falls on both.
		read -r a b _ < <(runs=$((runs > 15 ? runs : 15)) paired "$(printf '%q ' "$repro" tags --version 1.0.0 --code "$tmp/repo-$n")" \
			"$(printf '%q ' git -C "$tmp/repo-$n" status --porcelain)")
		r=$(ratio "$a" "$b")
		row "code capture, $n files (anchor: git status)" "$a" "$b" "$r" "<= 1.0" "$(judge "$r" 1.0)"
		[ "$n" != "${repos[0]}" ] || code_walk=$a # the run rows' repository
	done
fi

# --- Data capture, cold and warm.
if want data; then
	coreutils() { (cd "$1" && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum -- | sha256sum); }
	export -f coreutils
	for set in big many tiny; do
		dir=$tmp/data-$set
		size=$(($(du -sb "$dir" | cut -f1) / 1048576))
		files=$(find "$dir" -type f | wc -l)
		# No ledger: no cache, every byte read (from memory, as the anchor's:
		# repro's warm-up reads the files the anchor reads, which spares
		# the anchor's own, 30 s here). In turn with the anchor; the tiny
		# files, at least 5 pairs.
		n=$runs
		[ "$set" = tiny ] && n=$((runs > 5 ? runs : 5))
		read -r a b _ < <(runs=$n warm_b=0 paired "$(printf '%q ' env REPRO_LEDGER="$tmp/none/ledger.db" "$repro" digest "$dir")" \
			"$(printf '%q ' bash -c "coreutils '$dir'")")
		r=$(ratio "$b" "$a")
		gbs=$(echo "scale=2; $size / 1024 / $a" | bc -l | sed 's/^\./0./')
		if [ "$set" = tiny ]; then
			# Not a dataset the targets name: 20 MB, where the open,
			# read and close of each file is all there is to time.
			row "data cold, $files tiny files, per-file cost" "$a" "$b" "${r}x" "-" "(info)"
		else
			row "data cold, $files files, $size MiB ($gbs GiB/s)" "$a" "$b" "${r}x" ">= 6x" "$(judge 6 "$r")"
		fi
	done
	peak=0
	for dir in "$big" "$many"; do
		p=$( { /usr/bin/time -f '%M' env REPRO_LEDGER="$tmp/none/ledger.db" "$repro" digest "$dir" >/dev/null; } 2>&1 | tail -1)
		peak=$((p > peak ? p : peak))
	done
	row "data cold, peak memory (MiB; the larger of the two)" "$((peak / 1024))" "-" "-" "< 200" "$( [ $((peak / 1024)) -lt 200 ] && echo pass || echo FAIL)"
	"$repro" reconcile >/dev/null 2>&1 || true # creates the ledger, where the cache lives
	"$repro" digest "$many" >/dev/null
	sleep 2.5 # past the racy window, so the cache is trusted
	"$repro" digest "$many" >/dev/null
	a=$(timed "$repro" digest "$many")
	b=$(timed bash -c "find '$many' -printf '%s %T@\n' >/dev/null")
	r=$(ratio "$a" "$b")
	row "data warm, $n_many files (anchor: find -printf)" "$a" "$b" "$r" "<= 1.5" "$(judge "$r" 1.5)"
	data_walk=$a
fi

# --- The ledger: recording a finished run, in SQLite and (want team)
# PostgreSQL, side by side (the tests' own server on 127.0.0.1).
if want ledger || want team; then
	go test -run '^$' -bench 'BenchmarkLedger_RecordRun' -benchtime 2000x ./runlog >"$tmp/record.txt"
	for backend in sqlite postgres; do
		ms=$(awk -v b="RecordRun/$backend" '$0 ~ b && /ns\/op/ {printf "%.2f", $3 / 1e6}' "$tmp/record.txt")
		[ -n "$ms" ] || { want team && [ "$backend" = postgres ] && { echo "bench: no PostgreSQL (apt-get install postgresql)" >&2; exit 1; }; continue; }
		row "ledger ($backend): record a finished run (ms)" "$ms" "-" "-" "< 5" "$(judge "$ms" 5)"
	done
fi

# --- Lineage queries on the ledger of a million runs.
if want lineage; then
	mid=$(sqlite3 "$big_ledger" "SELECT id FROM runs WHERE seq = $((n_runs / 2 + 6))") # produced by one run, consumed by another
	image=sha256:$(printf '%064x' 17)
	data=sha256:$(printf '%064x' 5017)
	for q in "ls -n 50" "ls --image $image -n 50" "ls --data $data -n 50" "lineage $mid" "images"; do
		# shellcheck disable=SC2086 # q is words
		a=$(REPRO_LEDGER=$big_ledger timed "$repro" $q)
		row "$(echo "$q" | sed -E 's/sha256:[0-9a-f]{64}/D/; s/[0-9a-f]{32}/RUN/'), $n_runs runs" "$a" "-" "-" "< 0.050" "$(judge "$a" 0.050)"
	done
	# verify walks the whole chain: every run's two links recomputed. The
	# filled ledger is unsigned, so --sign (which verifies first) is timed.
	mkdir -p "$tmp/big/xdg"
	a=$(XDG_CONFIG_HOME=$tmp/big/xdg REPRO_LEDGER=$big_ledger seconds "$repro" verify --sign)
	row "ledger: verify $n_runs runs (s)" "$a" "-" "-" "< 30" "$(judge "$a" 30)"
	bytes=$(stat -c %s "$big_ledger")
	gb=$(echo "scale=2; $bytes / 1000000000" | bc -l | sed 's/^\./0./')
	row "ledger size, $n_runs runs (GB)" "$gb" "-" "-" "< 1.5" "$(judge "$gb" 1.5)"
	rm -rf "$tmp/big"
fi

# --- A registry, for build and run.
if want build || want run || want check; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	registry=127.0.0.1:$port
	cat >"$tmp/registry.yml" <<-YAML
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
fi

# --- Build and push: repro against tar + crane append.
if want build; then
	repro_t=() crane_t=()
	for i in $(seq "$runs"); do
		repro_t+=("$(seconds "$repro" build "$ctx" --repo "$registry/bench/repro-$i" --version 1.0.0)")
		crane_t+=("$(seconds sh -c "tar -cf '$tmp/ctx.tar' -C '$ctx' . && '$tmp/bin/crane' append -f '$tmp/ctx.tar' -t '$registry/bench/crane-$i:1.0.0'")")
	done
	a=$(printf '%s\n' "${repro_t[@]}" | median)
	b=$(printf '%s\n' "${crane_t[@]}" | median)
	r=$(ratio "$a" "$b")
	row "build+push $size_mib MiB (anchor: tar + crane append)" "$a" "$b" "$r" "<= 1.0" "$(judge "$r" 1.0)"
	before=$(uploads)
	a=$(seconds "$repro" build "$ctx" --repo "$registry/bench/repro-1" --version 1.0.0)
	n=$(($(uploads) - before))
	row "second push, unchanged: upload requests" "$a" "-" "$n" "0" "$([ "$n" -eq 0 ] && echo pass || echo FAIL)"
fi

# --- Run overhead: repro run against docker run of the same digest, with
# a 20,000-file repository and the warm many-file dataset.
if want run; then
	tctx=$tmp/trainer
	mkdir -p "$tctx"
	CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$tctx/trainer" ./testdata/trainer
	pinned=$("$repro" build "$tctx" --repo "$registry/bench/trainer" --version 1.0.0 --entrypoint /trainer --dest / 2>/dev/null)
	docker pull -q "$pinned" >/dev/null
	repo20k=$tmp/repo-20000
	[ -n "$small" ] && repo20k=$tmp/repo-2000
	# Run overhead with each dataset, warm: hashed once the files are past
	# the racy window, so that the cache trusts every file. The many small
	# files, and the few large ones.
	sleep 2.5
	"$repro" digest "$many" "$big" >/dev/null
	for set in many big; do
		dir=$tmp/data-$set
		read -r a b added < <(cd "$repo20k" && paired "$(printf '%q ' "$repro" run --data "train=$dir" "$pinned" -- --data /nothing)" \
			"$(printf '%q ' docker run --rm --init -v "$repo20k:/workspace:ro" -v "$dir:/data/train:ro" -- "$pinned" --data /nothing)")
		# With many small files the warm stat walk alone exceeds 150 ms
		# here: that run is held to the walks' own floor (below) instead.
		if [ "$set" = many ]; then
			row "run overhead, ms added (data-$set, warm)" "$a" "$b" "${added}ms" "-" "(info)"
		else
			row "run overhead, ms added (data-$set, warm)" "$a" "$b" "${added}ms" "< 150" "$(judge "${added:-0}" 150)"
		fi
		# From main to the engine's run call, as REPRO_TRACE tells it.
		pre=$(for _ in $(seq "$runs"); do
			(cd "$repo20k" && REPRO_TRACE=1 "$repro" run --data "train=$dir" "$pinned" -- --data /nothing 2>&1 >/dev/null) |
				awk '/starting the container/ {print $3 / 1000}'
		done | median)
		limit=0.150
		if [ "$set" = many ] && [ -n "${data_walk:-}" ] && [ -n "${code_walk:-}" ]; then
			# The walks' floor: the warm data walk and the code walk (each
			# a whole repro process, timed above) plus 30 ms.
			limit=$(echo "$data_walk + $code_walk + 0.030" | bc -l | sed 's/^\./0./')
		fi
		row "run: start to engine run call (data-$set)" "$pre" "-" "-" "< $limit" "$(judge "$pre" "$limit")"
		# The least the row above can be on this machine: the CPU time of
		# the work before the engine's run call (a dry run does it and
		# stops) spread over every core. Where the two are close, both
		# cores were busy throughout: the time went to work, not waiting.
		floor=$(for _ in $(seq "$runs"); do
			(cd "$repo20k" && /usr/bin/time -f '%U %S' "$repro" run --dry-run --data "train=$dir" "$pinned" -- --data /nothing 2>&1 >/dev/null) |
				tail -1 | awk -v n="$(nproc)" '{printf "%.3f\n", ($1 + $2) / n}'
		done | median)
		row "run: its CPU before that call / cores (data-$set)" "$floor" "-" "-" "-" "(info)"
	done
	# Attesting a finished run and attaching it to its image.
	(cd "$repo20k" && "$repro" run --out "$tmp/attest-out" "$pinned" -- --data /nothing >/dev/null 2>&1)
	run_id=$("$repro" ls -n 1 --columns id)
	a=$(timed "$repro" attest "$run_id" --push)
	row "attest --push of a run, loopback registry (s)" "$a" "-" "-" "< 0.200" "$(judge "$a" 0.200)"
	# The same overhead with podman as the engine, against podman run.
	if command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
		podman pull -q --tls-verify=false "$pinned" >/dev/null
		dir=$tmp/data-big
		read -r a b added < <(cd "$repo20k" && paired "$(printf '%q ' "$repro" run --runtime podman --data "train=$dir" "$pinned" -- --data /nothing)" \
			"$(printf '%q ' podman run --rm --init -v "$repo20k:/workspace:ro" -v "$dir:/data/train:ro" -- "$pinned" --data /nothing)")
		row "run overhead with podman, ms added (data-big, warm)" "$a" "$b" "${added}ms" "< 150" "$(judge "${added:-0}" 150)"
		podman image rm -f "$pinned" >/dev/null 2>&1 || true
	else
		row "run overhead with podman" "-" "-" "-" "< 150" "podman missing"
	fi
	# On a one-node Slurm cluster of the bench's own: what --on slurm adds
	# to capture before the job is queued (a dry run is the capture alone),
	# and a 1-second job waited for, against srun docker run of the same.
	if [ "$(id -u)" = 0 ] && command -v slurmctld >/dev/null 2>&1 && SLURM_CONF=$(scripts/slurm-cluster.sh start "$tmp/slurm"); then
		slurm_dir=$tmp/slurm
		export SLURM_CONF
		read -r a b added < <(paired "$(printf '%q ' "$repro" run --on slurm --detach --no-code "$pinned" -- --data /nothing)" \
			"$(printf '%q ' "$repro" run --on slurm --dry-run --no-code "$pinned" -- --data /nothing)")
		row "run --on slurm --detach: ms over capture" "$a" "$b" "${added}ms" "< 100" "$(judge "${added:-0}" 100)"
		while squeue --noheader 2>/dev/null | grep -q .; do sleep 0.2; done
		read -r a b added < <(paired "$(printf '%q ' "$repro" run --on slurm --no-code "$pinned" -- --sleep 1s --data /nothing)" \
			"$(printf '%q ' srun docker run --rm --init -- "$pinned" --sleep 1s --data /nothing)")
		row "1 s job, waited: --on slurm vs srun docker run, ms" "$a" "$b" "${added}ms" "<= 1000" "$(judge "${added:-0}" 1000)"
		# srun's step starts at once; a batch job waits for Slurm's
		# scheduler (0.5 to 2 s here). The same docker run as a batch job
		# without repro (sbatch --wait) tells the two apart.
		read -r a b added < <(paired "$(printf '%q ' "$repro" run --on slurm --no-code "$pinned" -- --sleep 1s --data /nothing)" \
			"$(printf '%q ' sbatch --wait --output=/dev/null --wrap "docker run --rm --init -- $pinned --sleep 1s --data /nothing")")
		row "1 s job, waited: --on slurm vs sbatch --wait, ms" "$a" "$b" "${added}ms" "<= 1000" "$(judge "${added:-0}" 1000)"
	else
		row "run --on slurm" "-" "-" "-" "-" "needs root, slurm-wlm and munge"
	fi
fi

# --- repro check over 1,000 runs of 50 images, 200 commits (of a repository
# with a remote) and 100 datasets, all real: each checked once.
if want check; then
	say "check: 50 images, 200 commits, 100 datasets, 1,000 runs"
	cdir=$tmp/check
	mkdir -p "$cdir/ctx" "$cdir/data"
	images=()
	for i in $(seq 50); do
		echo "$i" >"$cdir/ctx/n"
		images+=("$("$repro" build "$cdir/ctx" --repo "$registry/bench/check" --version "1.0.$i" 2>/dev/null)")
	done
	git init -q --bare "$cdir/remote.git"
	git clone -q "$cdir/remote.git" "$cdir/code" 2>/dev/null
	(
		cd "$cdir/code"
		for i in $(seq 200); do
			echo "$i" >f
			git add f
			git -c user.name=bench -c user.email=bench@example.invalid commit -qm "$i"
		done
		git push -q origin HEAD:main
	)
	for i in $(seq 100); do
		mkdir -p "$cdir/data/$i"
		echo "$i" >"$cdir/data/$i/x"
	done
	"$repro" digest --json "$cdir"/data/* >"$cdir/digests.json"
	printf '%s\n' "${images[@]}" >"$cdir/images"
	(cd "$cdir/code" && git rev-list HEAD) >"$cdir/commits"
	python3 - "$cdir" <<'PY'
import json, sys
d = sys.argv[1]
digests = json.load(open(d + "/digests.json"))
spec = {
    "images": open(d + "/images").read().split(),
    "code_dir": d + "/code",
    "remote": d + "/remote.git",
    "commits": open(d + "/commits").read().split(),
    "datasets": [{"path": e["path"], "digest": e["digest"]} for e in digests],
}
json.dump(spec, open(d + "/spec.json", "w"))
PY
	REPRO_FILL_LEDGER=$cdir/ledger.db REPRO_FILL_RUNS=1000 REPRO_FILL_CHECK=$cdir/spec.json \
		go test -count=1 -run '^TestFillCheckLedger$' ./runlog >/dev/null
	REPRO_LEDGER=$cdir/ledger.db "$repro" check --all >/dev/null 2>&1 || true # warm
	a=$(REPRO_LEDGER=$cdir/ledger.db timed "$repro" check --all)
	ok=$(REPRO_LEDGER=$cdir/ledger.db "$repro" check --all 2>&1 >/dev/null | sed -n 's/.*repro: \([0-9]*\) of.*/\1/p')
	row "check --all, 1,000 runs ($ok can re-run)" "$a" "-" "-" "< 10" "$(judge "$a" 10)"
	# keep of an image the target registry already holds: layers mounted.
	keep_run=$(REPRO_LEDGER=$cdir/ledger.db "$repro" ls -n 1 --columns id)
	before=$(uploads)
	a=$(REPRO_LEDGER=$cdir/ledger.db seconds "$repro" keep "$keep_run" --to "$registry/bench/archive")
	n=$(($(uploads) - before))
	row "keep, image already in the registry: blob uploads" "$a" "-" "$n" "0" "$([ "$n" -eq 0 ] && echo pass || echo FAIL)"
fi

# --- A team's ledger in PostgreSQL: many writers at once, a push, the
# queries and verify, beside the same on SQLite.
if want team; then
	# Outside $tmp, which only root may enter: the server runs as postgres.
	pg_dir=$(mktemp -d /tmp/repro-bench-pg.XXXXXX)
	owner=$(scripts/pg-cluster.sh start "$pg_dir")
	export PGPASSWORD
	PGPASSWORD=$(cat "$pg_dir/password")
	team_url() { echo "${owner%/postgres?*}/$1?sslmode=disable"; }
	for db in writers push; do psql -q "$owner" -c "CREATE DATABASE $db"; "$repro" --ledger "$(team_url $db)" ledger migrate >/dev/null; done
	if [ -n "$pinned" ]; then
		# 50 repro run processes at once into one team ledger.
		say "50 runs at once into a PostgreSQL ledger"
		pids=()
		for i in $(seq 50); do
			REPRO_LEDGER=$(team_url writers) "$repro" run --no-code --out "$tmp/team-out-$i" "$pinned" -- --seed "$i" >/dev/null 2>>"$tmp/team-runs.err" &
			pids+=($!)
		done
		fails=0
		for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
		n=$("$repro" --ledger "$(team_url writers)" ls --status succeeded --columns id | wc -l)
		chain=$("$repro" --ledger "$(team_url writers)" verify 2>/dev/null | grep -c 'chain intact' || true)
		row "team: 50 repro run at once: recorded, errors" "$n/50" "-" "$fails" "50, 0" "$([ "$n" = 50 ] && [ "$fails" = 0 ] && [ "$chain" = 1 ] && echo pass || echo FAIL)"
	fi
	say "a SQLite ledger of $team_runs runs, to push"
	REPRO_FILL_LEDGER="$tmp/laptop.db" REPRO_FILL_RUNS="$team_runs" go test -count=1 -timeout 30m -run '^TestFillLedger$' ./runlog >/dev/null
	a=$(seconds "$repro" ledger push --from "$tmp/laptop.db" --to "$(team_url push)")
	if [ "$team_runs" = 100000 ]; then # the target's size
		row "team: ledger push of $team_runs runs (s)" "$a" "-" "-" "< 30" "$(judge "$a" 30)"
	else
		row "team: ledger push of $team_runs runs (s)" "$a" "-" "-" "-" "(info)"
	fi
	mid=$(sqlite3 "$tmp/laptop.db" "SELECT id FROM runs WHERE seq = $((team_runs / 2 + 6))")
	image=sha256:$(printf '%064x' 17)
	data=sha256:$(printf '%064x' 5017)
	for q in "ls -n 50" "ls --image $image -n 50" "ls --data $data -n 50" "lineage $mid" "images"; do
		for ledger in "$tmp/laptop.db" "$(team_url push)"; do
			kind=sqlite
			[ "$ledger" = "$tmp/laptop.db" ] || kind=postgres
			# shellcheck disable=SC2086 # q is words
			a=$(REPRO_LEDGER=$ledger timed "$repro" $q)
			row "team ($kind): $(echo "$q" | sed -E 's/sha256:[0-9a-f]{64}/D/; s/[0-9a-f]{32}/RUN/'), $team_runs runs" "$a" "-" "-" "< 0.050" "$(judge "$a" 0.050)"
		done
	done
	# The filled SQLite ledger is unsigned: --sign (which verifies first)
	# is timed, with a key of its own; push signed the team ledger's head
	# with the bench's key.
	mkdir -p "$tmp/team-xdg"
	a=$(XDG_CONFIG_HOME=$tmp/team-xdg REPRO_LEDGER=$tmp/laptop.db seconds "$repro" verify --sign)
	row "team (sqlite): verify $team_runs runs (s)" "$a" "-" "-" "< 30" "$(judge "$a" 30)"
	a=$(REPRO_LEDGER=$(team_url push) seconds "$repro" verify)
	row "team (postgres): verify $team_runs runs (s)" "$a" "-" "-" "< 30" "$(judge "$a" 30)"
	scripts/pg-cluster.sh stop "$pg_dir"
	rm -rf "$pg_dir"
	pg_dir=
fi

echo
printf '%-52s %9s %9s %7s %8s %s\n' "work" "repro s" "anchor s" "ratio" "target" "result"
printf '%s\n' "${rows[@]}"
echo "(data cold: Nx = N times as fast as the anchor; medians of $runs runs after a warm-up, code capture of at least 15, tiny-file data of at least 5; where both sides are timed, in turn; run overhead: median of the pairwise differences; this machine: $(nproc) cores)"
if [ -s "$tmp/errors" ]; then
	say "stderr of the timed commands, last lines:"
	tail -5 "$tmp/errors" >&2
fi
say "done"
