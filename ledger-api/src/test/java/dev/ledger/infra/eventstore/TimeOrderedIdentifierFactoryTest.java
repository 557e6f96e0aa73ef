package dev.ledger.infra.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.axonframework.common.IdentifierFactory;
import org.junit.jupiter.api.Test;

class TimeOrderedIdentifierFactoryTest {

    private static final long MILLIS = 1_795_000_000_000L;

    @Test
    void axon_finds_the_factory_through_its_service_file() {
        assertThat(IdentifierFactory.getInstance()).isInstanceOf(TimeOrderedIdentifierFactory.class);
    }

    @Test
    void an_identifier_is_a_version_7_uuid_that_carries_its_milliseconds() {
        UUID id = UUID.fromString(new TimeOrderedIdentifierFactory().generateIdentifier());
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);

        UUID at = TimeOrderedIdentifierFactory.next(MILLIS, new SplittableRandom(1));
        assertThat(at.getMostSignificantBits() >>> 16).isEqualTo(MILLIS);
        assertThat(at.version()).isEqualTo(7);
        assertThat(at.variant()).isEqualTo(2);
    }

    @Test
    void identifiers_of_a_later_millisecond_sort_after_those_of_an_earlier_one_as_text() {
        SplittableRandom random = new SplittableRandom(7);
        String latestEarlier = "";
        String firstLater = null;
        for (int i = 0; i < 10_000; i++) {
            String earlier = TimeOrderedIdentifierFactory.next(MILLIS, random).toString();
            String later = TimeOrderedIdentifierFactory.next(MILLIS + 1, random).toString();
            latestEarlier = earlier.compareTo(latestEarlier) > 0 ? earlier : latestEarlier;
            firstLater = firstLater == null || later.compareTo(firstLater) < 0 ? later : firstLater;
        }
        assertThat(firstLater).isGreaterThan(latestEarlier);
    }

    @Test
    void identifiers_made_on_several_threads_at_once_are_distinct() throws Exception {
        TimeOrderedIdentifierFactory factory = new TimeOrderedIdentifierFactory();
        int threads = 4;
        int each = 50_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<String>>> made = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                made.add(pool.submit(() -> {
                    List<String> ids = new ArrayList<>(each);
                    for (int i = 0; i < each; i++) {
                        ids.add(factory.generateIdentifier());
                    }
                    return ids;
                }));
            }
            Set<String> distinct = new HashSet<>();
            for (Future<List<String>> ids : made) {
                distinct.addAll(ids.get(60, TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(threads * each);
        } finally {
            pool.shutdownNow();
        }
    }
}
