#!/bin/sh
# The image's entrypoint: starts the connector with a V8 heap of half the container's memory limit
# (cgroup v2 memory.max, or v1 memory.limit_in_bytes), read at start, so that the garbage
# collector runs before the kernel's OOM killer would. V8's own default ignores a small limit
# (about 300 MB of heap under a 300 MB limit). Without a limit the heap is 1536 MiB: V8 would size
# it from the machine's memory (4 GB on a 24 GB host) and let short-lived rows, promoted while they
# wait for SQS, pile up as garbage (about 250 MB RSS instead of 160 at 500 requests in flight).
# A --max-old-space-size in NODE_OPTIONS wins.
# DESTINATION_SQS_CGROUP_ROOT is a test hook: where the cgroup filesystem is mounted.
cgroup=${DESTINATION_SQS_CGROUP_ROOT:-/sys/fs/cgroup}
limit=
for file in "$cgroup/memory.max" "$cgroup/memory/memory.limit_in_bytes"; do
  if [ -r "$file" ]; then
    limit=$(cat "$file")
    break
  fi
done
# The smallest limit the connector runs in: Node's runtime, the young generation (up to 48 MiB with
# the image's --max-semi-space-size=16) and a heap of half the limit. Below it Node would abort
# before printing anything (and under 2 MiB be given a heap of 0), so the entrypoint says why instead.
min_limit=134217728
heap=--max-old-space-size=1536
case "$limit" in
  '' | max | *[!0-9]*) ;;
  # cgroup v1 reports "no limit" as about 2^63; anything from 1 TiB up is treated as none. The digits
  # are counted first: a number past the shell's arithmetic must not reach it.
  *)
    if [ "${#limit}" -le 13 ] && [ "$limit" -lt 1099511627776 ]; then
      if [ "$limit" -lt "$min_limit" ]; then
        message="The container's memory limit is $((limit / 1048576)) MiB ($limit bytes): destination-sqs needs at least $((min_limit / 1048576)) MiB (it gives half of the limit to its JavaScript heap). Raise the connector's memory limit (in Airbyte, the resource requirements of the destination or the connection) to at least $((min_limit / 1048576)) MiB."
        printf '{"type":"TRACE","trace":{"type":"ERROR","emitted_at":%s000,"error":{"message":"%s","failure_type":"config_error"}}}\n' "$(date +%s)" "$message"
        exit 1
      fi
      heap="--max-old-space-size=$((limit / 1048576 / 2))"
    fi
    ;;
esac
case " $NODE_OPTIONS " in
  *" --max-old-space-size="*) heap= ;;
esac
exec node $heap /airbyte/integration_code/dist/main.js "$@"
