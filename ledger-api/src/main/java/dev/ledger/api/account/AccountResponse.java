package dev.ledger.api.account;

import dev.ledger.infra.projection.ReadModels.AccountBalance;

/** An account as the contract shapes it. */
public record AccountResponse(String accountId, String currency, long balance, long overdraftLimit, long version) {

    static AccountResponse of(AccountBalance account) {
        return new AccountResponse(account.accountId(), account.currency(), account.balance(),
                account.overdraftLimit(), account.version());
    }
}
