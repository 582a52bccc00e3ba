#!/usr/bin/env bash
# The man pages: they render without a warning, jiandud.conf(5) lists exactly
# the keys of the table the daemon parses (and the example configuration
# every one with its default), jianductl(8) every command of the catalog,
# and `cmake --install` puts them where man looks.
source "$(dirname "$0")/lib.sh"

MAN=$JD_BUILD_DIR/man
render() { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1"; }

for page in jiandud.8 jianductl.8 jiandud.conf.5; do
	check "$page is generated" test -s "$MAN/$page"
	warnings=$(render "$MAN/$page" 2>&1 >/dev/null) || true
	equals "$page renders without warnings" "$warnings" ""
	check "$page has no marker left" bash -c "! grep -q '@[A-Z_]*@' '$MAN/$page'"
done

# Keys: the binary's table against the page, both ways.
"$JIANDUD" --dump-config-keys >"$JD_TMP/keys.tsv"
check "the table has keys" test "$(wc -l <"$JD_TMP/keys.tsv")" -gt 30
conf_page=$(render "$MAN/jiandud.conf.5" 2>/dev/null)
# the page's keys: "[section]" subsection headers, then one key name per tagged paragraph
page_keys=$(awk '
	/^KEYS/ { on = 1; next }
	/^[A-Z]/ { on = 0 }
	on && /^   \[[a-z]+\]$/ { gsub(/[][ ]/, ""); sec = $0; next }
	on && sec != "" && /^       [a-z_]+$/ { gsub(/ /, ""); print sec "." $0 }' <<<"$conf_page" | sort)
table_keys=$(cut -f1 "$JD_TMP/keys.tsv" | sort)
equals "jiandud.conf(5) lists exactly the table's keys" "$page_keys" "$table_keys"
# (tabs made \037: a tab is blank to read, and an empty default would vanish)
while IFS=$'\037' read -r key def live type help; do
	sec=${key%%.*} name=${key#*.}
	# the default as the page prints it: a word after "Default:"
	want="Default: ${def:-empty}."
	entry=$(awk -v s="   [$sec]" -v n="       $name" '
		$0 == s { insec = 1; next } /^   \[/ { insec = 0 }
		insec && $0 == n { on = 1; next } on && /^       [a-z_]+$/ { exit } on { print }' \
		<<<"$conf_page")
	contains "jiandud.conf(5): $key default" "$(echo $entry)" "$want"
	# the hand-written example mirrors the table: "name = default" in its section
	ex=$(awk -v s="[$sec]" -v n="$name" '
		/^\[/ { insec = ($0 == s) } insec && $1 == n && $2 == "=" {
			$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' \
		"$JD_SOURCE_DIR/conf/jiandud.conf.example")
	equals "jiandud.conf.example: $key = its default" "$ex" "$def"
done < <(tr '\t' '\037' <"$JD_TMP/keys.tsv")

# Commands: every command of the catalog of the core and every built plugin.
plugins=$(cd "$JD_BUILD_DIR/plugins" && ls *.so | sed 's/\.so$//' | paste -sd,)
printf '[plugins]\ndir = %s\nload = %s\n' "$JD_BUILD_DIR/plugins" "$plugins" >"$JD_TMP/c.conf"
"$JIANDUD" --dump-catalog -c "$JD_TMP/c.conf" >"$JD_TMP/catalog.json"
python3 - "$JD_TMP/catalog.json" >"$JD_TMP/commands" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["routes"]:
    if r.get("command"):
        print(r["owner"] + "\t" + r["command"])
PY
check "the catalog has plugin commands" grep -q '^cases	' "$JD_TMP/commands"
ctl_page=$(render "$MAN/jianductl.8" 2>/dev/null)
missing=
while IFS=$'\t' read -r owner cmd; do
	grep -qxF "       $cmd" <<<"$ctl_page" || missing+="$owner:$cmd "
done <"$JD_TMP/commands"
equals "jianductl(8) has every catalog command" "$missing" ""
contains "jianductl(8) documents JIANDUCTL_CONF" "$ctl_page" "JIANDUCTL_CONF"

# Plugin settings: every key a built plugin declares, with its default, in jiandud.conf(5).
python3 - "$JD_TMP/catalog.json" >"$JD_TMP/settings" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["plugins"]:
    for k in p["settings"]:
        print(p["name"] + "\t" + k["name"] + "\t" + (k["default"] or "empty"))
PY
check "the plugins declare settings" test "$(wc -l <"$JD_TMP/settings")" -gt 10
missing=
while IFS=$'\t' read -r plugin key def; do
	entry=$(awk -v s="   [plugin.$plugin]" -v n="       $key" '
		$0 == s { insec = 1; next } /^   \[/ || /^[A-Z]/ { insec = 0 }
		insec && $0 == n { on = 1; next } on && /^       [a-z_]+$/ { exit } on { print }' \
		<<<"$conf_page")
	[[ "$(echo $entry)" == *"Default: $def."* ]] || missing+="$plugin.$key "
done <"$JD_TMP/settings"
equals "jiandud.conf(5) lists every plugin setting with its default" "$missing" ""

# make install puts the pages where man looks
cmake --install "$JD_BUILD_DIR" --prefix "$JD_TMP/root" >/dev/null
for p in man8/jiandud.8 man8/jianductl.8 man5/jiandud.conf.5; do
	check "installed share/man/$p" test -s "$JD_TMP/root/share/man/$p"
done

jd_finish
