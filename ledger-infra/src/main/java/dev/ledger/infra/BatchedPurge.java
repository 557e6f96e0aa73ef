package dev.ledger.infra;

import java.util.function.IntSupplier;

/** A purge bounded per statement and per run: it stops at a short batch or after the last allowed one. */
public final class BatchedPurge {

    private BatchedPurge() {
    }

    /**
     * @param deleteBatch deletes at most {@code batchSize} rows and answers how many it deleted
     * @return the rows deleted in all
     */
    public static int run(int batchSize, int batchesMax, IntSupplier deleteBatch) {
        int purged = 0;
        for (int batch = 0; batch < batchesMax; batch++) {
            int deleted = deleteBatch.getAsInt();
            purged += deleted;
            if (deleted < batchSize) {
                break;
            }
        }
        return purged;
    }
}
