package dev.ledger;

import dev.ledger.api.account.ReadProperties;
import dev.ledger.api.account.SeedCommand;
import dev.ledger.api.report.ReconcileCommand;
import dev.ledger.api.security.SecurityProperties;
import dev.ledger.api.web.DatabaseBootstrap;
import java.util.Arrays;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
@EnableConfigurationProperties({ReadProperties.class, SecurityProperties.class})
public class LedgerApplication {

    public static void main(String[] args) {
        // Axon asks its vendor for updates at start-up unless told not to; a ledger calls nobody.
        System.setProperty("axoniq.update-checker.disabled", "true");
        if (args.length > 0 && "reconcile".equals(args[0])) {
            System.exit(ReconcileCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        if (args.length > 0 && "seed".equals(args[0])) {
            System.exit(SeedCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        SpringApplication application = new SpringApplication(LedgerApplication.class);
        application.addListeners(new DatabaseBootstrap());
        application.run(args);
    }
}
