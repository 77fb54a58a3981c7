{{/*
Names, labels and shared snippets of the ecs-why chart (the conventions of the external-dns and
Bitnami charts).
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "ecs-why.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: fullnameOverride, or the release name (with the chart name unless the release name
already contains it), cut to 63 characters for DNS names. Components add "-web" or "-worker".
*/}}
{{- define "ecs-why.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version for the helm.sh/chart label. */}}
{{- define "ecs-why.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "ecs-why.labels" -}}
helm.sh/chart: {{ include "ecs-why.chart" . }}
{{ include "ecs-why.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ecs-why
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the release's pods (stable across upgrades). */}}
{{- define "ecs-why.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-why.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Component names (dict "context" $ "component" "web"). */}}
{{- define "ecs-why.componentFullname" -}}
{{- printf "%s-%s" (include "ecs-why.fullname" .context | trunc 56 | trimSuffix "-") .component }}
{{- end }}

{{/*
imagePullSecrets of the pods: imagePullSecrets and its alias image.pullSecrets (the Bitnami convention),
each a list of names or of {name: …}, merged without duplicates.
*/}}
{{- define "ecs-why.imagePullSecrets" -}}
{{- $names := list }}
{{- range (concat (.Values.imagePullSecrets | default list) (.Values.image.pullSecrets | default list)) }}
{{- if kindIs "map" . }}
{{- $names = append $names .name }}
{{- else }}
{{- $names = append $names . }}
{{- end }}
{{- end }}
{{- with ($names | uniq) }}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The ServiceAccount's name. */}}
{{- define "ecs-why.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ecs-why.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: registry/repository@digest or registry/repository:tag (default appVersion). */}}
{{- define "ecs-why.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}
{{- $repo = printf "%s/%s" (trimSuffix "/" .Values.image.registry) .Values.image.repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/* The Secret with the Slack tokens: slack.existingSecret or the one the chart creates. */}}
{{- define "ecs-why.slackSecretName" -}}
{{- default (include "ecs-why.fullname" .) .Values.slack.existingSecret }}
{{- end }}

{{/* Whether a REDIS_URL is configured ("true" or empty). */}}
{{- define "ecs-why.hasRedis" -}}
{{- if or .Values.redis.existingSecret .Values.redis.url }}true{{ end }}
{{- end }}

{{/* The Secret with REDIS_URL. */}}
{{- define "ecs-why.redisSecretName" -}}
{{- default (include "ecs-why.fullname" .) .Values.redis.existingSecret }}
{{- end }}

{{/* The key of REDIS_URL in that Secret. */}}
{{- define "ecs-why.redisSecretKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}REDIS_URL{{ end }}
{{- end }}

{{/* Whether the chart creates a Secret at all ("true" or empty). */}}
{{- define "ecs-why.createSecret" -}}
{{- if or (not .Values.slack.existingSecret) (and .Values.redis.url (not .Values.redis.existingSecret)) }}true{{ end }}
{{- end }}

{{/* Whether the web pods can run as more than one replica ("true" or empty). */}}
{{- define "ecs-why.webMultiReplica" -}}
{{- if or .Values.web.autoscaling.enabled (gt (int .Values.web.replicaCount) 1) }}true{{ end }}
{{- end }}

{{/*
Checks that the values make a working install; every problem on its own line. Included by the web
Deployment, so a bad configuration stops `helm install` before anything is created.
*/}}
{{- define "ecs-why.validateValues" -}}
{{- $errors := list }}
{{- $mode := .Values.web.mode }}
{{- if not .Values.slack.existingSecret }}
{{- if not .Values.slack.botToken }}
{{- $errors = append $errors "slack.botToken is required (or set slack.existingSecret to a Secret holding the tokens)" }}
{{- end }}
{{- if and (eq $mode "http") (not .Values.slack.signingSecret) }}
{{- $errors = append $errors "slack.signingSecret is required in HTTP mode (or set slack.existingSecret)" }}
{{- end }}
{{- if and (eq $mode "socket") (not .Values.slack.appToken) }}
{{- $errors = append $errors "slack.appToken (xapp-…) is required in Socket Mode (or set slack.existingSecret)" }}
{{- end }}
{{- end }}
{{- if not (include "ecs-why.hasRedis" .) }}
{{- if include "ecs-why.webMultiReplica" . }}
{{- $errors = append $errors "redis.url or redis.existingSecret is required with more than one web replica or the HPA: replicas must share pending actions, dedupe keys and grouping state" }}
{{- end }}
{{- if .Values.worker.enabled }}
{{- $errors = append $errors "redis.url or redis.existingSecret is required by the worker (worker.enabled): it shares subscriptions and grouping state with the web pods" }}
{{- end }}
{{- if .Values.diagnosisWorker.enabled }}
{{- $errors = append $errors "redis.url or redis.existingSecret is required by the diagnosis workers (diagnosisWorker.enabled): they take the web pods' requests from it" }}
{{- end }}
{{- end }}
{{- if eq $mode "socket" }}
{{- if include "ecs-why.webMultiReplica" . }}
{{- $errors = append $errors "web.mode=socket runs a single replica: set web.replicaCount=1 and web.autoscaling.enabled=false" }}
{{- end }}
{{- if .Values.ingress.enabled }}
{{- $errors = append $errors "web.mode=socket needs no ingress: set ingress.enabled=false" }}
{{- end }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.hostname) }}
{{- $errors = append $errors "ingress.hostname is required when ingress.enabled (Slack's request URL is https://HOSTNAME/slack/events)" }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\n\necs-why: invalid values:\n  - %s\n" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}

{{/* Pod annotations that roll the pods when the chart's Secret or ConfigMap changes. */}}
{{- define "ecs-why.checksumAnnotations" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}

{{/* Environment shared by the web and worker containers: secrets by key, settings from the ConfigMap. */}}
{{- define "ecs-why.env" -}}
- name: SLACK_BOT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "ecs-why.slackSecretName" . }}
      key: {{ .Values.slack.existingSecretKeys.botToken }}
- name: SLACK_SIGNING_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "ecs-why.slackSecretName" . }}
      key: {{ .Values.slack.existingSecretKeys.signingSecret }}
      optional: {{ ne .Values.web.mode "http" }}
{{- if eq .Values.web.mode "socket" }}
- name: SLACK_APP_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "ecs-why.slackSecretName" . }}
      key: {{ .Values.slack.existingSecretKeys.appToken }}
{{- end }}
{{- if include "ecs-why.hasRedis" . }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "ecs-why.redisSecretName" . }}
      key: {{ include "ecs-why.redisSecretKey" . }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* envFrom shared by the containers. */}}
{{- define "ecs-why.envFrom" -}}
- configMapRef:
    name: {{ include "ecs-why.fullname" . }}
{{- with .Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* A probe from its values (dict "probe" .Values.web.livenessProbe "path" "/healthz"). */}}
{{- define "ecs-why.probe" -}}
httpGet:
  path: {{ .path }}
  port: http
{{ omit .probe "enabled" | toYaml }}
{{- end }}
