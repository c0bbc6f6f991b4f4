#!/usr/bin/env bash
# make demo-team: a team's ledger in PostgreSQL, on this machine. Starts a
# throwaway PostgreSQL server (scripts/pg-cluster.sh; installs Debian's
# postgresql when missing) and a registry, creates the ledger with repro
# ledger migrate, gives two people the writer role, then plays two
# machines: each its own work tree and its own SQLite ledger. ada records
# straight into the team's ledger; bob was offline, records locally and
# pushes later. Then ls and lineage across both, and verify of the one
# chain they share. Everything it makes is under ./demo-team (make clean
# removes it); the server is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
repro=$root/bin/repro
demo=$root/demo-team
port=${REPRO_DEMO_PORT:-5078}
registry=127.0.0.1:$port

# shellcheck source=scripts/registry.sh
. "$root/scripts/registry.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ "${#need[@]}" -gt 0 ]; then
	step "installing ${need[*]} (Debian)"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
docker info >/dev/null 2>&1 || { echo "demo-team: the Docker Engine is not running" >&2; exit 1; }

if [ -d "$demo/pg" ]; then "$root/scripts/pg-cluster.sh" stop "$demo/pg" || true; fi
rm -rf "$demo"
mkdir -p "$demo/registry" "$demo/image" "$demo/data"

step "a PostgreSQL server for the team (scripts/pg-cluster.sh)"
owner=$("$root/scripts/pg-cluster.sh" start "$demo/pg")
trap '"$root/scripts/pg-cluster.sh" stop "$demo/pg"' EXIT
export PGPASSWORD
PGPASSWORD=$(cat "$demo/pg/password")
pgport=$(cat "$demo/pg/port")
psql -q "$owner" -c "CREATE DATABASE repro" \
	-c "CREATE ROLE ada LOGIN PASSWORD 'ada-demo'" -c "CREATE ROLE bob LOGIN PASSWORD 'bob-demo'"
team_owner="postgres://postgres@127.0.0.1:$pgport/repro?sslmode=disable"

step "repro ledger migrate: the schema and the roles, once, by the database's owner"
"$repro" --ledger "$team_owner" ledger migrate
"$repro" --ledger "$team_owner" ledger grant ada --writer --apply
"$repro" --ledger "$team_owner" ledger grant bob --writer --apply

step "a registry on $registry and a trainer image"
start_registry "$demo/registry" "$registry"
CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$demo/image/trainer" ./testdata/trainer
git -C "$demo/image" init -q
git -C "$demo/image" add trainer
git -C "$demo/image" -c user.name=demo -c user.email=demo@example.invalid commit -qm trainer
"$repro" --ledger "$team_owner" build "$demo/image" --repo "$registry/trainer" --version 1.0.0 --entrypoint /trainer --dest /
printf 'cat\ndog\n' >"$demo/data/labels.txt"

# machine NAME: a work tree of its own, and a local ledger of its own.
machine() {
	mkdir -p "$demo/$1/code"
	(
		cd "$demo/$1/code"
		git init -q
		echo "lr=0.0$2" >params.txt
		git add params.txt
		git -c user.name="$1" -c user.email="$1@example.invalid" commit -qm "$1's experiment"
	)
}
machine ada 1
machine bob 2

step "ada's machine records straight into the team's ledger"
(
	cd "$demo/ada/code"
	REPRO_LEDGER="postgres://ada@127.0.0.1:$pgport/repro?sslmode=disable" PGPASSWORD=ada-demo \
		XDG_DATA_HOME="$demo/ada/share" \
		"$repro" run --name prepare "$registry/trainer:1.0" --data raw="$demo/data" --out "$demo/ada/out" -- --seed 1
)

step "bob's machine is offline: it records into its own ledger, using ada's outputs as data"
(
	cd "$demo/bob/code"
	cp -r "$demo/ada/out" "$demo/bob/prepared"
	XDG_DATA_HOME="$demo/bob/share" REPRO_LEDGER='' \
		"$repro" run --name train "$registry/trainer:1.0" --data prepared="$demo/bob/prepared" --out "$demo/bob/out" -- --seed 2
	XDG_DATA_HOME="$demo/bob/share" REPRO_LEDGER='' "$repro" ls
)

step "back online, bob pushes: once, however often"
XDG_DATA_HOME="$demo/bob/share" PGPASSWORD=bob-demo \
	"$repro" ledger push --to "postgres://bob@127.0.0.1:$pgport/repro?sslmode=disable"
XDG_DATA_HOME="$demo/bob/share" PGPASSWORD=bob-demo \
	"$repro" ledger push --to "postgres://bob@127.0.0.1:$pgport/repro?sslmode=disable"

export REPRO_LEDGER=$team_owner
step "the lead lists the team's runs: who ran what, where"
"$repro" ls --columns id,name,status,user,host,image,data
step "repro lineage train: bob's run, and ada's run that produced its data"
"$repro" lineage train
step "one chain for the whole team"
"$repro" verify
