#!/usr/bin/env python3
"""Asserts what `helm template` rendered for the lxd-backup-operator chart.

Reads the rendered manifests on stdin and checks them against the values they were rendered
with (given as options): hardened Deployment, the objects that depend on values, and RBAC rules
that are exactly the operator's least-privilege set. Exits 1 with one line per problem.

  helm template ... | hack/check-manifests.py --release-namespace ns [--watch a,b] [--replicas 2]
      [--service-monitor] [--no-leader-election] [--extra-env N=V] [--node-selector L=V]
      [--toleration K=V:EFFECT] [--prometheus-rule] [--grafana-dashboard FILE]
"""
import argparse
import json
import sys

import yaml

GROUP = "lxdbackup.io"
PLURALS = [
    "lxdremotes", "backupstores", "instancesnapshots", "snapshotschedules",
    "instanceexports", "exportschedules", "instancerestores", "instancecopies", "backupverifications",
]


def triples(group, resources, verbs):
    return {(group, r, v) for r in resources for v in verbs}


# The operator's permissions in each watched namespace: nothing more, nothing less. Derived
# from the code (see the chart's _helpers.tpl); RbacAuditLxdTest checks them against the API
# requests of a run through every controller.
EXPECTED_RULES = (
    triples(GROUP, PLURALS, ["list", "watch"])
    | triples(GROUP, ["lxdremotes", "backupstores", "instancesnapshots", "instanceexports",
                      "snapshotschedules", "instancecopies", "backupverifications"], ["get"])
    | triples(GROUP, ["instancesnapshots", "instanceexports"], ["create", "delete"])
    | triples(GROUP, ["lxdremotes", "backupstores", "instancesnapshots", "instanceexports", "snapshotschedules",
                      "instancecopies", "backupverifications"], ["patch"])
    | triples(GROUP, [p + "/status" for p in PLURALS], ["patch"])
    | triples(GROUP, ["snapshotschedules/finalizers", "exportschedules/finalizers"], ["update"])
    | triples("", ["secrets"], ["get", "create"])
    | triples("", ["namespaces"], ["get"])
    | triples("", ["events"], ["create"])
)
# ... and in the release namespace, for leader election.
# (fabric8's LeaderElector: get, create, patch.) RbacAuditLxdTest checks the operator's recorded
# API calls against the rendered rules, both ways.
EXPECTED_LEASE_RULES = triples("coordination.k8s.io", ["leases"], ["get", "create", "update", "patch"])

problems = []


def fail(msg):
    problems.append(msg)


def expand(rules, where):
    """Flattens RBAC rules to (apiGroup, resource, verb) triples; flags wildcards and extras."""
    out = set()
    for rule in rules or []:
        for key in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
            for item in rule.get(key) or []:
                if "*" in str(item):
                    fail(f"{where}: wildcard {item!r} in {key}")
        if rule.get("nonResourceURLs"):
            fail(f"{where}: nonResourceURLs are not wanted: {rule['nonResourceURLs']}")
        for g in rule.get("apiGroups") or []:
            for r in rule.get("resources") or []:
                for v in rule.get("verbs") or []:
                    out.add((g, r, v))
    return out


def compare(actual, expected, where):
    for t in sorted(actual - expected):
        fail(f"{where}: unexpected permission {t}")
    for t in sorted(expected - actual):
        fail(f"{where}: missing permission {t}")


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind, where=""):
    found = by_kind(docs, kind)
    if len(found) != 1:
        fail(f"expected exactly one {kind}{where}, found {len(found)}")
        return None
    return found[0]


def check_binding(binding, role_kind, role_name, sa_name, sa_namespace):
    where = f"{binding['kind']} {binding['metadata'].get('namespace', '')}/{binding['metadata']['name']}"
    ref = binding.get("roleRef", {})
    if (ref.get("kind"), ref.get("name")) != (role_kind, role_name):
        fail(f"{where}: roleRef {ref} does not point at {role_kind} {role_name}")
    subjects = binding.get("subjects") or []
    wanted = [{"kind": "ServiceAccount", "name": sa_name, "namespace": sa_namespace}]
    if subjects != wanted:
        fail(f"{where}: subjects {subjects} != {wanted}")


def check_deployment(dep, opts):
    where = f"Deployment {dep['metadata']['name']}"
    if dep["metadata"].get("namespace") != opts.release_namespace:
        fail(f"{where}: not in the release namespace")
    spec = dep["spec"]
    if spec.get("replicas") != opts.replicas:
        fail(f"{where}: replicas {spec.get('replicas')} != {opts.replicas}")
    pod = spec["template"]["spec"]
    psc = pod.get("securityContext") or {}
    containers = pod.get("containers") or []
    if len(containers) != 1:
        fail(f"{where}: expected one container, found {len(containers)}")
        return
    c = containers[0]
    sc = c.get("securityContext") or {}

    def effective(key):
        return sc.get(key, psc.get(key))

    if effective("runAsNonRoot") is not True:
        fail(f"{where}: runAsNonRoot is not true")
    if effective("runAsUser") != 65532:
        fail(f"{where}: runAsUser is {effective('runAsUser')}, want 65532")
    if (effective("seccompProfile") or {}).get("type") != "RuntimeDefault":
        fail(f"{where}: seccompProfile is not RuntimeDefault")
    if sc.get("allowPrivilegeEscalation") is not False:
        fail(f"{where}: allowPrivilegeEscalation is not false")
    if sc.get("readOnlyRootFilesystem") is not True:
        fail(f"{where}: readOnlyRootFilesystem is not true")
    if sc.get("privileged"):
        fail(f"{where}: privileged")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        fail(f"{where}: capabilities do not drop ALL")
    if (sc.get("capabilities") or {}).get("add"):
        fail(f"{where}: capabilities added: {sc['capabilities']['add']}")

    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    tmp = [m for m in c.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
    if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
        fail(f"{where}: no emptyDir mounted at /tmp")

    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = (c.get(probe) or {}).get("httpGet") or {}
        port = get.get("port")
        port = ports.get(port, port)
        if get.get("path") != path or port != opts.metrics_port:
            fail(f"{where}: {probe} is not GET {path} on port {opts.metrics_port} (got {get})")

    env = {e["name"]: e for e in c.get("env") or []}
    ns_ref = (((env.get("POD_NAMESPACE") or {}).get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
    if ns_ref != "metadata.namespace":
        fail(f"{where}: POD_NAMESPACE does not come from metadata.namespace")
    want_env = {
        "LXDBACKUP_NAMESPACES": ",".join(opts.watch),
        "LXDBACKUP_LEADER_ELECTION": "true" if opts.leader_election else "false",
        "LXDBACKUP_HTTP_PORT": str(opts.metrics_port),
        "LXDBACKUP_LOG_LEVEL": opts.log_level,
        # the chart's default transfer limits (README "Resource limits")
        "LXDBACKUP_MAX_TRANSFERS": "4",
        "LXDBACKUP_MAX_TRANSFERS_PER_REMOTE": "2",
        "LXDBACKUP_TRANSFER_MEMORY": "96Mi",
        "LXDBACKUP_MAX_PART_SIZE": "64Mi",
        # the chart's default deadlines on LXD calls and streams, and the reconcile pool
        "LXDBACKUP_LXD_REQUEST_TIMEOUT": "60s",
        "LXDBACKUP_LXD_STREAM_IDLE_TIMEOUT": "5m",
        "LXDBACKUP_RECONCILE_THREADS": "50",
        # off unless asked for: a store without credentials must not borrow the operator's identity
        "LXDBACKUP_ALLOW_AMBIENT_CREDENTIALS": "true" if opts.allow_ambient_credentials else "false",
    }
    for name, value in want_env.items():
        got = (env.get(name) or {}).get("value")
        if got != value:
            fail(f"{where}: env {name}={got!r}, want {value!r}")
    if "-XX:MaxRAMPercentage=75" not in ((env.get("JAVA_TOOL_OPTIONS") or {}).get("value") or ""):
        fail(f"{where}: JAVA_TOOL_OPTIONS lacks -XX:MaxRAMPercentage=75")
    if not c.get("image", "").endswith(":" + opts.image_tag):
        fail(f"{where}: image {c.get('image')} is not tagged {opts.image_tag}")

    # extraEnv, nodeSelector and tolerations: exactly what the values asked for
    for item in opts.extra_env:
        name, _, value = item.partition("=")
        if (env.get(name) or {}).get("value") != value:
            fail(f"{where}: extra env {name}={(env.get(name) or {}).get('value')!r}, want {value!r}")
    own_env = {"POD_NAMESPACE", "JAVA_TOOL_OPTIONS", *want_env}
    extra = sorted(n for n in env if n not in own_env)
    if extra != sorted(i.partition("=")[0] for i in opts.extra_env):
        fail(f"{where}: extra env variables {extra}, want {sorted(i.partition('=')[0] for i in opts.extra_env)}")
    want_selector = dict(i.split("=", 1) for i in opts.node_selector)
    if (pod.get("nodeSelector") or {}) != want_selector:
        fail(f"{where}: nodeSelector {pod.get('nodeSelector')}, want {want_selector}")
    want_tolerations = []
    for t in opts.toleration:  # key=value:effect
        kv, _, effect = t.partition(":")
        key, _, value = kv.partition("=")
        want_tolerations.append({"key": key, "operator": "Equal", "value": value, "effect": effect})
    if (pod.get("tolerations") or []) != want_tolerations:
        fail(f"{where}: tolerations {pod.get('tolerations')}, want {want_tolerations}")

    resources = c.get("resources") or {}
    if not (resources.get("requests") or {}).get("memory") or not (resources.get("limits") or {}).get("memory"):
        fail(f"{where}: memory request and limit must be set")

    sa = pod.get("serviceAccountName")
    selector = spec["selector"]["matchLabels"]
    labels = spec["template"]["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in selector.items()):
        fail(f"{where}: pod labels do not match the selector")
    return sa, selector


def check_prometheus_rule(rules, opts):
    if not opts.prometheus_rule:
        if rules:
            fail("prometheusRule disabled but a PrometheusRule is rendered")
        return
    if len(rules) != 1:
        fail(f"prometheusRule enabled: want one PrometheusRule, found {len(rules)}")
        return
    r = rules[0]
    if r.get("apiVersion") != "monitoring.coreos.com/v1":
        fail(f"PrometheusRule apiVersion {r.get('apiVersion')!r}, want monitoring.coreos.com/v1")
    groups = (r.get("spec") or {}).get("groups") or []
    if not groups:
        fail("PrometheusRule has no rule groups")
    names, alerts = set(), set()
    for g in groups:
        if not g.get("name") or g["name"] in names:
            fail(f"PrometheusRule group without a name or named twice: {g.get('name')!r}")
        names.add(g.get("name"))
        if not g.get("rules"):
            fail(f"PrometheusRule group {g.get('name')} has no rules")
        for rule in g.get("rules") or []:
            where = f"PrometheusRule alert {rule.get('alert')!r}"
            if not rule.get("alert") or not str(rule.get("expr") or "").strip():
                fail(f"{where}: every rule needs alert and expr")
            if set(rule) - {"alert", "expr", "for", "labels", "annotations"}:
                fail(f"{where}: unknown keys {sorted(set(rule) - {'alert', 'expr', 'for', 'labels', 'annotations'})}")
            if (rule.get("labels") or {}).get("severity") not in ("warning", "critical"):
                fail(f"{where}: severity is not warning or critical")
            ann = rule.get("annotations") or {}
            if not ann.get("summary") or not ann.get("description") or "#" not in str(ann.get("runbook_url") or ""):
                fail(f"{where}: needs summary, description and a runbook_url with an anchor")
            alerts.add(rule.get("alert"))
    want = {"LxdBackupNoRecentSuccess", "LxdBackupConsecutiveFailures", "LxdBackupRestoreChecksumMismatch",
            "LxdBackupScheduleMissedRuns", "LxdBackupRemoteNotReady", "LxdBackupStoreUnavailable",
            "LxdBackupOperatorDown", "LxdBackupVerificationFailed"}
    if alerts != want:
        fail(f"PrometheusRule alerts {sorted(alerts)}, want {sorted(want)}")


def check_dashboard(maps, opts):
    if not opts.grafana_dashboard:
        if maps:
            fail("grafanaDashboard disabled but a dashboard ConfigMap is rendered")
        return
    if len(maps) != 1:
        fail(f"grafanaDashboard enabled: want one dashboard ConfigMap, found {len(maps)}")
        return
    cm = maps[0]
    if cm.get("apiVersion") != "v1":
        fail(f"dashboard ConfigMap apiVersion {cm.get('apiVersion')!r}")
    if (cm["metadata"].get("labels") or {}).get("grafana_dashboard") != "1":
        fail("dashboard ConfigMap lacks the sidecar label grafana_dashboard: \"1\"")
    data = cm.get("data") or {}
    if list(data) != ["lxd-backup-operator.json"]:
        fail(f"dashboard ConfigMap data keys {list(data)}, want ['lxd-backup-operator.json']")
        return
    try:
        dash = json.loads(data["lxd-backup-operator.json"])
    except ValueError as e:
        fail(f"dashboard ConfigMap holds invalid JSON: {e}")
        return
    with open(opts.grafana_dashboard) as f:
        if json.load(f) != dash:
            fail(f"dashboard ConfigMap differs from {opts.grafana_dashboard}")
    panels = [p for p in dash.get("panels") or [] if p.get("type") != "row"]
    if not dash.get("uid") or not dash.get("title") or not panels:
        fail("dashboard without uid, title or panels")
    for p in panels:
        if not p.get("targets") or not all(str(t.get("expr") or "").strip() for t in p["targets"]):
            fail(f"dashboard panel {p.get('title')!r} has a target without expr")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--release-namespace", required=True)
    p.add_argument("--watch", default="", help="comma-separated watchNamespaces")
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--service-monitor", action="store_true")
    p.add_argument("--no-leader-election", dest="leader_election", action="store_false")
    p.add_argument("--metrics-port", type=int, default=8080)
    p.add_argument("--log-level", default="info")
    p.add_argument("--allow-ambient-credentials", action="store_true", help="allowAmbientCredentials")
    p.add_argument("--image-tag", default="0.1.0")
    p.add_argument("--extra-env", action="append", default=[], help="NAME=VALUE from extraEnv (repeatable)")
    p.add_argument("--node-selector", action="append", default=[], help="LABEL=VALUE (repeatable)")
    p.add_argument("--toleration", action="append", default=[], help="KEY=VALUE:EFFECT, operator Equal (repeatable)")
    p.add_argument("--prometheus-rule", action="store_true", help="metrics.prometheusRule.enabled")
    p.add_argument("--grafana-dashboard", metavar="FILE", help="metrics.grafanaDashboard.enabled; the dashboard JSON it must hold")
    p.add_argument("--label", default="rendered manifests")
    opts = p.parse_args()
    opts.watch = [n for n in opts.watch.split(",") if n]

    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    for d in docs:
        if not d.get("apiVersion") or not d.get("kind") or not (d.get("metadata") or {}).get("name"):
            fail(f"object without apiVersion/kind/metadata.name: {str(d)[:120]}")

    dep = one(docs, "Deployment")
    sa_name, selector = (check_deployment(dep, opts) or (None, None)) if dep else (None, None)
    sa = one(docs, "ServiceAccount")
    if sa and sa["metadata"]["name"] != sa_name:
        fail(f"Deployment runs as ServiceAccount {sa_name}, chart creates {sa['metadata']['name']}")

    # RBAC: every rule of every role, compared as (group, resource, verb) sets.
    cluster_roles = by_kind(docs, "ClusterRole")
    roles = by_kind(docs, "Role")
    lease_roles = [r for r in roles if r["metadata"]["name"].endswith("-leader-election")]
    ns_roles = [r for r in roles if r not in lease_roles]
    for r in cluster_roles + roles:  # wildcard scan, also of roles compared nowhere else
        ns = r["metadata"].get("namespace")
        expand(r.get("rules"), f"{r['kind']} {ns + '/' if ns else ''}{r['metadata']['name']}")

    # Every binding grants one of the roles rendered here (and checked above) to the operator's
    # ServiceAccount: a binding to cluster-admin, or to any role the chart does not define, fails.
    own = {("ClusterRole", None, r["metadata"]["name"]) for r in cluster_roles} | {
        ("Role", r["metadata"].get("namespace"), r["metadata"]["name"]) for r in roles}
    for b in by_kind(docs, "RoleBinding") + by_kind(docs, "ClusterRoleBinding"):
        ns = b["metadata"].get("namespace")
        where = f"{b['kind']} {ns + '/' if ns else ''}{b['metadata']['name']}"
        ref = b.get("roleRef") or {}
        if ref.get("apiGroup") != "rbac.authorization.k8s.io":
            fail(f"{where}: roleRef apiGroup {ref.get('apiGroup')!r} is not rbac.authorization.k8s.io")
        # a Role is looked up in the binding's namespace; a ClusterRole is cluster-wide
        key = (ref.get("kind"), ns if ref.get("kind") == "Role" else None, ref.get("name"))
        if key not in own:
            fail(f"{where}: roleRef {ref.get('kind')} {ref.get('name')} is not a role this chart renders")
        if b["kind"] == "ClusterRoleBinding" and ref.get("kind") != "ClusterRole":
            fail(f"{where}: a ClusterRoleBinding must refer to a ClusterRole")
        for sub in b.get("subjects") or []:
            if sub != {"kind": "ServiceAccount", "name": sa_name, "namespace": opts.release_namespace}:
                fail(f"{where}: subject {sub} is not the operator's ServiceAccount")

    if opts.watch:
        if cluster_roles or by_kind(docs, "ClusterRoleBinding"):
            fail("watchNamespaces is set but a ClusterRole/ClusterRoleBinding is rendered")
        got_ns = sorted(r["metadata"].get("namespace") for r in ns_roles)
        if got_ns != sorted(opts.watch):
            fail(f"Roles in namespaces {got_ns}, want one in each of {sorted(opts.watch)}")
        for r in ns_roles:
            ns = r["metadata"].get("namespace")
            where = f"Role {ns}/{r['metadata']['name']}"
            compare(expand(r.get("rules"), where), EXPECTED_RULES, where)
            bindings = [b for b in by_kind(docs, "RoleBinding")
                        if b["metadata"].get("namespace") == ns and b.get("roleRef", {}).get("name") == r["metadata"]["name"]]
            if len(bindings) != 1:
                fail(f"Role {ns}/{r['metadata']['name']}: {len(bindings)} RoleBindings, want 1")
            for b in bindings:
                check_binding(b, "Role", r["metadata"]["name"], sa_name, opts.release_namespace)
    else:
        if ns_roles:
            fail(f"watching all namespaces but namespaced Roles are rendered: {[r['metadata']['name'] for r in ns_roles]}")
        cr = one(docs, "ClusterRole")
        crb = one(docs, "ClusterRoleBinding")
        if cr:
            where = f"ClusterRole {cr['metadata']['name']}"
            compare(expand(cr.get("rules"), where), EXPECTED_RULES, where)
        if cr and crb:
            check_binding(crb, "ClusterRole", cr["metadata"]["name"], sa_name, opts.release_namespace)

    if opts.leader_election:
        if len(lease_roles) != 1:
            fail(f"leader election on: want one leases Role, found {len(lease_roles)}")
        for r in lease_roles:
            where = f"Role {r['metadata'].get('namespace')}/{r['metadata']['name']}"
            if r["metadata"].get("namespace") != opts.release_namespace:
                fail(f"{where}: the leases Role must be in the release namespace {opts.release_namespace}")
            compare(expand(r.get("rules"), where), EXPECTED_LEASE_RULES, where)
            bindings = [b for b in by_kind(docs, "RoleBinding") if b.get("roleRef", {}).get("name") == r["metadata"]["name"]]
            if len(bindings) != 1:
                fail(f"{where}: {len(bindings)} RoleBindings, want 1")
            for b in bindings:
                check_binding(b, "Role", r["metadata"]["name"], sa_name, opts.release_namespace)
    elif lease_roles:
        fail("leader election off but a leases Role is rendered")

    pdbs = by_kind(docs, "PodDisruptionBudget")
    if opts.replicas > 1:
        if len(pdbs) != 1:
            fail(f"replicas={opts.replicas}: want one PodDisruptionBudget, found {len(pdbs)}")
        elif pdbs[0]["spec"].get("selector", {}).get("matchLabels") != selector:
            fail("PodDisruptionBudget selector does not match the Deployment's")
    elif pdbs:
        fail(f"replicas={opts.replicas}: no PodDisruptionBudget wanted, found {len(pdbs)}")

    svc = one(docs, "Service")
    if svc:
        if svc["spec"].get("selector") != selector:
            fail("metrics Service selector does not match the Deployment's")
        if [p.get("port") for p in svc["spec"].get("ports") or []] != [opts.metrics_port]:
            fail(f"metrics Service does not expose port {opts.metrics_port}")
    monitors = by_kind(docs, "ServiceMonitor")
    if opts.service_monitor:
        if len(monitors) != 1:
            fail(f"serviceMonitor enabled: want one ServiceMonitor, found {len(monitors)}")
        elif svc:
            sm = monitors[0]["spec"]
            want = sm.get("selector", {}).get("matchLabels", {})
            if any(svc["metadata"]["labels"].get(k) != v for k, v in want.items()):
                fail("ServiceMonitor selector does not select the metrics Service")
            svc_ports = {p.get("name") for p in svc["spec"]["ports"]}
            if any(e.get("port") not in svc_ports or e.get("path") != "/metrics" for e in sm.get("endpoints") or []):
                fail("ServiceMonitor endpoints do not scrape /metrics on a Service port")
    elif monitors:
        fail("serviceMonitor disabled but a ServiceMonitor is rendered")
    if monitors and not all(e.get("honorLabels") is True for e in monitors[0]["spec"].get("endpoints") or []):
        fail("ServiceMonitor endpoints must honor the operator's namespace/instance labels (honorLabels: true)")

    check_prometheus_rule(by_kind(docs, "PrometheusRule"), opts)
    check_dashboard([d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-dashboard")], opts)

    cluster_scoped = {"ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition"}
    for d in docs:
        ns = d["metadata"].get("namespace")
        if d["kind"] in cluster_scoped:
            if ns:
                fail(f"{d['kind']} {d['metadata']['name']} is cluster-scoped but has a namespace")
        elif not ns:
            fail(f"{d['kind']} {d['metadata']['name']} has no namespace")
        elif ns != opts.release_namespace and d not in ns_roles and not (
                d["kind"] == "RoleBinding" and ns in opts.watch):
            fail(f"{d['kind']} {d['metadata']['name']} is in {ns}, not the release namespace")

    if problems:
        for msg in dict.fromkeys(problems):
            print(f"  {opts.label}: {msg}", file=sys.stderr)
        return 1
    print(f"  ok: {opts.label} ({len(docs)} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
