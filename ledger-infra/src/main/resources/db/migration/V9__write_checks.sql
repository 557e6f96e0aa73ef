-- A group of writes whose accounts are all cached sends the checks of its start with its rows and
-- its commit, in one round trip (IdempotentExecutor): the accounts' locks, then one statement per
-- check that fails when what the writes assumed is not so (a key's lock taken, an account written
-- by someone else). A failing statement stops the statements behind it, the rows and the commit
-- included, so the transaction rolls back having written nothing, and the writes run again the
-- careful way. SQLSTATE LW001 names that failure.
create function ledger_expect(condition boolean, what text) returns boolean
    language plpgsql
as $$
begin
    if condition is distinct from true then
        raise exception 'ledger: % not as the writes expected', what using errcode = 'LW001';
    end if;
    return true;
end
$$;
