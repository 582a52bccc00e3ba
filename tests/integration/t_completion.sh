#!/usr/bin/env bash
# Bash completion for jianductl: the daemon's commands and options from the
# catalog the CLI caches whenever it fetches it, so completing works (and
# never waits) with the daemon gone; built-ins with no cache at all.
source "$(dirname "$0")/lib.sh"

export XDG_CACHE_HOME=$JD_TMP/cache
COMPLETION=$JD_SOURCE_DIR/conf/jianductl.bash-completion

# complete WORDS...: what bash offers for the last word, sorted, on one line
complete_line() {
	bash -c '
		source "$1"; shift
		COMP_WORDS=(jianductl "$@"); COMP_CWORD=$#
		_jianductl
		printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "' _ "$COMPLETION" "$@"
}
# the completion calls "jianductl" as typed: the built one
export PATH=$JD_BUILD_DIR:$PATH

check "the script registers the function" \
	bash -c 'source "$1"; complete -p jianductl | grep -q -- "-F _jianductl"' _ "$COMPLETION"
equals "no cache: the built-ins" "$(complete_line "")" \
	"backup certs help init keys plugins reload restore routes status"
equals "no cache: a prefix" "$(complete_line st)" "status"
equals "global options" "$(complete_line --j)" "--json"
touch "$JD_TMP/site.conf"
equals "the value of -c is a file name" "$(cd "$JD_TMP" && complete_line -c si)" "site.conf"

jd_instance "$JD_TMP/inst" --load example
jd_start
check "no cache before the daemon was asked" test ! -e "$XDG_CACHE_HOME/jianductl/catalog.json"
quiet jd_ctl example notes add --tenant t1 --title first
check "a daemon command caches the catalog" test -s "$XDG_CACHE_HOME/jianductl/catalog.json"
check "the cache is the daemon's catalog" \
	bash -c 'cmp <(python3 -m json.tool --sort-keys "$1") \
		<(jianductl -c "$2" --json routes | python3 -m json.tool --sort-keys)' \
	_ "$XDG_CACHE_HOME/jianductl/catalog.json" "$JD_DIR/jianductl.conf"
jd_stop

# The daemon is gone: completion reads the cache only.
top=$(complete_line "")
contains "commands: the daemon's" "$top" "example"
contains "commands: the core's" "$top" "users"
contains "commands: the built-ins" "$top" "status"
equals "the next word of a command" "$(complete_line example notes "")" \
	"add approve archive edit find list publish purge reject show"
equals "a prefix of the next word" "$(complete_line example notes a)" "add approve archive"
equals "global options before the command are skipped" \
	"$(complete_line -c x.conf --json example notes pu)" "publish purge"
opts=$(complete_line example notes add --)
contains "a command's options" "$opts" "--tenant"
contains "a command's options (2)" "$opts" "--title"
contains "options in kebab case" "$opts" "--idempotency-key"
given=$(complete_line example notes add --idempotency_key k1 --)
check "an option given in the underscore spelling is not offered again" \
	test "${given/--idempotency-key/}" = "$given"
given=$(complete_line example notes add --tenant t1 --)
check "an option given is not offered again" test "${given/--tenant /}" = "$given" -a -n "$given"
equals "an option's value is not completed with options" \
	"$(complete_line example notes add --tenant "")" ""
equals "a path parameter is an option" "$(complete_line example notes approve --i)" "--id"

# A new catalog replaces the cache: a daemon without the example plugin.
jd_instance "$JD_TMP/inst2" --load training
jd_start
quiet jd_ctl help
jd_stop
top=$(complete_line "")
check "the cache follows the daemon asked last" test "${top/example/}" = "$top"
contains "still the core's commands" "$top" "users"
contains "and the new daemon's" "$top" "training"

jd_finish
