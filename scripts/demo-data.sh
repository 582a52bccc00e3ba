#!/usr/bin/env bash
# Loads the example counties (conf/examples, docs/organization.md) into a
# running instance and makes a leader who may sign in to the dashboard:
#   make run                      # in one shell
#   scripts/demo-data.sh          # in another; prints the address and the sign-in
# Arguments: BUILD (default build) and the instance DIR (default var/dev).
# The leader's password is JD_DEMO_PASSWORD, else a random one, printed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dir=${2:-var/dev}
ctl() { "$build/jianductl" -c "$dir/jianductl.conf" "$@"; }
pw=${JD_DEMO_PASSWORD:-demo-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')}

ctl org tenants add --code 510000 --name 四川省 --level province >/dev/null
ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000 >/dev/null
ctl org tenants add --code 510681 --name 广汉市 --level county --parent 510600 \
	--centralized true --centralized_since 2021-03-01 --modes task_force >/dev/null
ctl org tenants add --code 510682 --name 什邡市 --level county --parent 510600 \
	--centralized true --centralized_since 2021-06-01 --modes area >/dev/null
ctl org tenants add --code 510683 --name 绵竹市 --level county --parent 510600 \
	--centralized true --centralized_since 2022-01-01 --modes joint_group >/dev/null
ctl org tenants add --code 510604 --name 罗江区 --level county --parent 510600 >/dev/null
ctl org import --tenant 510681 conf/examples/task_force/*.csv
ctl org import --tenant 510682 conf/examples/area/*.csv
ctl org import --tenant 510683 conf/examples/joint_group/*.csv
ctl users add --id lena --roles leader --tenants 510600 --display_name "Demo leader" >/dev/null
ctl users password --id lena --password "$pw" >/dev/null
port=$(sed -n 's/^listen *= *[^:]*:\([0-9]*\)$/\1/p' "$dir/jiandud.conf" | tail -1)
echo
echo "The dashboard: https://127.0.0.1:${port:-8443}/ui/?tenant=510600 (CA: $dir/tls/ca.crt)"
echo "Sign in as lena, password: $pw"
