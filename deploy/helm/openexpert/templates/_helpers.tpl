{{- /*
Written with Go's text/template builtins only (no Sprig functions), so the same templates render in Helm and in
CI's renderer (Go's text/template compiled to WebAssembly, see test/deploy/helm-chart.test.ts).
*/ -}}
{{- define "openexpert.fullname" -}}{{ printf "%s-openexpert" .Release.Name }}{{- end -}}
{{- define "openexpert.secretName" -}}{{ if .Values.existingSecret }}{{ .Values.existingSecret }}{{ else }}{{ template "openexpert.fullname" . }}{{ end }}{{- end -}}
{{- define "openexpert.labels" }}
    app.kubernetes.io/name: openexpert
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/version: {{ printf "%q" .Chart.AppVersion }}
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- /* The labels of every object, at metadata's indentation; selectors use the first two (name and instance). */ -}}
{{- define "openexpert.resources" }}
            requests:
              cpu: {{ .Values.resources.requests.cpu }}
              memory: {{ .Values.resources.requests.memory }}
            limits:
              memory: {{ .Values.resources.limits.memory }}
{{- end -}}
{{- /* The server's settings, as the container env list of the Deployment and the migration Job. */ -}}
{{- define "openexpert.env" }}
            - name: OPENEXPERT_PORT
              value: {{ printf "%q" (print .Values.containerPort) }}
            - name: OPENEXPERT_DB
              valueFrom:
                secretKeyRef:
                  name: {{ template "openexpert.secretName" . }}
                  key: database-url
            - name: OPENEXPERT_ARTIFACTS
              value: {{ printf "%q" .Values.s3.artifacts }}
{{- if .Values.s3.endpoint }}
            - name: OPENEXPERT_S3_ENDPOINT
              value: {{ printf "%q" .Values.s3.endpoint }}
{{- end }}
            - name: OPENEXPERT_S3_FORCE_PATH_STYLE
              value: {{ printf "%q" (print .Values.s3.forcePathStyle) }}
            - name: AWS_REGION
              value: {{ printf "%q" .Values.s3.region }}
            - name: AWS_ACCESS_KEY_ID
              valueFrom:
                secretKeyRef:
                  name: {{ template "openexpert.secretName" . }}
                  key: s3-access-key-id
            - name: AWS_SECRET_ACCESS_KEY
              valueFrom:
                secretKeyRef:
                  name: {{ template "openexpert.secretName" . }}
                  key: s3-secret-access-key
            - name: OPENEXPERT_AUTH
              value: {{ printf "%q" (print .Values.auth.enabled) }}
{{- if .Values.auth.enabled }}
            - name: OPENEXPERT_ADMIN_USERNAME
              value: {{ printf "%q" .Values.auth.adminUsername }}
            - name: OPENEXPERT_ADMIN_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ template "openexpert.secretName" . }}
                  key: admin-password
{{- end }}
            - name: OPENEXPERT_TRUST_PROXY
              value: {{ printf "%q" (print .Values.trustProxy) }}
            - name: OPENEXPERT_LOG_LEVEL
              value: {{ printf "%q" .Values.logLevel }}
{{- range $name, $value := .Values.extraEnv }}
            - name: {{ $name }}
              value: {{ printf "%q" (print $value) }}
{{- end }}
{{- end -}}
