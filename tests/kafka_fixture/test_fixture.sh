#!/usr/bin/env bash
# CTest "kafka: mock fixture serves kcat": starts prequal-kafka-mock, checks kcat can produce and consume keyed
# messages with headers through it, and that its stdin commands (create, leader, down/up, errors) take effect.
# Usage: test_fixture.sh PATH/TO/prequal-kafka-mock [PATH/TO/kcat]
set -euo pipefail

fixture=${1:?usage: test_fixture.sh FIXTURE [KCAT]}
kcat=${2:-kcat}
work=$(mktemp -d "${TMPDIR:-/tmp}/prequal-kfix.XXXXXX")
fixture_pid=""
replies=0

cleanup() {
    exec 3>&- 2>/dev/null || true
    if [[ -n $fixture_pid ]] && kill -0 "$fixture_pid" 2>/dev/null; then
        kill -TERM "$fixture_pid" 2>/dev/null || true
        sleep 1
        kill -KILL "$fixture_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    echo "--- fixture stdout" >&2; cat "$work/out" >&2 2>/dev/null || true
    echo "--- fixture stderr" >&2; cat "$work/err" >&2 2>/dev/null || true
    exit 1
}

# wait_lines FILE N: waits (bounded) until FILE has at least N lines.
wait_lines() {
    local i
    for ((i = 0; i < 300; i++)); do
        [[ -f $1 && $(wc -l <"$1") -ge $2 ]] && return 0
        sleep 0.1
    done
    fail "timed out waiting for line $2 of $1"
}

# command LINE EXPECTED_PREFIX: sends one command and checks the reply it gets.
command() {
    echo "$1" >&3
    replies=$((replies + 1))
    wait_lines "$work/out" $((replies + 1))  # line 1 is BOOTSTRAP=
    local reply
    reply=$(sed -n "$((replies + 1))p" "$work/out")
    [[ $reply == "$2"* ]] || fail "command '$1': expected a reply starting '$2', got '$reply'"
}

k() { timeout 30 "$kcat" -b "$BOOTSTRAP" "$@"; }

# --- start: stdin is a FIFO held open on fd 3 so commands can be sent one at a time.
mkfifo "$work/cmd"
timeout 150 "$fixture" --brokers 3 --partitions 3 --port-file "$work/bootstrap.env" \
    <"$work/cmd" >"$work/out" 2>"$work/err" &
fixture_pid=$!
exec 3>"$work/cmd"
wait_lines "$work/out" 1
first=$(head -n1 "$work/out")
[[ $first =~ ^BOOTSTRAP=127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]] \
    || fail "first stdout line is not a 3-broker BOOTSTRAP=...: '$first'"
[[ $(cat "$work/bootstrap.env") == "$first" ]] || fail "--port-file does not hold the BOOTSTRAP line"
source "$work/bootstrap.env"

# --- the default topics exist with the requested partition count and replication factor 3.
meta=$(k -L -t credit_reports_generated_dlq)
grep -q 'topic "credit_reports_generated_dlq" with 3 partitions' <<<"$meta" || fail "topic metadata: $meta"
grep -q 'replicas: 1,2,3' <<<"$meta" || fail "replication factor is not 3: $meta"
meta=$(k -L -t loan_applications_decided)
grep -q 'topic "loan_applications_decided" with 3 partitions' <<<"$meta" || fail "decision topic: $meta"

# --- keyed messages with headers round-trip.
topic=loan_applications_submitted
for i in 1 2 3; do
    printf 'app-%s:{"n":%s}\n' "$i" "$i" |
        k -P -t "$topic" -K: -H "message_id=m$i" -H "event_type=LoanApplicationSubmitted" \
        || fail "produce $i failed"
done
got=$(k -C -t "$topic" -o beginning -e -q -f '%k|%s|%h\n' | sort)
want=$'app-1|{"n":1}|message_id=m1,event_type=LoanApplicationSubmitted
app-2|{"n":2}|message_id=m2,event_type=LoanApplicationSubmitted
app-3|{"n":3}|message_id=m3,event_type=LoanApplicationSubmitted'
[[ $got == "$want" ]] || fail "consumed messages differ:"$'\n'"got:"$'\n'"$got"$'\n'"want:"$'\n'"$want"

# --- commands: a topic whose partition 0 is led by broker 1 and partition 1 by broker 2.
command help "OK commands:"
command "no-such-command" "ERR "
command "down 7" "ERR broker id must be 1..3"
command "create fixture_check 2" "OK create fixture_check partitions=2 replication=3"
command "create fixture_check 2" "ERR "
command "leader fixture_check 0 1" "OK leader fixture_check 0 1"
command "leader fixture_check 1 2" "OK leader fixture_check 1 2"
k -L -t fixture_check | grep -q 'partition 0, leader 1,' || fail "leader command had no effect"

# Broker 1 down: its partition cannot take messages, broker 2's still can.
command "down 1" "OK down 1"
echo during-down | k -P -t fixture_check -p 1 || fail "produce to a partition led by a live broker failed"
if echo lost | k -P -t fixture_check -p 0 -X message.timeout.ms=3000 2>/dev/null; then
    fail "produce to a partition led by a downed broker succeeded"
fi
command "up 1" "OK up 1"
echo after-up | k -P -t fixture_check -p 0 || fail "produce after broker 1 came back failed"

# A pushed non-retriable error fails exactly the next Produce request.
command "errors Produce 1 TOPIC_AUTHORIZATION_FAILED" "OK errors Produce(0) x1 TOPIC_AUTHORIZATION_FAILED(29)"
if echo refused | k -P -t fixture_check -p 1 2>/dev/null; then fail "pushed Produce error was not returned"; fi
echo accepted | k -P -t fixture_check -p 1 || fail "produce after the pushed error failed"

got=$(k -C -t fixture_check -o beginning -e -q -f '%p:%s\n' | sort)
want=$'0:after-up\n1:accepted\n1:during-down'
[[ $got == "$want" ]] || fail "fixture_check holds:"$'\n'"$got"$'\n'"want:"$'\n'"$want"

# --- quit ends the process with status 0.
command quit "OK bye"
exec 3>&-
status=0
wait "$fixture_pid" || status=$?
fixture_pid=""
[[ $status -eq 0 ]] || fail "fixture exited with $status after quit"

# --- SIGTERM also ends it cleanly (here without a stdin to read).
timeout 60 "$fixture" --brokers 1 --topics '' --no-stdin >"$work/out2" 2>>"$work/err" &
fixture_pid=$!
wait_lines "$work/out2" 1
kill -TERM "$fixture_pid"
status=0
wait "$fixture_pid" || status=$?
fixture_pid=""
[[ $status -eq 0 ]] || fail "fixture exited with $status on SIGTERM"

echo "PASS: kcat produced/consumed through prequal-kafka-mock; commands took effect; clean exits"
