#!/usr/bin/env bash
# make demo: a whole repro session on this machine, with nothing from the
# internet. Starts the CNCF distribution registry on 127.0.0.1 (installing
# Debian's docker-registry when missing), builds a small trainer image with
# repro build, runs it with repro run, lists the ledger and prints the
# re-run script. Everything it makes is under ./demo (make clean removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
repro=$root/bin/repro
demo=$root/demo
port=${REPRO_DEMO_PORT:-5077}
registry=127.0.0.1:$port

# shellcheck source=scripts/registry.sh
. "$root/scripts/registry.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if ! command -v docker-registry >/dev/null 2>&1; then
	step "installing the CNCF distribution registry (Debian package docker-registry)"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq docker-registry >/dev/null
fi
docker info >/dev/null 2>&1 || { echo "demo: the Docker Engine is not running" >&2; exit 1; }

rm -rf "$demo"
mkdir -p "$demo/registry" "$demo/code/image" "$demo/data"
export REPRO_LEDGER=$demo/ledger.db

step "starting a registry on $registry"
start_registry "$demo/registry" "$registry"

step "a code repository: the trainer's image context and the experiment's parameters"
CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$demo/code/image/trainer" ./testdata/trainer
(
	cd "$demo/code"
	git init -q
	echo "lr=0.01" >params.txt
	git add params.txt image
	git -c user.name=demo -c user.email=demo@example.invalid commit -qm "first experiment"
)

step "building the trainer image with repro build (scratch + a static binary)"
"$repro" build "$demo/code/image" --repo "$registry/trainer" --version 1.0.0 --channel dev \
	--entrypoint /trainer --dest /

step "a dataset"
printf 'cat\ndog\n' >"$demo/data/labels.txt"
head -c 100000 /dev/zero | tr '\0' 'x' >"$demo/data/images.bin"
"$repro" digest "$demo/data"

step "repro run (the tag is resolved; the digest is what runs)"
cd "$demo/code"
WANDB_API_KEY=demo-secret-never-recorded "$repro" run "$registry/trainer:1.0" --data train="$demo/data" --out "$demo/out" \
	-e WANDB_API_KEY -- --seed 7

step "repro ls"
"$repro" ls
run=$("$repro" ls -n 1 --json | sed -n 's/^    "id": "\(.*\)",$/\1/p' | head -1)

step "repro show ${run:0:12}"
"$repro" show "$run"

step "repro rerun ${run:0:12}"
"$repro" rerun "$run" -o "$demo/rerun.sh"
cat "$demo/rerun.sh"

step "running the re-run script"
WANDB_API_KEY=x REPRO_OUT="$demo/out-again" sh "$demo/rerun.sh"
if cmp -s "$demo/out/model.bin" "$demo/out-again/model.bin"; then
	echo "demo: the re-run's model.bin is byte-identical to the original's"
else
	echo "demo: the re-run's outputs differ" >&2
	exit 1
fi
