# shellcheck shell=bash
# start_registry DIR ADDR: the CNCF distribution registry (Debian's
# docker-registry) serving ADDR from DIR/data, logging to DIR/log, until
# this shell exits. Sourced by the demo and the examples.
start_registry() {
	local dir=$1 addr=$2
	mkdir -p "$dir"
	cat >"$dir/config.yml" <<-YAML
	version: 0.1
	log:
	  level: error
	storage:
	  filesystem:
	    rootdirectory: $dir/data
	http:
	  addr: $addr
	YAML
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	registry_pid=$!
	trap 'kill $registry_pid 2>/dev/null || true' EXIT
	for _ in $(seq 50); do
		curl -fsS "http://$addr/v2/" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the registry did not start on $addr; see $dir/log" >&2
	return 1
}
