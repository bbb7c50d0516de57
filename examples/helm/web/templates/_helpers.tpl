{{/* The one image both the upgrade hook and the server run. */}}
{{- define "web.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* slipway reads the database URL from the Secret mounted as a file (url_file). */}}
{{- define "web.databaseEnv" -}}
- name: SLIPWAY_DATABASE_URL_FILE
  value: /etc/slipway-secrets/url
{{- end -}}

{{- define "web.databaseMount" -}}
- name: database
  mountPath: /etc/slipway-secrets
  readOnly: true
{{- end -}}

{{- define "web.databaseVolume" -}}
- name: database
  secret:
    secretName: {{ .Values.database.existingSecret }}
    items:
      - key: {{ .Values.database.secretKey }}
        path: url
{{- end -}}

{{/* The image's user (www-data, 33) on a read-only root filesystem. */}}
{{- define "web.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 33
runAsGroup: 33
fsGroup: 33
{{- end -}}

{{- define "web.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
