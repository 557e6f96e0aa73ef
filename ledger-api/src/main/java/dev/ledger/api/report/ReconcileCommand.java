package dev.ledger.api.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ledger.LedgerApplication;
import dev.ledger.infra.reconciliation.Reconciliation;
import dev.ledger.infra.reconciliation.Reconciliation.Report;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code java -jar ledger.jar reconcile}: the reconciliation as a batch command for a scheduler.
 * Prints the JSON report on standard output (logs and progress go to standard error) and exits 0
 * when the ledger is balanced, 1 when it is not, 2 when the check could not run.
 */
public final class ReconcileCommand {

    public static final int BALANCED = 0;
    public static final int UNBALANCED = 1;
    public static final int FAILED = 2;

    private ReconcileCommand() {
    }

    public static int run(String[] args) {
        SpringApplication application = new SpringApplication(LedgerApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setAdditionalProfiles("cli");
        application.setDefaultProperties(Map.of("ledger.relay.enabled", "false"));
        try (ConfigurableApplicationContext context = application.run(args)) {
            Report report = context.getBean(Reconciliation.class).run();
            ObjectMapper json = context.getBean(ObjectMapper.class).copy().enable(SerializationFeature.INDENT_OUTPUT);
            System.out.println(json.writeValueAsString(report));
            return report.balanced() ? BALANCED : UNBALANCED;
        } catch (Exception failure) {
            System.err.println("Reconciliation could not run: " + failure.getMessage());
            return FAILED;
        }
    }
}
