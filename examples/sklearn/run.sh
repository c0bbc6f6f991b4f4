#!/usr/bin/env bash
# make example-sklearn: a real training job through repro, offline. Makes a
# Debian bookworm base with python3-sklearn (debootstrap from the Debian
# mirror, docker import; cached), pushes it to a registry on 127.0.0.1,
# builds the trainer on it with repro build, turns the digits data into a
# dataset with one run, trains three models with three more, and re-runs
# each: repro rerun --exec --verify, and the re-run script for one of them.
# Everything it makes is under ./example-sklearn (make clean removes it);
# the base's root file system is cached in $REPRO_EXAMPLE_CACHE (default
# ./example-sklearn-cache), since making it takes minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
repro=$root/bin/repro
work=$root/example-sklearn
cache=${REPRO_EXAMPLE_CACHE:-$root/example-sklearn-cache}
port=${REPRO_EXAMPLE_PORT:-5078}
registry=127.0.0.1:$port
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# shellcheck source=scripts/registry.sh
. "$root/scripts/registry.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "example-sklearn: $*" >&2; exit 1; }

[ -x "$repro" ] || die "run make build first (or make example-sklearn)"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
for pair in docker-registry:docker-registry debootstrap:debootstrap skopeo:skopeo; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
	step "installing ${need[*]} (Debian packages)"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
docker info >/dev/null 2>&1 || die "the Docker Engine is not running"

rm -rf "$work"
mkdir -p "$work/registry" "$cache"
export REPRO_LEDGER=$work/ledger.db XDG_DATA_HOME=$work/share

step "starting a registry on $registry"
start_registry "$work/registry" "$registry"

base_tar=$cache/bookworm-sklearn.tar
if [ ! -s "$base_tar" ]; then
	step "making the base: debootstrap bookworm with python3-sklearn from $mirror (minutes, once)"
	rootfs=$cache/rootfs
	$sudo rm -rf "$rootfs"
	$sudo debootstrap --variant=minbase --include=python3-sklearn bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $cache/debootstrap.log"
	$sudo tar -C "$rootfs" --numeric-owner -cf "$base_tar.tmp" .
	$sudo rm -rf "$rootfs"
	mv "$base_tar.tmp" "$base_tar"
fi
step "the base in the registry: docker import, docker push"
docker import --change 'ENV LANG=C.UTF-8' "$base_tar" "$registry/sklearn-base:bookworm" >/dev/null
docker push -q "$registry/sklearn-base:bookworm" >/dev/null

step "the code: a git repository with train.py, make_data.py, .repro.yaml and image/"
mkdir -p "$work/code"
cp -rp "$here/code/." "$work/code/"
(
	cd "$work/code"
	git init -q
	git add .
	GIT_AUTHOR_DATE=2026-11-01T00:00:00Z GIT_COMMITTER_DATE=2026-11-01T00:00:00Z \
		git -c user.name=example -c user.email=example@example.invalid commit -qm "digits classifiers"
)

step "repro build: the trainer, image/ on the base (the base's layer is not uploaded again)"
trainer=$("$repro" build "$work/code/image" --repo "$registry/sklearn-trainer" --version 1.0.0 \
	--base "$registry/sklearn-base:bookworm" --entrypoint python3)
echo "$trainer"

cd "$work/code"

step "the dataset: one run writes the digits as CSV"
"$repro" run "$trainer" --name digits-data --out "$work/data" -- make_data.py

step "three models, each a recorded run on that dataset"
for m in forest:1 forest:2 logreg:1; do
	model=${m%:*} jobs=${m#*:}
	"$repro" run "$trainer" --name "sklearn-$model-$jobs" --data digits="$work/data" --out "$work/out-$model-$jobs" \
		-- train.py --model "$model" --n-jobs "$jobs"
done
"$repro" ls

step "every model re-run by repro: byte-identical outputs (train_seconds may differ: .repro.yaml)"
for m in forest-1 forest-2 logreg-1; do
	"$repro" rerun "sklearn-$m" --exec --verify --out "$work/rerun-$m"
done

step "the re-run script, run with sh: byte-identical model.pkl and predictions.csv"
"$repro" rerun sklearn-forest-2 -o "$work/rerun.sh"
REPRO_OUT=$work/script-forest-2 sh "$work/rerun.sh"
for f in model.pkl predictions.csv; do
	cmp "$work/out-forest-2/$f" "$work/script-forest-2/$f" || die "$f differs after the re-run script"
done

step "lineage of a model: the image and its base, the commit, the dataset and the run that made it"
"$repro" lineage sklearn-forest-1

echo
echo "example-sklearn: every model.pkl and predictions.csv re-ran byte-identical"
