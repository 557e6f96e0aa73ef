package dev.ledger.infra.eventstore;

import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.UUID;
import org.axonframework.common.IdentifierFactory;

/**
 * Axon's identifiers (of commands, events and the rest) as time-ordered UUIDs (version 7, RFC
 * 9562): 48 bits of Unix milliseconds, then 74 random bits.
 *
 * <p>Axon's default is a random UUID, and every event's identifier goes into the store's unique
 * {@code event_identifier} index. Random keys land on a random leaf of that index each time, so
 * under load nearly every leaf is dirtied, written out and, after each checkpoint, logged again
 * as a full page, and on a large store that index is the busiest source of page reads. Keys that
 * grow with time land on its right-hand edge, like the global index's.
 *
 * <p>The random part comes from a generator per thread, each seeded from {@link SecureRandom}
 * (not from the clock, so two processes started together do not share a sequence); it is not
 * meant to be unpredictable, only unique, and the index refuses a duplicate in any case. Axon
 * finds this class through {@code META-INF/services/org.axonframework.common.IdentifierFactory}.
 */
public final class TimeOrderedIdentifierFactory extends IdentifierFactory {

    private static final SecureRandom SEEDS = new SecureRandom();
    private static final ThreadLocal<SplittableRandom> RANDOM =
            ThreadLocal.withInitial(TimeOrderedIdentifierFactory::seeded);

    @Override
    public String generateIdentifier() {
        return next(System.currentTimeMillis(), RANDOM.get()).toString();
    }

    /** A version 7 UUID for the given Unix milliseconds, its 74 random bits from the given generator. */
    static UUID next(long epochMillis, SplittableRandom random) {
        long high = (epochMillis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | random.nextInt(0x1000);
        long low = random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L;
        return new UUID(high, low);
    }

    private static SplittableRandom seeded() {
        return new SplittableRandom(SEEDS.nextLong());
    }
}
