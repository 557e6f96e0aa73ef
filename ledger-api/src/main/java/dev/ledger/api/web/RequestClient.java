package dev.ledger.api.web;

import org.springframework.stereotype.Component;

/**
 * Names the client a request comes from; idempotency keys and events are scoped and attributed
 * to it. Until API keys are introduced every caller is the single client {@value #ANONYMOUS}.
 */
@Component
public class RequestClient {

    public static final String ANONYMOUS = "anonymous";

    public String clientId() {
        return ANONYMOUS;
    }
}
