package dev.ledger.api.admin;

import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.ProblemException;
import dev.ledger.api.web.RequestValues;
import dev.ledger.infra.outbox.OutboxStore;
import dev.ledger.infra.outbox.OutboxStore.DeadLetter;
import dev.ledger.infra.projection.ReadModelRebuild;
import dev.ledger.infra.projection.ReadModelRebuild.Status;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Operations: parked deliveries and read-model rebuilds. */
@RestController
@RequestMapping(path = "/api/v1/admin", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "admin")
class AdminController {

    private static final int DEAD_LETTER_PAGE_MAX = 1000;

    private final OutboxStore outbox;
    private final ReadModelRebuild rebuild;

    AdminController(OutboxStore outbox, ReadModelRebuild rebuild) {
        this.outbox = outbox;
        this.rebuild = rebuild;
    }

    @Operation(summary = "Accounts parked behind a failed delivery (oldest first, at most 1000)")
    @GetMapping("/dead-letters")
    DeadLetters deadLetters() {
        return new DeadLetters(outbox.deadLetters(DEAD_LETTER_PAGE_MAX));
    }

    @Operation(summary = "Retry a parked account: its events are delivered again, in order, from the failed one")
    @PostMapping("/dead-letters/{accountId}/retry")
    ResponseEntity<Void> retry(@PathVariable String accountId) {
        String id = RequestValues.accountId(accountId);
        if (!outbox.release(id)) {
            throw new ProblemException(ProblemCode.NOT_FOUND, "account " + id + " is not parked");
        }
        return ResponseEntity.accepted().build();
    }

    @Operation(summary = "Rebuild the read models from the event store, in the background",
            description = "Answers 202 with the rebuild's status; poll GET for progress (percent, events/s).")
    @PostMapping("/read-models/rebuild")
    ResponseEntity<Status> startRebuild() {
        return ResponseEntity.accepted().body(rebuild.start());
    }

    @Operation(summary = "Progress of the running or last read-model rebuild")
    @GetMapping("/read-models/rebuild")
    Status rebuildStatus() {
        return rebuild.status();
    }

    record DeadLetters(List<DeadLetter> items) {
    }
}
