#!/usr/bin/env bash
# End-to-end test of the container image: builds it, then runs spec, check, discover and write the way the
# Airbyte platform runs them (sh -c 'eval "$AIRBYTE_ENTRYPOINT …"', uid 1000, all capabilities
# dropped, working directory /dest with stdin, stdout and stderr as named pipes, check reading
# /config/connectionConfiguration.json), a write under a 300 MB memory limit, a SIGTERM
# mid-write and a local snapshot store refused without a volume and accepted with one, against an
# SQS emulator (fauxqs) on the loopback interface, and inspects the image's Airbyte metadata.
# Exits non-zero on the first failure; removes its containers and temp files.
#
# Each check is a step_* function; STEPS at the end lists them in the order they run. To add a
# check, write its function and add it to STEPS.
#
# Usage: bash scripts/docker-test.sh        (from anywhere; needs Docker, or root to start it)
# Env:   IMAGE (default destination-sqs:test)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
image=${IMAGE:-destination-sqs:test}
base_image=node:22-bookworm-slim
records=2000
state_every=250
memory_limit=300m
large_records=40 # of large_record_mb each: several times the memory limit
large_record_mb=20
stop_grace_seconds=10
run_timeout_seconds=180 # any one container; a hung connector fails the test instead of stalling CI
build_timeout_seconds=900
run_id=destination-sqs-test-$$

step() { echo; echo "==> $*"; }
die() { echo "docker-test: FAILED: $*" >&2; exit 1; }
verify() { node --import tsx scripts/docker/verify.ts "$@"; }
# Every container carries this run's label, so cleanup finds exactly the ones it started.
run() { timeout "$run_timeout_seconds" docker run -i --network host --label "$run_id" "$@"; }

work=$(mktemp -d /tmp/destination-sqs-docker-test.XXXXXX)
chmod 755 "$work" # the container's node user (uid 1000) reads the mounted config files
emulator_pid=
feeder_pid=
cleanup() {
  local status=$?
  local leftover
  leftover=$(docker ps -aq --filter "label=$run_id" 2>/dev/null || true)
  [ -z "$leftover" ] || docker rm -f $leftover >/dev/null 2>&1 || true
  [ -z "$feeder_pid" ] || kill "$feeder_pid" 2>/dev/null || true
  [ -z "$emulator_pid" ] || kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
  [ "$status" -eq 0 ] && echo && echo "docker-test: all checks passed"
  exit "$status"
}
trap cleanup EXIT

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local seconds=$1; shift
  for _ in $(seq 1 "$((seconds * 5))"); do "$@" && return 0; sleep 0.2; done
  return 1
}

# The platform's connector wrapper (airbyte-platform ContainerCommandFactory.connectorCommandWrapper)
# around the command $1: runs it in the background, kills it if a TERMINATED marker appears, and
# writes its exit status to exitCode.txt.
platform_script() {
  cat <<EOF
if [ -z "\$AIRBYTE_ENTRYPOINT" ]; then
  echo "Entrypoint was not set! AIRBYTE_ENTRYPOINT must be set in the container."
  exit 127
fi
($1) &
CHILD_PID=\$!
(while true; do if [ -f TERMINATED ]; then kill \$CHILD_PID; exit 0; fi; sleep 10; done) &
wait \$CHILD_PID
EXIT_CODE=\$?
echo \$EXIT_CODE > TEMP_EXIT_CODE.txt
mv TEMP_EXIT_CODE.txt exitCode.txt
exit \$EXIT_CODE
EOF
}

# Starts platform_script($2) in a detached container as the platform's pods run connectors:
# uid/gid 1000, all capabilities dropped, host directory $1 mounted at $3 and used as the working
# directory. Prints the container id.
platform_container() {
  docker run -d --network host --label "$run_id" --user 1000:1000 --cap-drop ALL \
    -v "$1:$3" -w "$3" --entrypoint sh "$image" -c "$(platform_script "$2")"
}

# Prints a container's exit status once it has exited; fails after run_timeout_seconds.
wait_container() {
  timeout "$run_timeout_seconds" docker wait "$1" || die "container $1 did not exit within $run_timeout_seconds s"
}

step "Docker engine and base image"
if ! docker info >/dev/null 2>&1 || ! docker image inspect "$base_image" >/dev/null 2>&1; then
  make_base=$repo/../shared/docker/make-base-image.sh
  [ -f "$make_base" ] || die "Docker is not usable and $make_base is missing; start Docker or provide $base_image"
  [ "$(id -u)" -eq 0 ] || die "Docker is not usable; run as root so $make_base can start it"
  bash "$make_base" "$base_image"
fi
docker version --format 'engine {{.Server.Version}}'

step "Build $image"
version=$(node -p 'require("./package.json").version')
timeout "$build_timeout_seconds" docker build --network host --force-rm --build-arg VERSION="$version" -t "$image" .

step "Start the SQS emulator"
node --import tsx scripts/docker/sqs-emulator.ts users interrupted platform clear >"$work/emulator.json" 2>"$work/emulator.log" &
emulator_pid=$!
wait_for 30 test -s "$work/emulator.json" || die "fauxqs did not start within 30 s: $(cat "$work/emulator.log")"
endpoint=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).endpoint' "$work/emulator.json")
queue_url() { node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).queues[process.argv[2]]' "$work/emulator.json" "$1"; }
echo "fauxqs at $endpoint, queues: users, interrupted, platform, clear"

# Each config points at one of the emulator's queues (missing-queue.json at one that does not
# exist); a third argument adds settings (JSON).
secrets=$work/secrets
mkdir -p "$secrets"
write_config() {
  node -e '
    const [file, endpoint, queue, extra] = process.argv.slice(1);
    const config = {
      region: "us-east-1",
      endpoint,
      credentials: { auth_type: "access_key", access_key_id: "test", secret_access_key: "test" },
      queue: { source: "static", value: queue },
      ...JSON.parse(extra || "{}"),
    };
    require("fs").writeFileSync(file, JSON.stringify(config, null, 2));
  ' "$1" "$endpoint" "$2" "${3:-}"
}
users_url=$(queue_url users)
write_config "$secrets/config.json" "$users_url"
write_config "$secrets/interrupted.json" "$(queue_url interrupted)"
write_config "$secrets/missing-queue.json" "${users_url%/*}/no-such-queue"
write_config "$secrets/platform.json" "$(queue_url platform)"
write_config "$secrets/clear.json" "$(queue_url clear)"
write_config "$secrets/skip-rejected.json" "$users_url" '{"rejected_rows":{"policy":"skip"}}'
write_config "$secrets/per-row-queue.json" "$users_url" '{"queue":{"source":"column","column":"queue"}}'
cat >"$secrets/catalog.json" <<'EOF'
{"streams": [{
  "stream": {"name": "users", "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
             "supported_sync_modes": ["full_refresh", "incremental"]},
  "sync_mode": "incremental", "destination_sync_mode": "append", "primary_key": [["id"]]
}]}
EOF
chmod 644 "$secrets"/*
mount=(-v "$secrets:/secrets:ro")

step_spec() {
  step "spec"
  run --rm "$image" spec >"$work/spec.out" || die "spec exited with status $?"
  verify spec "$work/spec.out"
}

# Runs `$AIRBYTE_ENTRYPOINT $2 --config /config/connectionConfiguration.json` as the platform runs
# check and discover: config file $1 in /config, output to /config/jobOutput.json, exit status 0
# (a failed check is still a successful run of the command). Prints the output file's path.
run_config_command() {
  local dir=$work/$2 container status
  mkdir -p "$dir" && chmod 777 "$dir"
  cp "$1" "$dir/connectionConfiguration.json"
  container=$(platform_container "$dir" \
    "eval \"\$AIRBYTE_ENTRYPOINT $2 --config /config/connectionConfiguration.json\" > /config/jobOutput.json" /config)
  status=$(wait_container "$container")
  [ "$status" -eq 0 ] || die "$2 exited with status $status: $(docker logs "$container" 2>&1 | tail -5)"
  [ "$(cat "$dir/exitCode.txt")" = 0 ] || die "$2: exitCode.txt says $(cat "$dir/exitCode.txt")"
  echo "$dir/jobOutput.json"
}

step_check_platform() {
  step "check as the platform runs it: /config/connectionConfiguration.json, output to /config/jobOutput.json"
  local output
  output=$(run_config_command "$secrets/config.json" check)
  verify status "$output" SUCCEEDED
}

step_discover_platform() {
  step "discover as the platform runs it (data activation), with per-row queues"
  local output
  output=$(run_config_command "$secrets/per-row-queue.json" discover)
  verify catalog "$output" users platform
}

step_check_missing_queue() {
  step "check with a missing queue"
  run --rm "${mount[@]}" "$image" check --config /secrets/missing-queue.json >"$work/check-missing.out" \
    || die "check exited with status $? for a missing queue; it must report FAILED and exit 0"
  verify status "$work/check-missing.out" FAILED
}

# Runs a write as the platform does: $1 names the run, $2 is the config, $3 the catalog, $4 the
# input; the container's stdout is left in $work/$1.out. A fresh /dest per run, as each sync is a new pod.
platform_write() {
  local dest=$work/dest-$1 container status readers
  mkdir -p "$dest" && chmod 777 "$dest"
  cp "$2" "$dest/connectorConfig.json"
  cp "$3" "$dest/catalog.json"
  mkfifo "$dest/stdin" "$dest/stdout" "$dest/stderr"
  chmod 666 "$dest"/*
  container=$(platform_container "$dest" \
    'eval "$AIRBYTE_ENTRYPOINT write --config /dest/connectorConfig.json --catalog /dest/catalog.json" 2> stderr > stdout < stdin' /dest)
  # The orchestrator's ends of the pipes.
  cat "$dest/stdout" >"$work/$1.out" &
  readers=$!
  cat "$dest/stderr" >"$work/$1.err" &
  readers="$readers $!"
  cat "$4" >"$dest/stdin"
  status=$(wait_container "$container")
  wait $readers
  [ "$status" -eq 0 ] || die "write exited with status $status; stderr: $(tail -5 "$work/$1.err"); output: $(tail -5 "$work/$1.out")"
  [ "$(cat "$dest/exitCode.txt")" = 0 ] || die "exitCode.txt says $(cat "$dest/exitCode.txt")"
}

step_write_platform() {
  step "write $records platform-shaped records as the platform runs it: /dest, stdin/stdout/stderr named pipes, uid 1000"
  node --import tsx scripts/docker/platform-input.ts catalog >"$work/platform-catalog.json"
  node --import tsx scripts/docker/platform-input.ts messages "$records" "$state_every" >"$work/platform.in"
  platform_write platform "$secrets/platform.json" "$work/platform-catalog.json" "$work/platform.in"
  verify complete "$work/platform.out" "$endpoint" platform "$records" "$(grep -c '"type":"STATE"' "$work/platform.in")"
  verify echo "$work/platform.out" "$work/platform.in"
}

step_clear_platform() {
  step "a Clear of the same streams as the platform runs it: nothing published, each STATE echoed with a zero count"
  node --import tsx scripts/docker/platform-input.ts clear-catalog >"$work/clear-catalog.json"
  node --import tsx scripts/docker/platform-input.ts clear-messages >"$work/clear.in"
  platform_write clear "$secrets/clear.json" "$work/clear-catalog.json" "$work/clear.in"
  verify echo "$work/clear.out" "$work/clear.in"
  verify complete "$work/clear.out" "$endpoint" clear 0 "$(grep -c '"type":"STATE"' "$work/clear.in")"
}

step_write_memory_limit() {
  step "write under docker run --memory $memory_limit: $large_records records of $large_record_mb MB, rejected as too large with skip"
  local name=$run_id-memory status oom
  status=0
  node --import tsx scripts/docker/large-records.ts "$large_records" "$large_record_mb" \
    | run --name "$name" --memory "$memory_limit" --memory-swap "$memory_limit" "${mount[@]}" "$image" \
      write --config /secrets/skip-rejected.json --catalog /secrets/catalog.json >"$work/memory.out" 2>"$work/memory.err" \
    || status=$?
  oom=$(docker inspect --format '{{.State.OOMKilled}}' "$name")
  echo "  exited with status $status, OOMKilled=$oom"
  [ "$oom" = false ] && [ "$status" -eq 0 ] \
    || die "the write under $memory_limit ended with status $status (OOMKilled=$oom); stderr: $(tail -5 "$work/memory.err")"
  verify rejected "$work/memory.out" "$large_records"
}

step_metadata() {
  step "Image metadata"
  inspect() { docker image inspect --format "$1" "$image"; }
  local label_name label_version entrypoint airbyte_entrypoint user
  label_name=$(inspect '{{index .Config.Labels "io.airbyte.name"}}')
  label_version=$(inspect '{{index .Config.Labels "io.airbyte.version"}}')
  entrypoint=$(inspect '{{join .Config.Entrypoint " "}}')
  airbyte_entrypoint=$(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed -n 's/^AIRBYTE_ENTRYPOINT=//p')
  user=$(inspect '{{.Config.User}}')
  echo "  io.airbyte.name=$label_name io.airbyte.version=$label_version user=$user"
  echo "  ENTRYPOINT: $entrypoint"
  [ -n "$label_name" ] || die "label io.airbyte.name is missing"
  [ "$label_version" = "$version" ] || die "label io.airbyte.version is '$label_version', package.json says '$version'"
  [ "$airbyte_entrypoint" = "$entrypoint" ] || die "AIRBYTE_ENTRYPOINT '$airbyte_entrypoint' differs from the Entrypoint '$entrypoint'"
  case "${user%%:*}" in ""|root|0) die "the image runs as root (User '$user')" ;; esac
  echo "  ok: labels, AIRBYTE_ENTRYPOINT and non-root user"
}

step_sigterm() {
  step "SIGTERM during a write"
  # Input keeps coming slowly (a STATE every 100 records, then a pause), so the container is
  # mid-write when it is told to stop; its own queue keeps the earlier writes' messages apart.
  (node --import tsx scripts/docker/input-messages.ts 1000000 100 200 \
    | run --name "$run_id-sigterm" "${mount[@]}" "$image" write --config /secrets/interrupted.json --catalog /secrets/catalog.json \
    >"$work/sigterm.out" 2>"$work/sigterm.err") &
  feeder_pid=$!
  wait_for 60 grep -qs '"type":"STATE"' "$work/sigterm.out" || die "no STATE echoed within 60 s; stderr: $(tail -5 "$work/sigterm.err")"
  local started exit_code elapsed
  started=$(date +%s)
  docker kill --signal TERM "$run_id-sigterm" >/dev/null
  exit_code=$(timeout "$((stop_grace_seconds + 5))" docker wait "$run_id-sigterm") \
    || die "the container did not exit within $((stop_grace_seconds + 5)) s of SIGTERM"
  elapsed=$(($(date +%s) - started))
  echo "  exited with status $exit_code, $elapsed s after SIGTERM"
  [ "$elapsed" -le "$stop_grace_seconds" ] || die "exit took $elapsed s, more than $stop_grace_seconds s"
  [ "$exit_code" -ne 0 ] || die "the container exited 0 after SIGTERM; an interrupted sync must fail"
  verify partial "$work/sigterm.out" "$endpoint" interrupted
  # Node's own status 13 means the event loop ran dry with main's top-level await unsettled: the
  # process ended by accident, not through the connector's shutdown path.
  [ "$exit_code" -ne 13 ] || die "exit status 13 (unsettled top-level await): the write did not end after SIGTERM, Node gave up on it"
}

step_local_snapshot_store() {
  step "Local snapshot store: refused on the container's own filesystem, accepted on a volume"
  # Self-contained: its own config (snapshot mode, local store at /local/destination-sqs) and host directory.
  snapshot_config=$secrets/snapshot-local.json
  node -e '
    const [file, base] = process.argv.slice(1);
    const config = JSON.parse(require("fs").readFileSync(base, "utf8"));
    config.change_detection = { mode: "snapshot", store: { type: "local", directory: "/local/destination-sqs" } };
    require("fs").writeFileSync(file, JSON.stringify(config));
  ' "$snapshot_config" "$secrets/config.json"
  chmod 644 "$snapshot_config"
  snapshot_volume=$work/local
  mkdir -p "$snapshot_volume" && chmod 777 "$snapshot_volume"
  snapshot_input='{"type":"RECORD","record":{"stream":"users","data":{"id":1,"name":"Ada"},"emitted_at":1}}'
  run --rm "${mount[@]}" "$image" check --config /secrets/snapshot-local.json >"$work/snapshot-check-no-volume.out" \
    || die "check exited with status $? without a volume"
  grep -q '"status":"FAILED".*container.*change_detection.store' "$work/snapshot-check-no-volume.out" \
    || die "check without a volume did not fail naming the S3 store: $(cat "$work/snapshot-check-no-volume.out")"
  echo "  check without a volume: FAILED, naming the S3 store"
  if echo "$snapshot_input" | run --rm "${mount[@]}" "$image" write --config /secrets/snapshot-local.json --catalog /secrets/catalog.json \
    >"$work/snapshot-write-no-volume.out"; then die "write without a volume succeeded"; fi
  grep -q '"failure_type":"config_error"' "$work/snapshot-write-no-volume.out" \
    || die "write without a volume did not fail with a config_error: $(tail -3 "$work/snapshot-write-no-volume.out")"
  echo "  write without a volume: config_error"
  run --rm "${mount[@]}" -v "$snapshot_volume:/local" "$image" check --config /secrets/snapshot-local.json >"$work/snapshot-check-volume.out" \
    || die "check exited with status $? with a volume"
  grep -q '"status":"SUCCEEDED"' "$work/snapshot-check-volume.out" || die "check with a volume failed: $(cat "$work/snapshot-check-volume.out")"
  echo "$snapshot_input" | run --rm "${mount[@]}" -v "$snapshot_volume:/local" "$image" write --config /secrets/snapshot-local.json \
    --catalog /secrets/catalog.json >"$work/snapshot-write-volume.out" || die "write with a volume exited with status $?: $(tail -3 "$work/snapshot-write-volume.out")"
  ls "$snapshot_volume"/destination-sqs/snapshot-*.sqlite >/dev/null || die "write with a volume left no snapshot file in the volume"
  echo "  with -v: check SUCCEEDED, write kept its snapshot on the volume"
}

step_size() {
  step "Image size, against the sizes docs/airbyte.md states"
  local size base_size modules addon dist app=/airbyte/integration_code
  size=$(docker image inspect --format '{{.Size}}' "$image")
  base_size=$(docker image inspect --format '{{.Size}}' "$base_image")
  modules=$(run --rm --entrypoint du "$image" -sb "$app/node_modules" | cut -f1)
  addon=$(run --rm --entrypoint stat "$image" -c %s "$app/node_modules/better-sqlite3/build/Release/better_sqlite3.node")
  dist=$(run --rm --entrypoint du "$image" -sb "$app/dist" | cut -f1)
  echo "  $image: $size bytes ($((size / 1024 / 1024)) MiB)"
  node --import tsx scripts/docker/doc-sizes.ts image="$size" base="$base_size" node_modules="$modules" addon="$addon" dist="$dist" \
    || die "docs/airbyte.md states sizes the image does not have"
}

STEPS=(
  step_spec
  step_check_platform
  step_discover_platform
  step_check_missing_queue
  step_write_platform
  step_clear_platform
  step_write_memory_limit
  step_metadata
  step_sigterm
  step_local_snapshot_store
  step_size
)
for step_function in "${STEPS[@]}"; do "$step_function"; done
