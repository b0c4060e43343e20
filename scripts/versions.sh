# Pinned versions of the Go-built control-plane binaries (sourced by the scripts in this folder).
TEMPORAL_CLI_VERSION=1.5.1
K8S_VERSION=1.34.4
ETCD_VERSION=3.6.16
TEMPORAL_SERVER_VERSION=1.29.1
