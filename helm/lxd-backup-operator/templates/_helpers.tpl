{{/* Chart name, overridable with nameOverride. */}}
{{- define "lxd-backup-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name of the release's objects. Kept to 52 characters so that suffixed names
("-leader-election") stay within 63.
*/}}
{{- define "lxd-backup-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "lxd-backup-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "lxd-backup-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lxd-backup-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "lxd-backup-operator.labels" -}}
helm.sh/chart: {{ include "lxd-backup-operator.chart" . }}
{{ include "lxd-backup-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lxd-backup-operator
{{- end }}

{{- define "lxd-backup-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Plural names of the operator's custom resources (group lxdbackup.io). */}}
{{- define "lxd-backup-operator.crdPlurals" -}}
- lxdremotes
- backupstores
- instancesnapshots
- snapshotschedules
- instanceexports
- exportschedules
- instancerestores
- instancecopies
- backupverifications
{{- end }}

{{/*
What the operator does in a watched namespace, and nothing more (RbacAuditLxdTest records every
API request of a run through all controllers and checks it against these rules, both ways):
- every kind: list and watch (the informers); status written with a patch (merge or JSON patch,
  never an update);
- LxdRemote, BackupStore: get (references are read fresh, not from another controller's cache),
  patch (the controller's finalizer: one being deleted waits for the resources that still need it
  for their clean-up);
- InstanceSnapshot, InstanceExport: created by schedules and deleted by their retention (and an
  InstanceExport by its ttl), get (InstanceRestore reads its source), patch (the controller's
  finalizer);
- SnapshotSchedule, InstanceCopy, BackupVerification: patch (finalizer); get (InstanceCopy re-reads
  itself; JOSDK re-reads an object when a finalizer patch conflicts);
- InstanceExport/status is also patched by BackupVerification (the Verified condition), after a get;
- InstanceRestore, ExportSchedule: no finalizer, nothing beyond list/watch and status;
- SnapshotSchedule/ExportSchedule finalizers: update, because their children carry an
  ownerReference with blockOwnerDeletion (OwnerReferencesPermissionEnforcement);
- Secrets: read credentials and TLS material; create the client certificate Secret generated
  for enrolment with an LXD server;
- Namespaces: get the watched namespace itself (a Role in that namespace grants it), when a
  clean-up finds a credentials Secret gone, to tell a namespace deletion from a missing Secret;
- Events: record what happened on the resources (each one created, never patched).
The Lease for leader election is granted separately, in the release namespace only.
*/}}
{{- define "lxd-backup-operator.rules" -}}
- apiGroups: ["lxdbackup.io"]
  resources: ["lxdremotes", "backupstores"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["lxdbackup.io"]
  resources: ["instancesnapshots", "instanceexports"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["lxdbackup.io"]
  resources: ["snapshotschedules", "instancecopies", "backupverifications"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["lxdbackup.io"]
  resources: ["exportschedules", "instancerestores"]
  verbs: ["list", "watch"]
- apiGroups: ["lxdbackup.io"]
  resources:
  {{- range include "lxd-backup-operator.crdPlurals" . | fromYamlArray }}
    - {{ . }}/status
  {{- end }}
  verbs: ["patch"]
- apiGroups: ["lxdbackup.io"]
  resources: ["snapshotschedules/finalizers", "exportschedules/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create"]
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}

{{/* Refuses combinations that cannot work. */}}
{{- define "lxd-backup-operator.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicas > 1 needs leaderElection.enabled=true: replicas without a Lease would reconcile the same resources at once" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled=true needs metrics.service.enabled=true: the ServiceMonitor scrapes that Service" }}
{{- end }}
{{- end }}
