#!/usr/bin/env bash
# A local ComputeGrid cluster on loopback: Azurite (npm, tools/azurite) and four silo processes, two in zone east and
# two in zone west, on Azure Storage mode. Everything this script starts is recorded by PID under .cluster/ and stopped
# by PID; logs go to .cluster/logs/.
#
#   scripts/cluster.sh up       build the silo, start Azurite and the silos on free ports, wait until all are healthy
#   scripts/cluster.sh up --prometheus
#                               the same, then a local Prometheus (Debian's package `prometheus`) scraping every silo's
#                               management port with the alert rules of deploy/prometheus/alerts.yml
#   scripts/cluster.sh prometheus
#                               start that Prometheus against a cluster already up
#   scripts/cluster.sh status   what runs, on which ports, and each silo's /health
#   scripts/cluster.sh upgrade  rolling upgrade: build the working tree into a new release, then restart every silo in
#                               turn on it (SIGTERM, wait until it has drained and exited, start it on the same ports,
#                               wait until it is healthy) while the others serve; clients see no failed request
#   scripts/cluster.sh down     stop everything started by "up" (SIGTERM, then SIGKILL after 45 s)
#
# After "up", .cluster/client.env holds the SDK's settings (source it, then run the sample) and .cluster/operator.key a
# new operator API key for the silos' REST gateway (the silos run in Production: the development keys do not work).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.cluster"
logs="$state/logs"
pids="$state/pids"
cluster_id="${CLUSTER_ID:-computegrid}"
service_id="${SERVICE_ID:-computegrid}"
account_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
silos=(east-1 east-2 west-1 west-2)

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running() { [ -f "$pids/$1.pid" ] && kill -0 "$(cat "$pids/$1.pid")" 2>/dev/null; }

wait_until() { # wait_until SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out waiting for $what (see $logs/)" >&2
      return 1
    fi
    sleep 0.5
  done
}

healthy() { # healthy NAME HTTP_PORT: fails at once (exit 2 from wait_until's view) when the process died
  if ! running "$1"; then
    echo "$1 exited; last lines of $logs/$1.log:" >&2
    tail -n 20 "$logs/$1.log" >&2
    exit 1
  fi
  curl --fail --silent "http://127.0.0.1:$2/health"
}

start() { # start NAME COMMAND... (in the background, recorded by PID)
  local name=$1
  shift
  "$@" >>"$logs/$name.log" 2>&1 &
  echo $! >"$pids/$name.pid"
}

up() {
  if running azurite; then
    echo "already up; run: scripts/cluster.sh down" >&2
    exit 1
  fi
  mkdir -p "$logs" "$pids" "$state/azurite"
  echo "== build"
  local release="$state/releases/$(date -u +%Y%m%d-%H%M%S)"
  dotnet publish silo/ComputeGrid.Silo/ComputeGrid.Silo.csproj -c Release -o "$release" --nologo -v quiet
  echo "$release" >"$state/release"
  if [ ! -x tools/azurite/node_modules/.bin/azurite ]; then
    echo "== npm ci (Azurite)"
    (cd tools/azurite && npm ci --no-audit --no-fund --silent)
  fi

  local blob queue table
  blob=$(free_port); queue=$(free_port); table=$(free_port)
  echo "== azurite on blob $blob, queue $queue, table $table"
  start azurite tools/azurite/node_modules/.bin/azurite --silent --skipApiVersionCheck --location "$state/azurite" \
    --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" --tableHost 127.0.0.1 --tablePort "$table"
  wait_until 30 "Azurite" bash -c "exec 3<>/dev/tcp/127.0.0.1/$table" 2>/dev/null
  local connection="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$account_key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1"

  # A fresh operator key per "up"; the silos get only its hash. The connection string and the hash are kept (readable by
  # this user only) so that "upgrade" starts each silo again with the same settings.
  local operator_key
  operator_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$operator_key" >"$state/operator.key" \
    && printf '%s\n' "$connection" >"$state/connection" \
    && printf %s "$operator_key" | sha256sum | cut -d' ' -f1 >"$state/operator.sha256")

  : >"$state/ports"
  for name in "${silos[@]}"; do
    local silo_port gateway_port http_port management_port
    silo_port=$(free_port); gateway_port=$(free_port); http_port=$(free_port); management_port=$(free_port)
    echo "== silo-$name: silo $silo_port, gateway $gateway_port, http $http_port, management (metrics, dashboard) $management_port"
    echo "silo-$name $silo_port $gateway_port $http_port $management_port" >>"$state/ports"
    start_silo "silo-$name" "$release"
  done

  while read -r name _ _ http_port _; do
    wait_until 180 "$name /health" healthy "$name" "$http_port"
  done <"$state/ports"

  cat >"$state/client.env" <<ENV
export ComputeGridClient__Storage=AzureStorage
export ComputeGridClient__AzureStorageConnectionString='$connection'
export ComputeGridClient__ClusterId=$cluster_id
export ComputeGridClient__ServiceId=$service_id
ENV
  echo "== up; logs in $logs; SDK settings: source $state/client.env; operator API key: $state/operator.key"
  status
}

start_silo() { # start_silo silo-NAME RELEASE_DIR: on the ports recorded for it in .cluster/ports
  local name=$1 release=$2 silo_port gateway_port http_port management_port
  read -r _ silo_port gateway_port http_port management_port < <(awk -v n="$name" '$1 == n' "$state/ports")
  local zone=${name#silo-}
  start "$name" env \
    Silo__Storage=AzureStorage \
    Silo__AzureStorageConnectionString="$(cat "$state/connection")" \
    Silo__Zone="${zone%-*}" \
    Silo__SiloPort="$silo_port" \
    Silo__GatewayPort="$gateway_port" \
    Silo__ManagementPort="$management_port" \
    Silo__ClusterId="$cluster_id" \
    Silo__ServiceId="$service_id" \
    Gateway__ApiKeys__operator__Tenant=operators \
    Gateway__ApiKeys__operator__Role=Operator \
    Gateway__ApiKeys__operator__Sha256="$(cat "$state/operator.sha256")" \
    dotnet "$release/ComputeGrid.Silo.dll" --urls "http://127.0.0.1:$http_port"
}

stop_pid() { # stop_pid PID SECONDS: SIGTERM, wait up to SECONDS for the process to exit; fails if it did not
  local pid=$1 deadline=$((SECONDS + $2))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      return 1
    fi
    sleep 0.2
  done
}

# Rolling upgrade. A silo told to stop drains (Silo:DrainTimeout, 30 s by default): /health turns Unhealthy, it takes no
# new activations or client connections, finishes its in-flight calls, deactivates its grains (their next calls
# activate them elsewhere) and leaves the membership; SDK clients move to the other gateways. Only one silo is down at a
# time, and the next one stops only once the restarted one is healthy.
upgrade() {
  [ -f "$state/ports" ] && running azurite || { echo "the cluster is not up; run: scripts/cluster.sh up" >&2; exit 1; }
  local old release
  old=$(cat "$state/release")
  release="$state/releases/$(date -u +%Y%m%d-%H%M%S)"
  echo "== build $release"
  dotnet publish silo/ComputeGrid.Silo/ComputeGrid.Silo.csproj -c Release -o "$release" --nologo -v quiet
  while read -r name _ _ http_port _; do
    [[ $name == silo-* ]] || continue
    local started=$SECONDS
    if running "$name"; then
      echo "== $name: SIGTERM, draining"
      if ! stop_pid "$(cat "$pids/$name.pid")" 45; then
        echo "$name did not exit within 45 s of SIGTERM; stopping the upgrade (it still runs the old release)" >&2
        exit 1
      fi
    fi
    echo "== $name: exited after $((SECONDS - started)) s; starting it on the new release"
    start_silo "$name" "$release"
    wait_until 180 "$name /health" healthy "$name" "$http_port"
    echo "== $name: healthy again after $((SECONDS - started)) s"
  done <"$state/ports"
  echo "$release" >"$state/release"
  [ "$old" != "$release" ] && rm -rf "$old"
  echo "== upgraded every silo to $release"
  status
}

status() {
  if [ ! -d "$pids" ]; then
    echo "not up"
    return 0
  fi
  for file in "$pids"/*.pid; do
    [ -e "$file" ] || continue
    local name
    name=$(basename "$file" .pid)
    if running "$name"; then
      local health=""
      local http_port management_port
      http_port=$(awk -v n="$name" '$1 == n { print $4 }' "$state/ports" 2>/dev/null || true)
      management_port=$(awk -v n="$name" '$1 == n { print $5 }' "$state/ports" 2>/dev/null || true)
      if [ -n "$http_port" ]; then
        health=" http://127.0.0.1:$http_port $(curl --silent --max-time 3 "http://127.0.0.1:$http_port/health" || echo unreachable)"
        health="$health, metrics and dashboard http://127.0.0.1:$management_port"
      fi
      echo "$name: running (pid $(cat "$file"))$health"
    else
      echo "$name: stopped"
    fi
  done
}

# A Prometheus of Debian's package on a free loopback port, its configuration written from deploy/prometheus with the
# silos' management ports, its data under .cluster/prometheus; stopped by "down" like everything else.
start_prometheus() {
  [ -f "$state/ports" ] || { echo "the cluster is not up; run: scripts/cluster.sh up --prometheus" >&2; exit 1; }
  if running prometheus; then
    echo "prometheus already runs (pid $(cat "$pids/prometheus.pid"))" >&2
    return 0
  fi
  local binary
  binary=$(type -P prometheus || true)
  [ -n "$binary" ] || { echo "prometheus is not installed: run 'sudo apt-get install prometheus' (Debian's package), then scripts/cluster.sh prometheus" >&2; exit 1; }
  mkdir -p "$state/prometheus/data"
  local port targets
  port=$(free_port)
  targets=$(awk '{ printf "%s\"127.0.0.1:%s\"", (NR > 1 ? ", " : ""), $5 }' "$state/ports")
  sed -e "/^  - job_name: computegrid-silo/,\$d" "$root/deploy/prometheus/prometheus.yml" \
    | sed -e "s|^  - alerts.yml|  - $root/deploy/prometheus/alerts.yml|" >"$state/prometheus/prometheus.yml"
  cat >>"$state/prometheus/prometheus.yml" <<YAML
  - job_name: computegrid-silo
    metrics_path: /metrics
    static_configs:
      - targets: [$targets]
YAML
  echo "== prometheus on http://127.0.0.1:$port (targets: $targets)"
  start prometheus "$binary" --config.file="$state/prometheus/prometheus.yml" --storage.tsdb.path="$state/prometheus/data" \
    --web.listen-address="127.0.0.1:$port"
  echo "prometheus 0 0 $port 0" >"$state/prometheus/port"
  wait_until 60 "Prometheus" curl --fail --silent "http://127.0.0.1:$port/-/ready"
  echo "== prometheus up: http://127.0.0.1:$port/targets, alerts at http://127.0.0.1:$port/alerts"
}

down() {
  [ -d "$pids" ] || { echo "not up"; return 0; }
  for file in "$pids"/silo-*.pid "$pids"/*.pid; do
    [ -e "$file" ] || continue
    local pid
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
      stop_pid "$pid" 45 || kill -KILL "$pid" 2>/dev/null || true
      echo "stopped $(basename "$file" .pid) (pid $pid)"
    fi
    rm -f "$file"
  done
}

case "${1:-}" in
  up)
    up
    if [ "${2:-}" = "--prometheus" ]; then start_prometheus; fi
    ;;
  prometheus) start_prometheus ;;
  down) down ;;
  upgrade) upgrade ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh up [--prometheus]|prometheus|upgrade|down|status" >&2; exit 2 ;;
esac
