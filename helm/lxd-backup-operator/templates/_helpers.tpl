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
{{- end }}

{{/*
What the operator does in a watched namespace, and nothing more:
- its own resources: full access (schedules create InstanceSnapshot/InstanceExport children,
  retention deletes them), status writes, finalizers;
- Secrets: read credentials and TLS material; create the client certificate Secret generated
  for enrolment with an LXD server;
- Events: record what happened on the resources (each one created, never patched).
The Lease for leader election is granted separately, in the release namespace only.
*/}}
{{- define "lxd-backup-operator.rules" -}}
{{- $plurals := include "lxd-backup-operator.crdPlurals" . | fromYamlArray }}
- apiGroups: ["lxdbackup.io"]
  resources:
  {{- range $plurals }}
    - {{ . }}
  {{- end }}
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["lxdbackup.io"]
  resources:
  {{- range $plurals }}
    - {{ . }}/status
  {{- end }}
  verbs: ["get", "update", "patch"]
- apiGroups: ["lxdbackup.io"]
  resources:
  {{- range $plurals }}
    - {{ . }}/finalizers
  {{- end }}
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create"]
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
