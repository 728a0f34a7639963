#!/usr/bin/env bash
# Creates .env for docker-compose.yml: a new random operator API key, of which only the SHA-256 is written
# (CG_OPERATOR_KEY_SHA256). The key itself is printed once and kept nowhere: store it in your password manager.
#
#   scripts/make-env.sh            write .env (refuses to replace an existing one)
#   scripts/make-env.sh --force    replace .env: the previous operator key stops working at the next "docker compose up"
#
# .env is listed in .gitignore and .dockerignore; it is created readable by its owner only.
set -euo pipefail
cd "$(dirname "$0")/.."
file=.env
if [ -e "$file" ] && [ "${1:-}" != "--force" ]; then
  echo "$file exists; pass --force to replace it (the operator key in it then stops working)" >&2
  exit 1
fi

# 32 random bytes as 64 hex characters, the form the docs suggest (openssl rand -hex 32) without needing openssl.
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
hash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
# Grafana's admin password: random too, so no deployment runs with Grafana's well-known default.
grafana=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
umask 077
cat >"$file" <<ENV
# Written by scripts/make-env.sh; read by docker-compose.yml. Never commit this file.
# The bootstrap operator key's SHA-256 (the key itself was printed once when this file was written).
CG_OPERATOR_KEY_SHA256=$hash
# Grafana's admin password (user admin), at http://localhost:3000.
CG_GRAFANA_ADMIN_PASSWORD=$grafana
ENV

echo "Wrote $file. The operator API key (shown only now; keep it safe):"
echo
echo "  $key"
echo
echo "Use it in the X-API-Key header, with cg-ops (--key or CG_OPS_KEY), or on /ops. Issue partners' keys with"
echo "POST /v1/tenants/{tenant}/api-keys (docs/operations.md)."
