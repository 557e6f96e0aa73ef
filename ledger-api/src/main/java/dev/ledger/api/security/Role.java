package dev.ledger.api.security;

/** What a client may do. */
public enum Role {
    /** Open accounts, deposit, withdraw, transfer, and read. */
    PAYMENTS,
    /** Read only: accounts, histories, the global feed, balance reports. */
    AUDITOR,
    /** Reconciliation, read-model rebuilds, dead letters, metrics, and read. */
    ADMIN
}
