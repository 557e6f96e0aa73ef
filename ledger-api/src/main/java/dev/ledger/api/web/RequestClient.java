package dev.ledger.api.web;

import dev.ledger.api.security.ApiKeyFilter;
import dev.ledger.api.security.Client;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/**
 * Names the authenticated client of the current request; idempotency keys are scoped to it and
 * the events it causes record it.
 */
@Component
public class RequestClient {

    public String clientId() {
        RequestAttributes request = RequestContextHolder.currentRequestAttributes();
        Object client = request.getAttribute(ApiKeyFilter.CLIENT_ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
        if (!(client instanceof Client authenticated)) {
            throw new IllegalStateException("no authenticated client on this request");
        }
        return authenticated.id();
    }
}
