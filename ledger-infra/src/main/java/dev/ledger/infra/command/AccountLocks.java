package dev.ledger.infra.command;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serializes commands per account inside this process, so that commands on a hot account queue
 * instead of failing their optimistic version check and retrying. A fixed array of fair locks is
 * striped by account id: memory stays bounded however many accounts there are, and several
 * accounts are locked in ascending stripe order, so two commands can never wait on each other.
 * This is a throughput measure only; correctness across processes rests on the unique
 * (aggregate, sequence) index in the event store.
 */
public final class AccountLocks {

    public static final int STRIPES = 1024;

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final Duration waitMax;

    public AccountLocks(Duration waitMax) {
        this.waitMax = waitMax;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock(true);
        }
    }

    /** The stripe whose lock stands for this account. */
    public static int stripeOf(String accountId) {
        return Math.floorMod(accountId.hashCode(), STRIPES);
    }

    /** True when this thread holds the lock that stands for the account. */
    public boolean isHeldByCurrentThread(String accountId) {
        return stripes[stripeOf(accountId)].isHeldByCurrentThread();
    }

    public <T> T withLocks(List<String> accountIds, Supplier<T> work) {
        TreeSet<Integer> order = new TreeSet<>();
        for (String accountId : accountIds) {
            order.add(stripeOf(accountId));
        }
        List<ReentrantLock> held = new ArrayList<>(order.size());
        long deadline = System.nanoTime() + waitMax.toNanos();
        try {
            for (int stripe : order) {
                ReentrantLock lock = stripes[stripe];
                if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    throw new AccountBusyException(waitMax);
                }
                held.add(lock);
            }
            return work.get();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new AccountBusyException(waitMax);
        } finally {
            for (int i = held.size() - 1; i >= 0; i--) {
                held.get(i).unlock();
            }
        }
    }
}
