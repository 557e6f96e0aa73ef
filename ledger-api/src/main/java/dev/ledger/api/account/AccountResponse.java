package dev.ledger.api.account;

import dev.ledger.infra.account.AccountHistory.AccountState;

/** An account as the contract shapes it. */
public record AccountResponse(String accountId, String currency, long balance, long overdraftLimit, long version) {

    static AccountResponse of(AccountState state) {
        return new AccountResponse(state.accountId(), state.currency(), state.balance(), state.overdraftLimit(),
                state.version());
    }
}
