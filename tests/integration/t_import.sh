#!/usr/bin/env bash
# Organization, part 6: bulk set-up.  A bad import (bad rows in several
# files) applies nothing and names every bad row by file:line; the three
# example counties of conf/examples import cleanly; an export loads into an
# empty county as the same organization; imported declared ties are sealed;
# an imported record is stored exactly as the one-by-one routes store it.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_start
sock=$JD_DIR/data/redis.sock
ex=$JD_SOURCE_DIR/conf/examples
w=$JD_TMP/w
mkdir -p "$w"

county() { # CODE NAME MODES
	jd_ctl org tenants add --code "$1" --name "$2" --level county --parent 590100 \
		--centralized true --centralized_since 2024-03-01 --modes "$3" >/dev/null
}
# The county's organization as sorted lines, without ids and versions:
# units, people (by name) and groups (leaders and members by name).
org_lines() {
	local t=$1
	{
		jd_ctl org units list --tenant "$t" --json
		echo
		jd_ctl org people list --tenant "$t" --json
		echo
		jd_ctl org groups list --tenant "$t" --json
	} | python3 -c '
import json, sys
docs = [json.loads(d) for d in sys.stdin.read().split("\n\n")]
units, people, groups = docs[0]["units"], docs[1]["people"], docs[2]["groups"]
name = {p["id"]: p["name"] for p in people}
out = []
for u in units:
    u = {k: v for k, v in u.items() if k not in ("version",)}
    out.append("unit " + json.dumps(u, sort_keys=True, ensure_ascii=False))
for p in people:
    p = {k: v for k, v in p.items() if k not in ("id", "version")}
    out.append("person " + json.dumps(p, sort_keys=True, ensure_ascii=False))
for g in groups:
    g = {k: v for k, v in g.items() if k not in ("version",)}
    if g.get("leader"): g["leader"] = name.get(g["leader"], g["leader"])
    if g.get("members"): g["members"] = ",".join(name.get(m, m) for m in g["members"].split(","))
    g.pop("leaders", None)
    out.append("group " + json.dumps(g, sort_keys=True, ensure_ascii=False))
print("\n".join(sorted(out)))'
}

check "a province" quiet jd_ctl org tenants add --code 590000 --name 示范省 --level province
check "a city" quiet jd_ctl org tenants add --code 590100 --name 示范市 --level city --parent 590000
check "the task-force county" county 590121 青岭县 task_force
check "the area county" county 590102 东城区 area
check "the joint-group county" county 590122 武溪县 joint_group
check "an empty county" county 590199 西山县 area
check "a county for the bad files" county 590198 南河县 area

# --- a bad import applies nothing ---------------------------------------------------------
t=590198
check "a unit one by one" quiet jd_ctl org units add --tenant $t --code ag1 --name 第一派驻纪检监察组 \
	--kind agency
check "an office one by one" quiet jd_ctl org units add --tenant $t --code of1 --name 第一纪检监察室 \
	--kind office --linked ag1
check "a leader one by one" quiet jd_ctl org people add --tenant $t --name 王建国 --post leader \
	--unit of1 --start 2020-01-01
before=$(org_lines $t)
tail_before=$(jd_ctl audit tail --tenant $t --count 1 --json | jd_json .entries.0.id)
rev_before=$(redis-cli -s "$sock" hget "jd:{$t}:orgrev" _v)

# line numbers as an editor shows them: a quoted field with a line break, a blank line, CRLF
printf '\xef\xbb\xbfcode,name,kind,supervised,linked,posts,leadership_posts\r\n' >"$w/u.csv"
printf 'ag2,"第二组, 教育",agency,"县教育局;县卫健局",,5,2\r\n' >>"$w/u.csv"
printf 'ag1,重复,agency,,,,\r\n' >>"$w/u.csv"                    # line 3: exists
printf '\r\n' >>"$w/u.csv"
printf 'ag3,"两行\r\n名称",bureau,,,,\r\n' >>"$w/u.csv"           # line 5: kind
printf 'of2,第二室,office,,ag1;ag9,,\r\n' >>"$w/u.csv"            # line 7: no unit ag9
cat >"$w/p.csv" <<'EOF'
unit,name,post,start,new_cadre,ties
ag2,陈静,head,2021-03-01,false,
ag7,张三,cadre,2021-01-01,,
ag2,李四,chief,2021-01-01,,
ag2,王五,cadre,2999-01-01,,
EOF
cat >"$w/g.csv" <<'EOF'
code,name,kind,leader,units,members,parent,function,policy,rotation,shares,year
ar1,第一片区,area,王建国,of1,,,,,,,
jg1,联组,joint_group,陈静,ag1;ag2,,,,,,,
sg1,综合组,sub_group,,,,nope,general,,,,
EOF
cat >"$w/t.csv" <<'EOF'
date,from,to,posts,leadership_posts,reason
2024-01-01,ag1,ag1,1,0,x
EOF
out=$(fails jd_ctl org import --tenant $t "$w/u.csv" "$w/p.csv" "$w/g.csv" "$w/t.csv")
contains "units: an existing code, by its line" "$out" "$w/u.csv:3: field 'code': unit 'ag1' exists already in tenant $t"
contains "units: the line after a quoted line break" "$out" "$w/u.csv:5: field 'kind': 'bureau' is not a kind"
contains "units: an unknown linked unit" "$out" "$w/u.csv:7: field 'linked': no unit 'ag9' in tenant $t"
contains "people: an unknown unit" "$out" "$w/p.csv:3: field 'unit': no unit 'ag7' in tenant $t"
contains "people: a bad post" "$out" "$w/p.csv:4: field 'post': 'chief' is not a post"
contains "people: a future start" "$out" "$w/p.csv:5: field 'start': 2999-01-01 is in the future"
contains "groups: an area of one unit" "$out" "$w/g.csv:2: field 'units': an area needs at least 2 member units"
contains "groups: a leader who is not a leadership member" "$out" \
	"$w/g.csv:3: field 'leader': 陈静 is a head, not a leadership member"
contains "groups: a sub-group without its parent" "$out" "$w/g.csv:4: field 'parent': no group 'nope'"
contains "posts: a transfer to itself" "$out" "$w/t.csv:2: field 'to': posts move from 'ag1' to itself"
contains "the count" "$out" "10 bad rows; nothing was imported"
equals "every bad row is listed, nothing else" "$(grep -c "^$w/" <<<"$out")" 10
equals "the units, people and groups are unchanged" "$(org_lines $t)" "$before"
equals "the audit trail is unchanged" \
	"$(jd_ctl audit tail --tenant $t --count 1 --json | jd_json .entries.0.id)" "$tail_before"
equals "the revision is unchanged" "$(redis-cli -s "$sock" hget "jd:{$t}:orgrev" _v)" "$rev_before"
equals "no transfer was kept" "$(redis-cli -s "$sock" zcard "jd:{$t}:transfers")" 0
rows=$(jd_ctl --json org import --tenant $t "$w/p.csv" 2>/dev/null || true)
# alone, people.csv names ag2, a unit of the units file left out
equals "--json: the daemon's rows" "$(jd_json .error.count <<<"$rows")" 4
equals "--json: file and line" "$(jd_json .error.rows.0.file <<<"$rows"):$(jd_json .error.rows.0.line <<<"$rows")" \
	"people.csv:2"

echo 'a,b,c' >"$w/x.csv"
out=$(fails jd_ctl org import --tenant $t "$w/x.csv")
contains "a file of no known kind is named" "$out" "cannot tell which file $w/x.csv is"
cp "$w/p.csv" "$w/p2.csv"
out=$(fails jd_ctl org import --tenant $t "$w/p.csv" "$w/p2.csv")
contains "two files of one kind are refused" "$out" "are both people.csv files"
out=$(fails jd_ctl org import --tenant 590100 "$ex/area/units.csv")
contains "only a county takes an import" "$out" "is not a county"
out=$(fails jd_ctl org import --tenant 590197 "$ex/area/units.csv")
contains "an unknown tenant is 404" "$out" "404"

# --- the example counties ------------------------------------------------------------------
for pair in "590121 task_force 22 89 4 20" "590102 area 20 67 3 9" "590122 joint_group 17 69 3 5"; do
	set -- $pair
	out=$(jd_ctl org import --tenant "$1" "$ex/$2"/*.csv 2>&1) || true
	equals "conf/examples/$2 imports cleanly" "$out" \
		"imported into $1: $3 units, $4 people, $5 post transfers, $6 groups"
done
units=$(jd_ctl org units list --tenant 590102 --json)
equals "the area county's units" "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["units"]))' <<<"$units")" 20
contains "lists are stored comma-separated" "$units" '"supervised": "区委办,区人大常委会办公室,区政协办公室"'
g=$(jd_ctl org groups show --tenant 590122 --code jg2 --json)
equals "a division joint group keeps its shares" "$(jd_json .shares.ag05 <<<"$g")" "金融风险防控和信贷领域"
g=$(jd_ctl org groups show --tenant 590122 --code jg1 --json)
equals "a rotating joint group keeps its order" "$(jd_json .rotation <<<"$g")" "ag02,ag03,ag01"
g=$(jd_ctl org groups show --tenant 590121 --code tf3-sc --json)
equals "a task force's sub-group" "$(jd_json .parent <<<"$g") $(jd_json .function <<<"$g")" \
	"tf3 review_investigation"
equals "the transfers are kept" "$(redis-cli -s "$sock" zcard "jd:{590121}:transfers")" 4
out=$(fails jd_ctl org import --tenant 590102 "$ex/area/units.csv")
contains "importing again: the codes exist already" "$out" "units.csv:2: field 'code': unit 'of1' exists already"
contains "the import is audited" "$(jd_ctl audit tail --tenant 590102 --json)" '"action": "org.import"'
breaches() {
	jd_ctl org staffing --tenant "$1" --json |
		python3 -c 'import json,sys; print(",".join(b["unit"] for b in json.load(sys.stdin)["breaches"]))'
}
equals "task_force: the deliberate breaches show" "$(breaches 590121)" "ag07,ag12"
equals "area: the deliberate breaches show" "$(breaches 590102)" "ag04,ag08"
equals "joint_group: the deliberate breaches show" "$(breaches 590122)" "ag05,ag11"
report=$(jd_ctl org report --tenant 590122)
contains "the report shows an example county's groups" "$report" "1+N 农村集体“三资”管理专项整治"
contains "and its breaches" "$report" "ag11"

# --- export, and import into an empty county --------------------------------------------------
check "export" quiet jd_ctl org export --tenant 590102 --dir "$w/out"
check "four files" test -s "$w/out/units.csv" -a -s "$w/out/people.csv" -a -s "$w/out/posts.csv" \
	-a -s "$w/out/groups.csv"
out=$(fails jd_ctl org export --tenant 590102 --dir "$w/out")
contains "an existing file is not overwritten" "$out" "exists"
out=$(jd_ctl org import --tenant 590199 "$w/out"/*.csv 2>&1) || true
equals "the export imports into an empty county" "$out" \
	"imported into 590199: 20 units, 67 people, 3 post transfers, 9 groups"
equals "the same organization" "$(org_lines 590199)" "$(org_lines 590102)"
transfers() { # the county's transfers, without their ids
	jd_ctl org transfers list --tenant "$1" --json |
		python3 -c 'import json,sys; print(sorted(json.dumps({k: v for k, v in t.items() if k != "id"}, sort_keys=True) for t in json.load(sys.stdin)["transfers"]))'
}
equals "the same transfers" "$(transfers 590199)" "$(transfers 590102)"
if grep -q '配偶' "$w/out/people.csv"; then not_ok "the export has no ties"; else ok "the export has no ties"; fi
check "the export of the copy equals the export" quiet jd_ctl org export --tenant 590199 --dir "$w/out2"
for f in units people posts groups; do
	check "$f.csv round-trips" cmp -s "$w/out/$f.csv" "$w/out2/$f.csv"
done

# --- sealed ties --------------------------------------------------------------------------------
marker="TIES-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'name,post,unit,start,new_cadre,ties\n赵敏,cadre,ag01,2023-07-01,true,"县教育局, %s"\n' \
	"$marker" >"$w/ties.csv"
check "people with ties import" quiet jd_ctl org import --tenant 590199 "$w/ties.csv"
id=$(jd_ctl org people list --tenant 590199 --json |
	python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin)["people"] if p["name"]=="赵敏"][0])')
stored=$(redis-cli -s "$sock" hget "jd:{590199}:person:$id" ties)
contains "the stored ties are sealed (s1.)" "${stored:0:3}" "s1."
equals "people:ties holds the same sealed value" "$(redis-cli -s "$sock" hget "jd:{590199}:people:ties" "$id")" "$stored"
equals "an admin opens them" "$(jd_ctl org people show --tenant 590199 --id "$id" --json | jd_json .ties)" \
	"县教育局, $marker"
if redis-cli -s "$sock" --scan | while IFS= read -r k; do
	case $(redis-cli -s "$sock" type "$k") in
	hash) redis-cli -s "$sock" hgetall "$k" ;;
	string) redis-cli -s "$sock" get "$k" ;;
	zset) redis-cli -s "$sock" zrange "$k" 0 -1 ;;
	stream) redis-cli -s "$sock" xrange "$k" - + ;;
	set) redis-cli -s "$sock" smembers "$k" ;;
	esac
done | grep -aq "$marker"; then
	not_ok "the ties are nowhere in Redis in the clear"
else
	ok "the ties are nowhere in Redis in the clear"
fi
n_sealed=$(redis-cli -s "$sock" hlen "jd:{590121}:people:ties")
n_ties=$(python3 -c 'import csv,sys; print(sum(1 for r in csv.DictReader(open(sys.argv[1])) if r["ties"]))' \
	"$ex/task_force/people.csv")
equals "every declared tie of an example is sealed" "$n_sealed" "$n_ties"

# --- imported and created one by one: the same records ------------------------------------------
check "a county made one by one" county 590196 北岭县 task_force
check "a county imported" county 590195 南岭县 task_force
jd_ctl org units add --tenant 590196 --code ag1 --name 第一组 --kind agency --supervised 县教育局,县卫健局 \
	--posts 5 --leadership_posts 2 >/dev/null
jd_ctl org units add --tenant 590196 --code of1 --name 第一室 --kind office --linked ag1 --posts 6 \
	--leadership_posts 2 >/dev/null
lid=$(jd_ctl org people add --tenant 590196 --name 王建国 --post leader --unit of1 --start 2020-01-01 --json | jd_json .id)
jd_ctl org groups add --tenant 590196 --code tf1 --name 第一专班 --kind task_force --leader 王建国 \
	--units of1,ag1 --year 2024 >/dev/null
cat >"$w/one_u.csv" <<'EOF'
code,name,kind,supervised,linked,posts,leadership_posts
ag1,第一组,agency,县教育局;县卫健局,,5,2
of1,第一室,office,,ag1,6,2
EOF
printf 'name,post,unit,start,new_cadre,ties\n王建国,leader,of1,2020-01-01,,\n' >"$w/one_p.csv"
printf 'code,name,kind,leader,units,members,parent,function,policy,rotation,shares,year\ntf1,第一专班,task_force,王建国,of1;ag1,,,,,,,2024\n' >"$w/one_g.csv"
check "the same imported" quiet jd_ctl org import --tenant 590195 "$w/one_u.csv" "$w/one_p.csv" "$w/one_g.csv"
iid=$(jd_ctl org people list --tenant 590195 --json | jd_json .people.0.id)
rec() { redis-cli -s "$sock" hgetall "jd:{$1}:$2"; }
for r in unit:ag1 unit:of1 group:tf1; do
	equals "record $r as the route writes it" "$(rec 590195 $r | sed "s/$iid/ID/g")" \
		"$(rec 590196 $r | sed "s/$lid/ID/g")"
done
equals "the person record as the route writes it" "$(rec 590195 "person:$iid")" "$(rec 590196 "person:$lid")"
for h in units:summary groups:summary; do
	equals "$h as the route writes it" "$(rec 590195 $h | sed "s/$iid/ID/g")" \
		"$(rec 590196 $h | sed "s/$lid/ID/g")"
done
equals "people:summary as the route writes it" "$(redis-cli -s "$sock" hget "jd:{590195}:people:summary" "$iid")" \
	"$(redis-cli -s "$sock" hget "jd:{590196}:people:summary" "$lid")"
equals "the indexes" "$(redis-cli -s "$sock" zrange "jd:{590195}:units:by_code" 0 -1) $(redis-cli -s "$sock" zrange "jd:{590195}:groups:by_code" 0 -1)" \
	"$(redis-cli -s "$sock" zrange "jd:{590196}:units:by_code" 0 -1) $(redis-cli -s "$sock" zrange "jd:{590196}:groups:by_code" 0 -1)"
check "a transfer one by one" quiet jd_ctl org transfers add --tenant 590196 --date 2024-01-02 \
	--from ag1 --to of1 --posts 1 --reason 充实一线
printf 'date,from,to,posts,leadership_posts,reason\n2024-01-02,ag1,of1,1,0,充实一线\n' >"$w/one_t.csv"
check "the same transfer imported" quiet jd_ctl org import --tenant 590195 "$w/one_t.csv"
no_ids() { sed -E 's/"id":"[0-9a-f]{32}"/"id":"ID"/'; }
equals "a transfer as the route writes it" \
	"$(redis-cli -s "$sock" zrange "jd:{590195}:transfers" 0 -1 withscores | no_ids)" \
	"$(redis-cli -s "$sock" zrange "jd:{590196}:transfers" 0 -1 withscores | no_ids)"

# --- who may import -------------------------------------------------------------------------------
jd_ctl users add --id imp_staff --roles staff --tenants 590199 >/dev/null
tok=$(jd_ctl tokens create --user imp_staff --ttl 1d --json | jd_json .token)
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" -o "$w/b" -w '%{http_code}' \
	-H 'Content-Type: application/json' --data '{"tenant":"590199","units":"code,name,kind,supervised,linked,posts,leadership_posts\n"}' \
	"$(jd_api_url /v1/org/import)")
equals "staff may not import" "$code" 403
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" -o "$w/b" -w '%{http_code}' \
	"$(jd_api_url '/v1/org/export?tenant=590199')")
equals "staff may export (org.read)" "$code" 200
if grep -q "$marker" "$w/b"; then not_ok "an export never holds ties"; else ok "an export never holds ties"; fi

jd_stop
equals "jiandud stops cleanly" "$JD_EXIT" 0
if grep -aq "$marker" "$JD_DIR/jiandud.log"; then not_ok "the ties are not in the log"; else ok "the ties are not in the log"; fi
jd_no_sanitizer_report

jd_finish
