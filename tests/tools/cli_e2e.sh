#!/bin/sh
# End to end through the real `samsa` binary on the real filesystem:
# produce from a pipe, consume it back, administer topics, check exit codes.
# usage: cli_e2e.sh <path to samsa>
set -eu
samsa=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
logs=$dir/kafka-logs
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect <what> <expected> <actual>
  [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"
}

out=$(printf 'a\nb\n' | "$samsa" produce --log-dir "$logs" --topic t --print-offsets)
expect "produce offsets" "t-0@0
t-0@1" "$out"
[ -f "$logs/.kafka_cleanshutdown" ] || fail "no clean-shutdown marker after produce"

out=$(printf 'k1:v1\n' | "$samsa" produce --log-dir "$logs" --topic t \
        --property parse.key=true --property key.separator=: --print-offsets)
expect "keyed produce" "t-0@2" "$out"

out=$("$samsa" consume --log-dir "$logs" --topic t --from-beginning --timeout-ms 0 \
        2>"$dir/err")
expect "consume" "a
b
v1" "$out"
expect "consume summary" "Processed a total of 3 messages" "$(cat "$dir/err")"

out=$("$samsa" consume --log-dir "$logs" --topic t --partition 0 --offset 2 --timeout-ms 0 \
        --property print.key=true --property print.offset=true 2>/dev/null)
expect "consume --offset" "$(printf 'Offset:2\tk1\tv1')" "$out"

# Default start is the end; the idle timeout is real time here.
out=$("$samsa" consume --log-dir "$logs" --topic t --timeout-ms 100 2>/dev/null)
expect "consume latest" "" "$out"

out=$("$samsa" topics --log-dir "$logs" --create --topic u --partitions 2 --config retention.ms=1000)
expect "create" "Created topic u." "$out"
expect "list" "t
u" "$("$samsa" topics --log-dir "$logs" --list)"
out=$("$samsa" topics --log-dir "$logs" --describe --topic t | sed 's/TopicId: [^	]*/TopicId: X/')
expect "describe" "$(printf 'Topic: t\tTopicId: X\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n\tTopic: t\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\tLogStartOffset: 0\tLogEndOffset: 3\tHighWatermark: 3')" "$out"
"$samsa" topics --log-dir "$logs" --delete --topic u
expect "list after delete" "t" "$("$samsa" topics --log-dir "$logs" --list)"

# Exit codes: 1 for what the broker refuses, 2 for usage.
rc=0; printf 'nosep\n' | "$samsa" produce --log-dir "$logs" --topic t \
  --property parse.key=true 2>"$dir/err" || rc=$?
expect "missing separator rc" 1 "$rc"
expect "missing separator message" "No key separator found on line number 1: 'nosep'" "$(cat "$dir/err")"
rc=0; "$samsa" topics --log-dir "$logs" --describe --topic nope 2>/dev/null || rc=$?
expect "unknown topic rc" 1 "$rc"
rc=0; "$samsa" consume --log-dir "$logs" --topic t --bogus 2>"$dir/err" || rc=$?
expect "unknown flag rc" 2 "$rc"
expect "unknown flag message" "samsa consume: unknown option '--bogus'" "$(cat "$dir/err")"
rc=0; "$samsa" consume --log-dir "$logs" --topic t --offset 1 2>/dev/null || rc=$?
expect "offset without partition rc" 2 "$rc"
echo "cli e2e: ok"
