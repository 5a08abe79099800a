#!/usr/bin/env python3
"""Runs docs/operations.md's Argo CD health scripts with Lua 5.4 against sample objects.

Every kind of the API must have a script; each script is run for an object without status and
for an object in every phase of its kind's Phase enum (read from the Java sources), with a
main condition that has a reason and one that has none. Exits 1 with one line per problem.

  hack/check-argocd-health.py [--lua lua5.4]
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
API = ROOT / "src/main/java/io/lxdbackup/operator/api/v1alpha1"

# kind -> (Phase enum file, main condition type, {phase: expected Argo CD health});
# phases not listed are Progressing. Every phase of the enum gets a case.
KINDS = {
    "LxdRemote": ("LxdRemotePhase", "Ready",
                  {"Ready": "Healthy", "Unreachable": "Degraded", "Untrusted": "Degraded", "Invalid": "Degraded"}),
    "BackupStore": ("BackupStorePhase", "Available", {"Available": "Healthy", "Unavailable": "Degraded"}),
    "InstanceSnapshot": ("InstanceSnapshotPhase", "Ready", {"Ready": "Healthy", "Failed": "Degraded"}),
    "SnapshotSchedule": ("SchedulePhase", "Ready", {"Active": "Healthy", "Suspended": "Suspended", "Invalid": "Degraded"}),
    "InstanceExport": ("InstanceExportPhase", "Complete", {"Completed": "Healthy", "Failed": "Degraded"}),
    "ExportSchedule": ("SchedulePhase", "Ready", {"Active": "Healthy", "Suspended": "Suspended", "Invalid": "Degraded"}),
    "InstanceRestore": ("InstanceRestorePhase", "Complete", {"Completed": "Healthy", "Failed": "Degraded"}),
    "InstanceCopy": ("InstanceCopyPhase", "Synced", {"Synced": "Healthy", "Promoted": "Healthy", "Suspended": "Suspended",
                                                         "Failed": "Degraded"}),
    "BackupVerification": ("BackupVerificationPhase", "Verified",
                           {"Passed": "Healthy", "Suspended": "Suspended", "Failed": "Degraded", "Invalid": "Degraded"}),
}

DRIVER = r"""
local function fail(msg) io.stderr:write(msg, "\n"); failures = failures + 1 end
failures = 0
for _, c in ipairs(CASES) do
  local env = setmetatable({obj = c.obj}, {__index = _G})
  local chunk, err = load(SCRIPTS[c.kind], c.kind, "t", env)
  if not chunk then
    fail(c.kind .. ": script does not compile: " .. err)
  else
    local ok, hs = pcall(chunk)
    if not ok then
      fail(c.kind .. " (" .. c.name .. "): script failed: " .. tostring(hs))
    elseif type(hs) ~= "table" or hs.status ~= c.want then
      fail(c.kind .. " (" .. c.name .. "): health " .. tostring(type(hs) == "table" and hs.status) .. ", want " .. c.want)
    elseif type(hs.message) ~= "string" then
      fail(c.kind .. " (" .. c.name .. "): message is not a string")
    elseif c.expect_message ~= nil and not string.find(hs.message, c.expect_message, 1, true) then
      fail(c.kind .. " (" .. c.name .. "): message " .. hs.message .. " lacks " .. c.expect_message)
    end
  end
end
print(string.format("  argocd health: %d cases, %d failed", #CASES, failures))
os.exit(failures == 0 and 0 or 1)
"""


def lua(value):
    """A Python value as a Lua table constructor / literal."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid Lua escapes for this text
    if isinstance(value, list):
        return "{" + ", ".join(lua(v) for v in value) + "}"
    return "{" + ", ".join(f"[{json.dumps(k)}] = {lua(v)}" for k, v in value.items()) + "}"


def phases(enum):
    text = (API / f"{enum}.java").read_text()
    return re.findall(r'^\s+[A-Z_]+\("([A-Za-z]+)"\)', text, re.M)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lua", default="lua5.4")
    p.add_argument("--readme", default=str(ROOT / "docs" / "operations.md"))
    opts = p.parse_args()
    problems = []

    readme = pathlib.Path(opts.readme).read_text()
    section = readme[readme.index("## Argo CD health checks"):]
    section = section[:section.index("\n## ")]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    if not block:
        print("FAIL: no yaml block in docs/operations.md's Argo CD section", file=sys.stderr)
        return 1
    scripts = {}
    for key, script in yaml.safe_load(block.group(1)).items():
        m = re.fullmatch(r"resource\.customizations\.health\.lxdbackup\.io_(\w+)", key)
        if not m:
            problems.append(f"unexpected key {key}")
            continue
        scripts[m.group(1)] = script
    for kind in sorted(set(KINDS) - set(scripts)):
        problems.append(f"no health script for {kind}")
    for kind in sorted(set(scripts) - set(KINDS)):
        problems.append(f"health script for unknown kind {kind}")

    cases = []
    for kind, (enum, cond, health) in KINDS.items():
        if kind not in scripts:
            continue
        all_phases = phases(enum)
        if not all_phases:
            problems.append(f"{kind}: no phases found in {enum}.java")
        for ph in health:
            if ph not in all_phases:
                problems.append(f"{kind}: expected health for phase {ph}, which {enum} does not have")
        cases.append({"kind": kind, "name": "no status", "obj": {"metadata": {"name": "x"}}, "want": "Progressing"})
        cases.append({"kind": kind, "name": "status without phase", "obj": {"status": {}}, "want": "Progressing"})
        for ph in all_phases:
            want = health.get(ph, "Progressing")
            ok = want in ("Healthy", "Suspended")
            cases.append({"kind": kind, "name": f"phase {ph}", "want": want, "expect_message": "SomeReason: what to do",
                          "obj": {"status": {"phase": ph, "conditions": [
                              {"type": "Other", "status": "True", "reason": "Unrelated"},
                              {"type": cond, "status": "True" if ok else "False", "reason": "SomeReason",
                               "message": "what to do"}]}}})
            cases.append({"kind": kind, "name": f"phase {ph}, condition without reason or message", "want": want,
                          "obj": {"status": {"phase": ph, "conditions": [
                              {"type": cond, "status": "True" if ok else "False"}]}}})
        if kind.endswith("Schedule"):
            cases.append({"kind": kind, "name": "Active but the last run failed", "want": "Degraded",
                          "obj": {"status": {"phase": "Active", "conditions": [
                              {"type": cond, "status": "False", "reason": "ServerUnreachable"}]}}})

    program = ("SCRIPTS = {" + ", ".join(f"[{json.dumps(k)}] = {lua(v)}" for k, v in scripts.items()) + "}\n"
               + "CASES = " + lua(cases) + "\n" + DRIVER)
    run = subprocess.run([opts.lua, "-"], input=program, text=True, capture_output=True)
    sys.stdout.write(run.stdout)
    if run.returncode != 0:
        problems.extend(line for line in run.stderr.splitlines() if line.strip())
        if not run.stderr.strip():
            problems.append(f"{opts.lua} exited with {run.returncode}")
    for msg in problems:
        print(f"FAIL: argocd health: {msg}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
