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
heap=--max-old-space-size=1536
case "$limit" in
  '' | max | *[!0-9]*) ;;
  # cgroup v1 reports "no limit" as about 2^63; anything from 1 TiB up is treated as none.
  *) [ "$limit" -lt 1099511627776 ] && heap="--max-old-space-size=$((limit / 1048576 / 2))" ;;
esac
case " $NODE_OPTIONS " in
  *" --max-old-space-size="*) heap= ;;
esac
exec node $heap /airbyte/integration_code/dist/main.js "$@"
