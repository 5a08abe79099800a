#!/usr/bin/env bash
# Checks the chart's alerts with promtool (Debian package "prometheus"; installed with apt-get when
# missing and root):
#   a) the PrometheusRule rendered by `helm template` (default values) passes `promtool check rules`
#   b) `promtool test rules hack/alerts-test.yaml`: synthetic series in which every alert fires,
#      and stays quiet, when it should
#   c) every alert has a test where it fires and one where it does not, a severity, and a
#      runbook_url whose anchor is a heading of docs/troubleshooting.md
# Run by hack/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

CHART=helm/lxd-backup-operator
log() { printf '==> %s\n' "$*"; }

eval "$(hack/tools.sh)"
if ! command -v promtool >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "FAIL: promtool is needed (apt-get install prometheus)" >&2; exit 1; }
  log "installing promtool (Debian package prometheus)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
python3 -c 'import yaml' 2>/dev/null || { echo "FAIL: python3 with PyYAML is needed (apt-get install python3-yaml)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log "helm template (PrometheusRule)"
"$HELM" template lxd-backup "$CHART" --namespace lxd-backup-operator --set metrics.prometheusRule.enabled=true \
  --show-only templates/prometheusrule.yaml >"$tmp/prometheusrule.yaml"
python3 - "$tmp/prometheusrule.yaml" "$tmp/rules.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule", doc.get("kind")
yaml.safe_dump({"groups": doc["spec"]["groups"]}, open(sys.argv[2], "w"), sort_keys=False)
PY

log "promtool check rules"
promtool check rules --lint=all --lint-fatal "$tmp/rules.yaml"

log "promtool test rules hack/alerts-test.yaml"
cp hack/alerts-test.yaml "$tmp/alerts-test.yaml"
promtool test rules "$tmp/alerts-test.yaml"

log "every alert tested both ways, with a severity and a runbook_url into docs/troubleshooting.md"
python3 - "$tmp/rules.yaml" hack/alerts-test.yaml docs/troubleshooting.md <<'PY'
import re, sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r]
tests = yaml.safe_load(open(sys.argv[2]))["tests"]
fires, quiet = set(), set()
for t in tests:
    for case in t.get("alert_rule_test", []):
        (fires if case.get("exp_alerts") else quiet).add(case["alertname"])


def anchor(heading):
    # GitHub: lowercase, punctuation other than '-' and '_' dropped, spaces to '-'
    h = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return h.replace(" ", "-")


anchors = {anchor(line.lstrip("#")) for line in open(sys.argv[3]) if re.match(r"^#{1,6} ", line)}
problems = []
for r in rules:
    a = r["alert"]
    if a not in fires:
        problems.append(f"{a}: no test in which it fires")
    if a not in quiet:
        problems.append(f"{a}: no test in which it stays quiet")
    if r.get("labels", {}).get("severity") not in ("warning", "critical"):
        problems.append(f"{a}: severity is not warning or critical")
    url = r.get("annotations", {}).get("runbook_url", "")
    if "#" not in url or url.split("#", 1)[1] not in anchors:
        problems.append(f"{a}: runbook_url {url!r} does not point at a heading of docs/troubleshooting.md")
for p in problems:
    print("FAIL:", p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"{len(rules)} alert rules ({len({r['alert'] for r in rules})} alerts): each fires and stays quiet in a test, runbooks found")
PY
log "alerts OK"
