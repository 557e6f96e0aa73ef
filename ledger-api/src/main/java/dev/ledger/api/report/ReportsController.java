package dev.ledger.api.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.infra.projection.ReadModels;
import dev.ledger.infra.projection.ReadModels.CurrencyBalance;
import dev.ledger.infra.projection.ReadModels.SnapshotWriter;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/** Reports for reconciliation jobs and auditors. */
@RestController
@Tag(name = "reports")
class ReportsController {

    private final ReadModels readModels;
    private final ObjectMapper json;

    ReportsController(ReadModels readModels, ObjectMapper json) {
        this.readModels = readModels;
        this.json = json;
    }

    @Operation(summary = "Every account's balance as of one global position, with totals per currency",
            description = "One consistent cut: it never shows one leg of a transfer without the other."
                    + " Accounts are streamed in id order.")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BalancesSnapshot.class)))
    @GetMapping(path = "/api/v1/reports/balances", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<StreamingResponseBody> balances() {
        StreamingResponseBody body = out -> {
            try (JsonGenerator generator = json.getFactory().createGenerator(out)) {
                readModels.balanceSnapshot(new JsonSnapshot(generator));
            }
        };
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }

    /** Writes the snapshot as it is read. */
    private record JsonSnapshot(JsonGenerator out) implements SnapshotWriter {

        @Override
        public void start(long asOfPosition) {
            write(() -> {
                out.writeStartObject();
                out.writeNumberField("asOfPosition", asOfPosition);
                out.writeArrayFieldStart("accounts");
            });
        }

        @Override
        public void account(String accountId, String currency, long balance, long version) {
            write(() -> {
                out.writeStartObject();
                out.writeStringField("accountId", accountId);
                out.writeStringField("currency", currency);
                out.writeNumberField("balance", balance);
                out.writeNumberField("version", version);
                out.writeEndObject();
            });
        }

        @Override
        public void totals(List<CurrencyBalance> totals) {
            write(() -> {
                out.writeEndArray();
                out.writeArrayFieldStart("totals");
                for (CurrencyBalance total : totals) {
                    out.writeStartObject();
                    out.writeStringField("currency", total.currency());
                    out.writeNumberField("balance", total.balance());
                    out.writeEndObject();
                }
                out.writeEndArray();
                out.writeEndObject();
            });
        }

        private static void write(JsonWrite write) {
            try {
                write.run();
            } catch (IOException failure) {
                throw new UncheckedIOException(failure);
            }
        }
    }

    @FunctionalInterface
    private interface JsonWrite {
        void run() throws IOException;
    }

    /** The snapshot's shape, for the OpenAPI document. */
    record BalancesSnapshot(long asOfPosition, List<AccountBalanceItem> accounts, List<CurrencyBalance> totals) {
    }

    record AccountBalanceItem(String accountId, String currency, long balance, long version) {
    }
}
