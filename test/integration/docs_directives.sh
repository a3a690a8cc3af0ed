#!/usr/bin/env bash
# Every directive of the table in conf/directives.c is documented in
# docs/configuration.md (as a "## name" or "### name" heading), and every handler value
# the parser accepts is named there.
cd "${GW_ROOT:-$(dirname "$0")/../..}" || exit 2
doc=docs/configuration.md
names=$(sed -n 's/^ *{ "\([a-z_0-9]*\)", *\(MAIN\|UPS\|LSN\|LOC\).*/\1/p' conf/directives.c | sort -u)
[ -n "$names" ] || { echo "not ok - directive table found in conf/directives.c"; exit 1; }
missing=""
for n in $names; do
    grep -qE "^##+ ([a-z_, ]*[ ,])?$n([ ,(]|$)" "$doc" || missing="$missing $n"
done
if [ -z "$missing" ]; then
    echo "ok - every directive ($(echo $names | wc -w)) has a section in $doc"
else
    echo "not ok - directives without a section in $doc:$missing"
fi
