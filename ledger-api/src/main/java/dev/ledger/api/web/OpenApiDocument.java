package dev.ledger.api.web;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import org.springframework.context.annotation.Configuration;

/** Names the OpenAPI document served at {@code /v3/api-docs}: the ledger's REST contract, version 1. */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(info = @Info(title = "Ledger REST API", version = "v1",
        description = "Event-sourced accounts: money in minor units as JSON integers, idempotent POSTs"
                + " (Idempotency-Key), optimistic concurrency (If-Match), RFC 9457 problem details for every error."
                + " Every request but GET /actuator/health needs an API key (Authorization: Bearer); roles:"
                + " payments (writes and reads), auditor (reads), admin (reconciliation, rebuilds, dead letters,"
                + " metrics, and reads). 401 unauthorized without a valid key, 403 forbidden without the role,"
                + " 429 rate-limited past the client's budget."),
        security = @SecurityRequirement(name = "apiKey"))
@SecurityScheme(name = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API key issued to the client, sent as a bearer token")
class OpenApiDocument {
}
