package dev.ledger.api.web;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import org.springframework.context.annotation.Configuration;

/** Names the OpenAPI document served at {@code /v3/api-docs}: the ledger's REST contract, version 1. */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(info = @Info(title = "Ledger REST API", version = "v1",
        description = "Event-sourced accounts: money in minor units as JSON integers, idempotent POSTs"
                + " (Idempotency-Key), optimistic concurrency (If-Match), RFC 9457 problem details for every error."))
class OpenApiDocument {
}
