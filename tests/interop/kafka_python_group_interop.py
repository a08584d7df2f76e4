#!/usr/bin/python3
"""Consumer-group interoperability between samsa and kafka-python (Debian's
python3-kafka 2.0.2): the ConsumerProtocol codec in both directions and the
partition assignors side by side.

  usage: /usr/bin/python3 kafka_python_group_interop.py PATH/TO/group_interop_tool [SEED]

(a) kafka-python -> samsa: random ConsumerProtocolMemberMetadata (subscription
    v0), ConsumerProtocolMemberAssignment and StickyAssignorUserDataV1 values
    encoded by kafka-python must decode to the same values with samsa.
(b) samsa -> kafka-python: samsa's encodings of the same values must be
    byte-identical to kafka-python's and decode with it; samsa's v1-v3
    subscriptions must decode with kafka-python's v0 schema (a prefix, as
    Kafka's forward compatibility promises), and their added fields with
    kafka-python's protocol types.
(c) Assignors: for a few hundred seeded random groups, samsa's range and
    roundrobin assignments must equal kafka-python's RangePartitionAssignor
    and RoundRobinPartitionAssignor exactly. kafka-python's
    StickyPartitionAssignor implements Kafka's older algorithm, so for sticky
    both results are checked for validity and balance (Kafka's
    verifyValidityAndBalance) over several rebalances per group, with
    previous assignments carried in StickyAssignorUserDataV1 user data that
    kafka-python encodes; exact agreement is counted and reported.
It also checks that a deliberately altered input is noticed, so a checker
that accepts anything cannot make the test pass.

Exits non-zero on any mismatch, and also when kafka-python cannot be imported:
a missing dependency must fail the test, not skip it (scripts/install-deps
installs python3-kafka).
"""

import collections
import json
import os
import random
import subprocess
import sys
import tempfile
from io import BytesIO

try:
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import (StickyAssignorUserDataV1,
                                                                    StickyPartitionAssignor)
    from kafka.coordinator.protocol import (ConsumerProtocolMemberAssignment,
                                            ConsumerProtocolMemberMetadata)
    from kafka.protocol.types import Array, Int32, String
except ImportError as e:  # pragma: no cover - the failure path is the point
    sys.exit("FAIL: /usr/bin/python3 cannot import kafka-python ({}); "
             "install python3-kafka (scripts/install-deps)".format(e))

import logging
logging.getLogger("kafka").setLevel(logging.CRITICAL)  # its sticky assignor logs conflicts

TOOL = sys.argv[1] if len(sys.argv) > 1 else sys.exit("usage: kafka_python_group_interop.py TOOL [SEED]")
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else int(os.environ.get("SAMSA_FUZZ_SEED", "20261125"))
rng = random.Random(SEED)
failures = []


def fail(message):
    failures.append(message)
    print("MISMATCH " + message, file=sys.stderr)


def run_tool(requests):
    with tempfile.TemporaryDirectory() as tmp:
        req_path = os.path.join(tmp, "requests.json")
        resp_path = os.path.join(tmp, "responses.json")
        with open(req_path, "w") as f:
            json.dump(requests, f)
        subprocess.run([TOOL, req_path, resp_path], check=True)
        with open(resp_path) as f:
            responses = json.load(f)
    assert len(responses) == len(requests), "tool answered {} of {}".format(len(responses), len(requests))
    return responses


def encode(struct_class, *fields):
    """kafka-python's Struct.encode holds its instance weakly: keep it alive."""
    value = struct_class(*fields)
    return value.encode()


def hexor(b):
    return None if b is None else b.hex()


# --- random values -----------------------------------------------------------------

TOPIC_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._-"


def random_topic():
    name = "".join(rng.choice(TOPIC_CHARS) for _ in range(rng.randint(1, 12)))
    return name if rng.random() < 0.9 else name + "-тема-日本"


def random_bytes():
    r = rng.random()
    if r < 0.2:
        return None
    if r < 0.3:
        return b""
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))


def random_topic_partitions():
    return [(random_topic(), [rng.randint(0, 2 ** 31 - 1) if rng.random() < 0.1 else rng.randint(0, 50)
                              for _ in range(rng.randint(0, 6))])
            for _ in range(rng.randint(0, 4))]


def tp_json(tps):
    return [[t, list(ps)] for t, ps in tps]


# --- (a) and (b): the codec ------------------------------------------------------------

def codec_checks():
    requests, checks = [], []

    def ask(request, check):
        requests.append(request)
        checks.append(check)

    for i in range(150):
        topics = [random_topic() for _ in range(rng.randint(0, 5))]
        user_data = random_bytes()
        py = encode(ConsumerProtocolMemberMetadata, 0, topics, user_data)

        def check_decoded_sub(r, i=i, topics=topics, user_data=user_data):
            if not r["ok"]:
                return "subscription {}: samsa rejected kafka-python's bytes: {}".format(i, r["error"])
            if (r["version"], r["topics"], r["user_data"]) != (0, topics, hexor(user_data)):
                return "subscription {}: samsa decoded {}, kafka-python encoded {}".format(
                    i, (r["version"], r["topics"], r["user_data"]), (0, topics, hexor(user_data)))
        ask({"op": "decode_subscription", "hex": py.hex()}, check_decoded_sub)

        def check_encoded_sub(r, i=i, py=py, topics=topics, user_data=user_data):
            if not r["ok"]:
                return "subscription {}: samsa failed to encode: {}".format(i, r["error"])
            ours = bytes.fromhex(r["hex"])
            if ours != py:
                return "subscription {}: samsa's v0 bytes {} differ from kafka-python's {}".format(
                    i, ours.hex(), py.hex())
            back = ConsumerProtocolMemberMetadata.decode(ours)
            if (back.version, back.subscription, back.user_data) != (0, topics, user_data):
                return "subscription {}: kafka-python decoded samsa's bytes as {}".format(i, back)
        ask({"op": "encode_subscription", "version": 0, "topics": topics, "user_data": hexor(user_data)},
            check_encoded_sub)

        # Newer versions: kafka-python reads the v0 prefix; the rest is read
        # here with kafka-python's protocol types.
        version = rng.randint(1, 3)
        owned = random_topic_partitions()
        generation = rng.randint(-1, 2 ** 31 - 1)
        rack = None if rng.random() < 0.5 else random_topic()

        def check_newer(r, i=i, version=version, topics=topics, user_data=user_data, owned=owned,
                        generation=generation, rack=rack):
            if not r["ok"]:
                return "subscription {} v{}: samsa failed to encode: {}".format(i, version, r["error"])
            data = BytesIO(bytes.fromhex(r["hex"]))
            back = ConsumerProtocolMemberMetadata.decode(data)
            if (back.version, back.subscription, back.user_data) != (version, topics, user_data):
                return "subscription {} v{}: kafka-python read the prefix as {}".format(i, version, back)
            got_owned = Array(("topic", String("utf-8")), ("partitions", Array(Int32))).decode(data)
            if [(t, list(p)) for t, p in got_owned] != owned:
                return "subscription {} v{}: owned partitions {} != {}".format(i, version, got_owned, owned)
            if version >= 2 and Int32.decode(data) != generation:
                return "subscription {} v{}: generation differs".format(i, version)
            if version >= 3 and String("utf-8").decode(data) != rack:
                return "subscription {} v{}: rack differs".format(i, version)
            if data.read():
                return "subscription {} v{}: trailing bytes".format(i, version)
        ask({"op": "encode_subscription", "version": version, "topics": topics,
             "user_data": hexor(user_data), "owned_partitions": tp_json(owned),
             "generation_id": generation, "rack_id": rack}, check_newer)

        partitions = random_topic_partitions()
        a_user_data = random_bytes()
        py_a = encode(ConsumerProtocolMemberAssignment, 0, partitions, a_user_data)

        def check_decoded_assignment(r, i=i, partitions=partitions, a_user_data=a_user_data):
            if not r["ok"]:
                return "assignment {}: samsa rejected kafka-python's bytes: {}".format(i, r["error"])
            if (r["version"], r["partitions"], r["user_data"]) != (0, tp_json(partitions), hexor(a_user_data)):
                return "assignment {}: samsa decoded {}".format(i, r)
        ask({"op": "decode_assignment", "hex": py_a.hex()}, check_decoded_assignment)

        def check_encoded_assignment(r, i=i, py_a=py_a, partitions=partitions, a_user_data=a_user_data):
            if not r["ok"]:
                return "assignment {}: samsa failed to encode: {}".format(i, r["error"])
            ours = bytes.fromhex(r["hex"])
            if ours != py_a:
                return "assignment {}: samsa's bytes {} differ from kafka-python's {}".format(
                    i, ours.hex(), py_a.hex())
            back = ConsumerProtocolMemberAssignment.decode(ours)
            if ([(t, list(p)) for t, p in back.assignment], back.user_data) != (partitions, a_user_data):
                return "assignment {}: kafka-python decoded samsa's bytes as {}".format(i, back)
        ask({"op": "encode_assignment", "version": 0, "partitions": tp_json(partitions),
             "user_data": hexor(a_user_data)}, check_encoded_assignment)

        previous = random_topic_partitions()
        sticky_generation = rng.randint(-1, 1000)
        py_ud = encode(StickyAssignorUserDataV1, previous, sticky_generation)

        def check_decoded_ud(r, i=i, previous=previous, sticky_generation=sticky_generation):
            if not r["ok"]:
                return "sticky user data {}: samsa rejected kafka-python's bytes: {}".format(i, r["error"])
            if (r["previous_assignment"], r["generation"]) != (tp_json(previous), sticky_generation):
                return "sticky user data {}: samsa decoded {}".format(i, r)
        ask({"op": "decode_sticky_user_data", "hex": py_ud.hex()}, check_decoded_ud)

        def check_encoded_ud(r, i=i, py_ud=py_ud):
            if bytes.fromhex(r["hex"]) != py_ud:
                return "sticky user data {}: samsa's bytes {} differ from kafka-python's {}".format(
                    i, r["hex"], py_ud.hex())
        ask({"op": "encode_sticky_user_data", "previous_assignment": tp_json(previous),
             "generation": sticky_generation}, check_encoded_ud)

    # The checkers must notice a wrong answer: a subscription whose topic
    # bytes were altered, and a truncated one.
    good = encode(ConsumerProtocolMemberMetadata, 0, ["alpha"], b"x")
    altered = good.replace(b"alpha", b"alphb")
    ask({"op": "decode_subscription", "hex": altered.hex()},
        lambda r: None if check_sentinel(r, ["alpha"]) else "the checker missed an altered topic")
    ask({"op": "decode_subscription", "hex": good[:-1].hex()},
        lambda r: None if not r["ok"] else "samsa accepted a truncated subscription")

    responses = run_tool(requests)
    for response, check in zip(responses, checks):
        problem = check(response)
        if problem:
            fail(problem)
    print("codec: {} exchanges checked".format(len(requests)))


def check_sentinel(r, topics):
    """True when the decoded response does NOT match `topics` (i.e. the alteration shows)."""
    return r["ok"] and r["topics"] != topics


# --- (c): the assignors ------------------------------------------------------------

class FakeCluster(object):
    """The two ClusterMetadata calls kafka-python's assignors make."""

    def __init__(self, partitions):
        self._partitions = partitions

    def topics(self):
        return set(self._partitions)

    def partitions_for_topic(self, topic):
        n = self._partitions.get(topic)
        return None if n is None else set(range(n))


def flatten(assignment):
    return sorted([t, p] for t, ps in assignment for p in ps)


def python_assign(assignor, partitions, members):
    metadata = {m: ConsumerProtocolMemberMetadata(0, topics, ud) for m, (topics, ud) in members.items()}
    result = assignor.assign(FakeCluster(partitions), metadata)
    return {m: flatten(a.assignment) for m, a in result.items()}


def assign_request(name, partitions, members):
    return {"op": "assign", "assignor": name, "partitions": partitions,
            "members": {m: {"topics": t, "user_data": hexor(ud)} for m, (t, ud) in members.items()}}


def validity_and_balance(partitions, members, assignment):
    """Kafka's verifyValidityAndBalance plus completeness; returns problems."""
    problems = []
    owner = {}
    subscribed = set()
    for m, (topics, _) in members.items():
        subscribed.update(topics)
        if m not in assignment:
            problems.append("{} has no assignment".format(m))
            continue
        for t, p in assignment[m]:
            if t not in topics:
                problems.append("{}-{} assigned to unsubscribed {}".format(t, p, m))
            if (t, p) in owner:
                problems.append("{}-{} assigned to {} and {}".format(t, p, owner[(t, p)], m))
            owner[(t, p)] = m
    for t, n in partitions.items():
        if t in subscribed:
            for p in range(n):
                if (t, p) not in owner:
                    problems.append("{}-{} unassigned".format(t, p))
    names = sorted(assignment)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            la, lb = len(assignment[a]), len(assignment[b])
            if abs(la - lb) <= 1:
                continue
            shared = {t for t, _ in assignment[a]} & {t for t, _ in assignment[b]}
            if shared:
                problems.append("{} ({}) and {} ({}) share {}".format(a, la, b, lb, sorted(shared)))
    return problems


def random_member_id(used):
    while True:
        m = "consumer-{}-{:08x}".format(rng.randint(0, 99), rng.getrandbits(32))
        if m not in used:
            used.add(m)
            return m


def range_and_roundrobin_checks():
    cases = []
    for i in range(300):
        topics = sorted({random_topic() for _ in range(rng.randint(1, 6))})
        partitions = {t: rng.randint(1, 8) for t in topics}
        candidates = topics + ["no-such-topic"]  # subscribed, but without metadata
        used = set()
        members = {}
        for _ in range(rng.randint(1, 8)):
            members[random_member_id(used)] = (rng.sample(candidates, rng.randint(0, len(candidates))), b"")
        for name, assignor in (("range", RangePartitionAssignor), ("roundrobin", RoundRobinPartitionAssignor)):
            cases.append((name, partitions, members, python_assign(assignor, partitions, members)))
    responses = run_tool([assign_request(n, p, m) for n, p, m, _ in cases])
    mismatches = 0
    for (name, partitions, members, expected), r in zip(cases, responses):
        if not r["ok"]:
            fail("{}: samsa failed: {}".format(name, r["error"]))
        elif r["assignment"] != expected:
            mismatches += 1
            fail("{} on {} with {}:\n  samsa        {}\n  kafka-python {}".format(
                name, partitions, members, r["assignment"], expected))
    print("range/roundrobin: {} groups compared, {} mismatches".format(len(cases), mismatches))

    # The comparison can tell assignments apart: where kafka-python's range
    # and roundrobin differ, samsa's range must differ from kafka-python's
    # roundrobin.
    differing = [(c, r) for c, r in zip(cases, responses) if c[0] == "range"]
    differing = [(c, r) for c, r in differing
                 if c[3] != python_assign(RoundRobinPartitionAssignor, c[1], c[2])]
    if not differing:
        fail("no group where range and roundrobin differ: the comparison proves nothing")
    for (name, partitions, members, _), r in differing[:20]:
        if r["ok"] and r["assignment"] == python_assign(RoundRobinPartitionAssignor, partitions, members):
            fail("samsa's range equals kafka-python's roundrobin where kafka-python's range does not")


def sticky_checks():
    """40 groups, 5 rebalances each; the groups advance in lockstep so each
    generation is one batch for the tool."""
    groups = []
    for scenario in range(40):
        topics = ["topic{}".format(i) for i in range(rng.randint(2, 7))]
        identical = scenario % 2 == 0
        group = {"topics": topics, "identical": identical, "used": set(), "subs": {}, "previous": {},
                 "partitions": {t: rng.randint(1, 10) for t in topics},
                 # whose result the next rebalance starts from
                 "carry": "samsa" if scenario % 4 < 2 else "kafka-python"}
        for _ in range(rng.randint(2, 9)):
            group["subs"][random_member_id(group["used"])] = subscription_for(group)
        groups.append(group)

    exact = {True: 0, False: 0}
    compared = {True: 0, False: 0}
    python_problems = 0
    kept = {"samsa": 0, "kafka-python": 0}
    for generation in range(1, 6):
        batch = []
        for group in groups:
            subs = group["subs"]
            # Change the group: a member leaves, one joins, or one resubscribes.
            change = rng.random()
            if change < 0.3 and len(subs) > 1:
                del subs[rng.choice(sorted(subs))]
            elif change < 0.6:
                subs[random_member_id(group["used"])] = subscription_for(group)
            elif not group["identical"]:
                subs[rng.choice(sorted(subs))] = subscription_for(group)
            members = {}
            for m, t in subs.items():
                ud = b""
                if m in group["previous"]:
                    grouped = collections.OrderedDict()
                    for topic, p in group["previous"][m]:
                        grouped.setdefault(topic, []).append(p)
                    ud = encode(StickyAssignorUserDataV1, list(grouped.items()), generation - 1)
                members[m] = (list(t), ud)
            batch.append(members)
        responses = run_tool([assign_request("sticky", g["partitions"], m) for g, m in zip(groups, batch)])
        for index, (group, members, r) in enumerate(zip(groups, batch, responses)):
            partitions, identical = group["partitions"], group["identical"]
            where = "sticky group {} generation {} ({} subscriptions)".format(
                index, generation, "identical" if identical else "mixed")
            if not r["ok"]:
                fail("{}: samsa failed: {}".format(where, r["error"]))
                continue
            ours = r["assignment"]
            py = python_assign(StickyPartitionAssignor, partitions, members)
            compared[identical] += 1
            exact[identical] += ours == py
            for problem in validity_and_balance(partitions, members, ours):
                fail("{}: samsa: {}".format(where, problem))
            py_issues = validity_and_balance(partitions, members, py)
            if py_issues:
                python_problems += 1
                print("note: {}: kafka-python's own sticky result: {}".format(where, py_issues))
            if identical:
                sizes = [len(a) for a in ours.values()]
                if max(sizes) - min(sizes) > 1:
                    fail("{}: samsa's counts {} differ by more than one".format(where, sizes))
            previous = group["previous"]
            for name, result in (("samsa", ours), ("kafka-python", py)):
                kept[name] += sum(1 for m in result for tp in result[m] if tp in previous.get(m, []))
            group["previous"] = ours if group["carry"] == "samsa" else py
    print("sticky: {} rebalances with identical subscriptions, samsa equal to kafka-python in {}; "
          "{} with mixed ones, equal in {}".format(compared[True], exact[True], compared[False], exact[False]))
    print("sticky: previously owned partitions kept: samsa {}, kafka-python {}; kafka-python's own "
          "result invalid or unbalanced in {}".format(kept["samsa"], kept["kafka-python"], python_problems))


def subscription_for(group):
    topics = group["topics"]
    return list(topics) if group["identical"] else rng.sample(topics, rng.randint(1, len(topics)))


def main():
    print("seed {} (pass a second argument or SAMSA_FUZZ_SEED to change it)".format(SEED))
    codec_checks()
    range_and_roundrobin_checks()
    sticky_checks()
    if failures:
        print("FAIL: {} mismatches (seed {})".format(len(failures), SEED), file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
