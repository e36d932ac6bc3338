# bench/lib.sh: what the bench scripts share. Source it: . "$(dirname "$0")/lib.sh"

# need CMD PACKAGE: install PACKAGE with apt when CMD is missing.
need() {
  command -v "$1" >/dev/null && return
  echo "== installing $2 (apt)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$2" >/dev/null
}

# sign_standard: one Standard Webhooks request signed with a known secret,
# valid for the sink's default 300 s tolerance from now. Sets SECRET,
# MSG_ID, BODY, TS and SIG (webhook-signature is "v1,$SIG"):
# base64(HMAC-SHA256(key, id.timestamp.body)), key = the base64-decoded
# secret without whsec_.
sign_standard() {
  need openssl openssl
  SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
  MSG_ID=msg_bench_0001
  BODY='{"type":"order.created","data":{"hookbench_id":"ev-bench-1","amount":1250,"currency":"EUR"}}'
  TS=$(date +%s)
  local key
  key=$(printf '%s' "${SECRET#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')
  SIG=$(printf '%s.%s.%s' "$MSG_ID" "$TS" "$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
}

# cputicks PID: user + system clock ticks the process has used (Linux /proc).
cputicks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# median X...: the median of numbers.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
