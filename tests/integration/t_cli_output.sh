#!/usr/bin/env bash
# --output table|json|csv and --no-headers on every listing, the built-in
# commands (status, plugins, routes, certs list, reload) as well as the
# catalog's (org tenants list, users list), before the command or after it.
# The CSV is read back with Python's csv module: RFC 4180, one header row
# (none with --no-headers), the same rows as the JSON.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_start
quiet jd_ctl org tenants add --code 510000 --name "四川省" --level province
quiet jd_ctl org tenants add --code 510600 --name "德阳市, 市" --level city --parent 510000
quiet jd_ctl users add --id s1 --roles staff --tenants 510600 --display-name 'Li "Er", staff'

# csv_cell CSV ROW COLUMN: the cell (rows counted from 0, the header included)
csv_cell() {
	python3 -c 'import csv,io,sys
rows = list(csv.reader(io.StringIO(sys.argv[1])))
print(rows[int(sys.argv[2])][int(sys.argv[3])])' "$@"
}
# csv_shape CSV: "ROWS COLUMNS", every row as wide as the first
csv_shape() {
	python3 -c 'import csv,io,sys
rows = list(csv.reader(io.StringIO(sys.argv[1])))
assert len({len(r) for r in rows}) == 1, rows
print(len(rows), len(rows[0]))' "$1"
}

# --- status: one object, its fields as key,value rows (nested: outer.inner)
csv=$(jd_ctl status --output csv)
equals "status csv: the header" "$(csv_cell "$csv" 0 0),$(csv_cell "$csv" 0 1)" "key,value"
contains "status csv: the version" "$csv" "version,$("$JIANDUCTL" -V | cut -d' ' -f2)"
contains "status csv: the plugins by name" "$csv" "plugins,cases"
contains "status csv: a nested field" "$csv" "redis.state,ok"
contains "status csv: the api listener" "$csv" "listeners.api,127.0.0.1:$JD_API_PORT"
equals "status csv: the same before the command" "$(jd_ctl --output csv status | grep -c '^pid,')" 1
check "status --no-headers: no header" bash -c '! grep -q "^key,value" <<<"$1"' _ \
	"$(jd_ctl status --output csv --no-headers)"
equals "status --output json: the JSON" "$(jd_ctl status --output json | jd_json .redis.state)" ok

# --- plugins and routes: the table's columns
csv=$(jd_ctl plugins --output csv)
equals "plugins csv: header and one plugin" "$(csv_shape "$csv")" "2 4"
equals "plugins csv: the header" "$(head -1 <<<"$csv" | tr -d "\r")" "name,version,requires,summary"
equals "plugins csv: the plugin" "$(csv_cell "$csv" 1 0)" cases
equals "plugins csv: nothing required is empty" "$(csv_cell "$csv" 1 2)" ""
csv=$(jd_ctl --output=csv routes)
equals "routes csv: the header" "$(head -1 <<<"$csv" | tr -d "\r")" "method,path,permission,command,summary"
routes=$(jd_ctl routes --json | py 'len(j["routes"])')
equals "routes csv: one row per route" "$(csv_shape "$csv")" "$((routes + 1)) 5"
equals "routes csv --no-headers: the routes alone" \
	"$(csv_shape "$(jd_ctl routes --no-headers --output csv)")" "$routes 5"
check "routes --no-headers (table): no header" bash -c '! grep -q "^METHOD" <<<"$1"' _ \
	"$(jd_ctl routes --no-headers)"

# --- certs list (local, from tls/issued.json)
csv=$(jd_ctl certs list --instance "$JD_DIR" --output csv)
equals "certs csv: the header" "$(head -1 <<<"$csv" | tr -d "\r")" "serial,user,role,status,not_after,revoked_at"
equals "certs csv: the admin's certificate" "$(csv_cell "$csv" 1 1),$(csv_cell "$csv" 1 3)" "admin,valid"
equals "certs csv: not revoked is empty" "$(csv_cell "$csv" 1 5)" ""

# --- catalog listings: tenants, users (quoting: commas and quotes in cells)
csv=$(jd_ctl org tenants list --output csv)
code_col=$(python3 -c 'import csv,io,sys; print(next(csv.reader(io.StringIO(sys.argv[1]))).index("name"))' "$csv")
contains "tenants csv: a name with a comma, quoted" "$csv" '"德阳市, 市"'
equals "tenants csv: read back" "$(csv_cell "$csv" 2 "$code_col")" "德阳市, 市"
csv=$(jd_ctl --no-headers users list --output csv)
equals "users csv --no-headers: the one user" "$(csv_shape "$csv" | cut -d' ' -f1)" 1
contains "users csv: quotes doubled" "$csv" '"Li ""Er"", staff"'

# --- reload: one object
csv=$(jd_ctl reload --output csv)
contains "reload csv: reloaded" "$csv" "reloaded,true"

# --- usage errors
out=$(fails jd_ctl status --output yaml)
contains "--output after the command: only table, json or csv" "$out" "expected table, json or csv"
out=$(fails jd_ctl routes --output)
contains "--output without a value" "$out" "--output needs a value"
out=$(fails jd_ctl plugins --json --csv)
contains "--json and --csv together" "$out" "--json or --csv, not both"

jd_finish
