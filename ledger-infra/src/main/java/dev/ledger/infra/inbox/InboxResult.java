package dev.ledger.infra.inbox;

/**
 * @param replayed  true when the response is the stored answer to an earlier identical request
 * @param requestId the id of the request that produced the response
 */
public record InboxResult(StoredResponse response, boolean replayed, String requestId) {
}
