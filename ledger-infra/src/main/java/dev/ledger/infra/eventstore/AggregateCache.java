package dev.ledger.infra.eventstore;

import dev.ledger.infra.command.AccountLocks;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.axonframework.common.Registration;
import org.axonframework.common.caching.Cache;
import org.axonframework.eventsourcing.AggregateCacheEntry;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The accounts this process has loaded, so that a command does not read its account's stream
 * again: a bounded least-recently-used map, safe for concurrent use.
 *
 * <p>What Axon caches is the live aggregate, and it puts it here when a command's unit of work
 * commits. But that unit of work joins the ledger's own transaction (the one that also stores
 * the idempotent answer), which commits later, or rolls back. Two rules keep an entry from ever
 * running ahead of the store:
 * <ul>
 *   <li>Only a thread that holds the account's in-process lock ({@link AccountLocks}) reads or
 *       writes its entry; for any other thread the cache is empty and drops what it is given. The
 *       executor holds the lock from before its transaction starts until after it ended, so no
 *       other command sees an account half-way through a transaction.</li>
 *   <li>Every transaction that runs commands registers its accounts with
 *       {@link #evictUnlessCommitted}: they leave the cache when it ends in anything but a commit,
 *       before the lock is released.</li>
 * </ul>
 * An entry can still fall behind the store (another process, or a command sent without the lock,
 * appended to the account). The executor therefore compares the entries of its accounts with the
 * store's last sequence numbers once it holds their database locks ({@link #keepOnlyCurrent}), so
 * a command never starts from a stale entry; and should one slip through, its append collides with
 * the unique (account, version) index, Axon evicts the entry, and the retry reads the stream. A
 * transaction whose start is checked at its commit runs its commands on the entries first
 * ({@link #versionsIfAllCached}) and checks, under the locks, that they were current: if one was
 * not, nothing the commands did is kept, the entries leave, and the commands run again.
 */
public final class AggregateCache implements Cache {

    private final Map<Object, Object> entries;
    private final AccountLocks locks;

    public AggregateCache(AccountLocks locks, int entriesMax) {
        this.locks = locks;
        if (entriesMax < 1) {
            throw new IllegalArgumentException("the cache needs room for at least one account");
        }
        this.entries = new LinkedHashMap<>(Math.min(entriesMax, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Object, Object> eldest) {
                return size() > entriesMax;
            }
        };
    }

    /** Removes these accounts when the current transaction ends without committing. */
    public void evictUnlessCommitted(Collection<String> accountIds) {
        List<String> ids = List.copyOf(accountIds);
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                if (status != STATUS_COMMITTED) {
                    ids.forEach(AggregateCache.this::remove);
                }
            }
        });
    }

    /**
     * Evicts the entries of these accounts that are not at the given last sequence number (the
     * store's, read under the accounts' database locks); an account missing from the map has no
     * events. Only entries the calling thread may use are looked at.
     */
    public synchronized void keepOnlyCurrent(Collection<String> accountIds, Map<String, Long> lastSequences) {
        for (String accountId : accountIds) {
            Object entry = get(accountId);
            if (entry != null && !Long.valueOf(versionOf(entry)).equals(lastSequences.get(accountId))) {
                entries.remove(accountId);
            }
        }
    }

    /**
     * The version of each of these accounts as cached, or null unless every one of them is (for a
     * thread that holds their locks).
     */
    public synchronized Map<String, Long> versionsIfAllCached(Collection<String> accountIds) {
        Map<String, Long> versions = new LinkedHashMap<>();
        for (String accountId : accountIds) {
            Object entry = get(accountId);
            long version = entry == null ? -1 : versionOf(entry);
            if (version < 0) {
                return null;
            }
            versions.put(accountId, version);
        }
        return versions;
    }

    private static long versionOf(Object entry) {
        EventSourcedAggregate<?> aggregate = live(entry);
        return aggregate == null || aggregate.version() == null ? -1 : aggregate.version();
    }

    /**
     * The live aggregate cached for this account (the one its last command ran on), or null when
     * there is none or the calling thread does not hold the account's lock.
     */
    public synchronized EventSourcedAggregate<?> liveAggregate(String accountId) {
        return live(get(accountId));
    }

    private static EventSourcedAggregate<?> live(Object entry) {
        if (entry instanceof AggregateCacheEntry<?> cached) {
            try {
                // An entry Axon put here holds the live aggregate, which this returns as it is.
                return cached.recreateAggregate(null, null, null, null);
            } catch (RuntimeException notLive) {
                return null;
            }
        }
        return null;
    }

    public synchronized int size() {
        return entries.size();
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized <K, V> V get(K key) {
        return locked(key) ? (V) entries.get(key) : null;
    }

    @Override
    public synchronized void put(Object key, Object value) {
        if (locked(key)) {
            entries.put(key, value);
        } else {
            entries.remove(key);
        }
    }

    @Override
    public synchronized boolean putIfAbsent(Object key, Object value) {
        if (!locked(key)) {
            entries.remove(key);
            return false;
        }
        return entries.putIfAbsent(key, value) == null;
    }

    @Override
    public synchronized boolean remove(Object key) {
        return entries.remove(key) != null;
    }

    @Override
    public synchronized void removeAll() {
        entries.clear();
    }

    @Override
    public synchronized boolean containsKey(Object key) {
        return locked(key) && entries.containsKey(key);
    }

    private boolean locked(Object key) {
        return key instanceof String accountId && locks.isHeldByCurrentThread(accountId);
    }

    @Override
    public Registration registerCacheEntryListener(EntryListener cacheEntryListener) {
        // Nothing here listens to the cache; Axon registers no listener for aggregate caches.
        return () -> true;
    }
}
