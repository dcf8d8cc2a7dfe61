package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The pure parts of partitioned streams (ADR 0064): routing by key and the assignment of partitions to members; no server. */
class PartitionAssignmentTest {

    @Test
    void aKeyGoesToCrc32ModN_asZlibComputesIt() {
        // zlib.crc32(b"order-42") = 1475806942, b"kestrel" = 489749235: a program in another language finds the same partition.
        assertThat(PartitionedStreams.partitionOfKey("order-42", 12)).isEqualTo((int) (1475806942L % 12)).isEqualTo(10);
        assertThat(PartitionedStreams.partitionOfKey("kestrel", 12)).isEqualTo(3);
    }

    @Test
    void everyPartitionHasExactlyOneOwner_andTheSharesDifferByAtMostOne() {
        for (int n : new int[] {1, 4, 6, 12}) {
            for (int m = 1; m <= 8; m++) {
                List<String> members = new ArrayList<>();
                for (int k = 0; k < m; k++) members.add("redis-streams:s/member-" + k);
                Map<String, int[]> a = PartitionedStreams.assign(members, n);
                TreeSet<Integer> all = new TreeSet<>();
                int min = Integer.MAX_VALUE, max = 0;
                for (int[] share : a.values()) {
                    for (int p : share) assertThat(all.add(p)).as("partition %d owned twice (n %d, %d members)", p, n, m).isTrue();
                    min = Math.min(min, share.length);
                    max = Math.max(max, share.length);
                }
                assertThat(all).hasSize(n);
                assertThat(max - min).as("n %d, %d members", n, m).isLessThanOrEqualTo(1);
                assertThat(PartitionedStreams.assign(members.reversed(), n)).as("the order members are listed in does not matter")
                        .allSatisfy((member, share) -> assertThat(share).containsExactly(a.get(member)));
            }
        }
    }

    @Test
    void aJoiningMemberTakesItsShare_andMostPartitionsStayWhereTheyWere() {
        for (int n : new int[] {6, 12, 24}) {
            for (int m = 1; m <= 5; m++) {
                List<String> before = new ArrayList<>(), after;
                for (int k = 0; k < m; k++) before.add("redis-streams:orders/" + java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) n, (byte) k}));
                after = new ArrayList<>(before);
                after.add("redis-streams:orders/joiner");
                Map<String, int[]> was = PartitionedStreams.assign(before, n), is = PartitionedStreams.assign(after, n);
                int share = is.get("redis-streams:orders/joiner").length;
                assertThat(share).isGreaterThanOrEqualTo(n / (m + 1));
                int moved = 0;
                for (String member : before) {
                    TreeSet<Integer> had = new TreeSet<>();
                    for (int p : was.get(member)) had.add(p);
                    for (int p : is.get(member)) if (!had.contains(p)) moved++;
                }
                moved += share;
                assertThat(moved).as("partitions that change owner when 1 joins %d members over %d partitions", m, n).isLessThanOrEqualTo(2 * share);
            }
        }
    }
}
